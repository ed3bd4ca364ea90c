"""Bank (or transfer aggregator) simulator: sends signed incoming-transfer webhooks to our backend.

Endpoints
  POST /_sim/transfer   {"amount", "content", "account"?, "sender_name"?, "sender_account"?,
                         "decorate"?: bool, "forge_signature"?: bool}  -> one new transfer, delivered once
                        {"replay_of": "<transaction_id>"}              -> the same raw body sent again
  GET  /_sim/transfers  every transfer and every delivery with our HTTP status and answer
  GET|POST /_sim/config {"latency_ms"}: delay before each delivery

"decorate" rewrites the content the way banking apps do ("MBVCB.1234567.<content>.CT tu <account>
<NAME>"), which is what reference matching has to survive.

Run: BANK_WEBHOOK_SECRET=... python -m backend.simulators.bank --port 8702 --account 1012345678 \
         --webhook-url http://127.0.0.1:5000/api/v1/payments/bank-webhook [--auth api_key]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import requests
from flask import Flask, Response, jsonify, request

from backend.adapters.http_session import outbound_session
from backend.adapters.payments.vietqr.webhook import DEFAULT_HEADERS, WebhookAuthMode, sign_webhook_body
from backend.domain.payments.timezones import VIETNAM_TZ
from backend.simulators.vnpay import make_simulator_server

log = logging.getLogger(__name__)

EXTENSION_KEY = "bank_simulator"
_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class Delivery:
    at: str
    http_status: int | None
    response: Any
    error: str | None = None
    forged: bool = False


@dataclass
class SimTransfer:
    transaction_id: str
    body: dict[str, Any]
    raw_body: str  # kept verbatim so a replay is byte-identical, signature included
    deliveries: list[Delivery] = field(default_factory=list)


@dataclass
class BankSimulator:
    webhook_url: str
    secret_or_key: str
    account: str
    auth_mode: WebhookAuthMode = WebhookAuthMode.HMAC
    header: str | None = None
    bank_bin: str = "970436"
    timeout_s: float = 5.0
    latency_ms: int = 0
    clock: Callable[[], datetime] = lambda: datetime.now(VIETNAM_TZ)
    transfers: dict[str, SimTransfer] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _http: requests.Session = field(default_factory=lambda: outbound_session("http://127.0.0.1"))

    @property
    def header_name(self) -> str:
        return self.header or DEFAULT_HEADERS[self.auth_mode]

    def new_transaction_id(self) -> str:
        # Shaped like Vietcombank's "FT<yyddd>..." ids, which is also noise that matching must ignore.
        # The tail is random, not a counter: a counter starts again at 1 when the simulator restarts
        # (or in a second simulator), and the backend rightly calls a transaction id it has already
        # seen a duplicate, so real transfers would go uncredited. 36^10 tails a day never meet.
        tail = "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
        return f"FT{self.clock():%y%j}{tail}"

    def create_transfer(self, data: dict[str, Any]) -> SimTransfer:
        now = self.clock()
        content = str(data.get("content", ""))
        sender_account = str(data.get("sender_account", "0123456789"))
        sender_name = str(data.get("sender_name", "NGUYEN VAN A"))
        if data.get("decorate"):
            content = f"MBVCB.{random.randint(1_000_000, 9_999_999)}.{content}.CT tu {sender_account} {sender_name}"
        with self.lock:
            transaction_id = self.new_transaction_id()
            body = {
                "transaction_id": transaction_id,
                "account": str(data.get("account", self.account)),
                "amount": data["amount"],
                "content": content,
                "transferred_at": now.isoformat(timespec="seconds"),
                "bank_bin": self.bank_bin,
                "sender_account": sender_account,
                "sender_name": sender_name,
            }
            raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            transfer = self.transfers[transaction_id] = SimTransfer(transaction_id, body, raw)
        return transfer

    def deliver(self, transfer: SimTransfer, *, forge_signature: bool = False) -> Delivery:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        raw = transfer.raw_body.encode("utf-8")
        if self.auth_mode is WebhookAuthMode.HMAC:
            credential = sign_webhook_body(raw, self.secret_or_key)
        else:
            credential = self.secret_or_key
        if forge_signature:
            # Same length and alphabet as the real credential, so only the value check can catch it.
            credential = credential[::-1] if credential[::-1] != credential else "x" + credential[1:]
        headers = {"Content-Type": "application/json; charset=utf-8", self.header_name: credential}
        at = self.clock().isoformat()
        try:
            response = self._http.post(self.webhook_url, data=raw, headers=headers, timeout=self.timeout_s)
        except requests.RequestException as exc:
            delivery = Delivery(at, None, None, error=type(exc).__name__, forged=forge_signature)
        else:
            try:
                answer: Any = response.json()
            except ValueError:
                answer = response.text[:500]
            delivery = Delivery(at, response.status_code, answer, forged=forge_signature)
        with self.lock:
            transfer.deliveries.append(delivery)
        log.info(
            "bank-sim webhook transaction_id=%s http=%s", transfer.transaction_id, delivery.http_status
        )
        return delivery


def _transfer_json(transfer: SimTransfer) -> dict[str, Any]:
    return {
        "transaction_id": transfer.transaction_id,
        "body": transfer.body,
        "deliveries": [asdict(d) for d in transfer.deliveries],
    }


def create_bank_simulator(
    webhook_url: str,
    secret_or_key: str,
    account: str,
    *,
    auth_mode: WebhookAuthMode | str = WebhookAuthMode.HMAC,
    header: str | None = None,
    bank_bin: str = "970436",
    timeout_s: float = 5.0,
    clock: Callable[[], datetime] | None = None,
) -> Flask:
    sim = BankSimulator(
        webhook_url=webhook_url,
        secret_or_key=secret_or_key,
        account=account,
        auth_mode=WebhookAuthMode(auth_mode),
        header=header,
        bank_bin=bank_bin,
        timeout_s=timeout_s,
    )
    if clock is not None:
        sim.clock = clock
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = sim

    @app.post("/_sim/transfer")
    def transfer() -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return jsonify(error="JSON object expected"), 400
        if "replay_of" in data:
            with sim.lock:
                original = sim.transfers.get(str(data["replay_of"]))
            if original is None:
                return jsonify(error="unknown transaction_id"), 404
            chosen = original
        else:
            amount = data.get("amount")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                return jsonify(error="amount must be a positive integer (VND)"), 400
            if not isinstance(data.get("content", ""), str):
                return jsonify(error="content must be a string"), 400
            chosen = sim.create_transfer(data)
        delivery = sim.deliver(chosen, forge_signature=bool(data.get("forge_signature")))
        return jsonify(
            transaction_id=chosen.transaction_id,
            body=chosen.body,
            delivered=delivery.http_status is not None and 200 <= delivery.http_status < 300,
            delivery=asdict(delivery),
        )

    @app.get("/_sim/transfers")
    def transfers() -> Response:
        with sim.lock:
            return jsonify(transfers=[_transfer_json(t) for t in sim.transfers.values()])

    @app.route("/_sim/config", methods=["GET", "POST"])
    def config() -> Response:
        if request.method == "POST":
            data = request.get_json(silent=True) or {}
            if "latency_ms" in data:
                sim.latency_ms = int(data["latency_ms"])
        return jsonify(latency_ms=sim.latency_ms, auth_mode=str(sim.auth_mode), header=sim.header_name)

    return app


def simulator_of(app: Flask) -> BankSimulator:
    return app.extensions[EXTENSION_KEY]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Bank transfer webhook simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--webhook-url", required=True)
    parser.add_argument("--account", required=True, help="the hospital account that receives transfers")
    parser.add_argument("--bank-bin", default="970436")
    parser.add_argument("--auth", choices=[m.value for m in WebhookAuthMode], default=WebhookAuthMode.HMAC.value)
    parser.add_argument("--header", default=None, help="header carrying the signature or key")
    parser.add_argument("--secret-env", default="BANK_WEBHOOK_SECRET", help="environment variable with the secret/key")
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env)
    if not secret:
        parser.error(f"set the webhook secret in the environment variable {args.secret_env}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_bank_simulator(
        args.webhook_url, secret, args.account, auth_mode=args.auth, header=args.header, bank_bin=args.bank_bin
    )
    server = make_simulator_server(app, args.host, args.port)
    print(f"Bank simulator on http://{args.host}:{server.server_port}/_sim/transfer", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
