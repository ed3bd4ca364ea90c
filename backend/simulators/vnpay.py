"""VNPay 2.1.0 sandbox simulator: payment page, IPN calls with VNPay's retry rule, merchant_webapi.

Speaks the real wire format so that our VnpayClient and IPN route are tested against it over HTTP.

Endpoints
  GET  /paymentv2/vpcpay.html            checks our signed URL, shows a payment page (vi, then en)
  POST /_sim/checkout/<txn_ref>          the page's buttons (action=pay|cancel): settle, IPN, redirect
  POST /_sim/pay                         {"txn_ref" | "payment_url", "response_code"?="00", "bank_code"?,
                                          "force"?: pay even if expired}
  POST /_sim/ipn/<txn_ref>/resend        send the IPN for a settled payment once more (a replay)
  GET  /_sim/ipn-log[?txn_ref=]          every IPN attempt and what the merchant answered
  GET  /_sim/payments/<txn_ref>          the simulator's view of one payment
  GET|POST /_sim/config                  latency_ms, down, drop_ipn, ipn_max_attempts, ipn_backoff_s
  POST /merchant_webapi/api/transaction  querydr and refund, checksummed both ways

Run: VNPAY_HASH_SECRET=... python -m backend.simulators.vnpay --port 8701 --tmn-code DEMO0001 \
         --ipn-url http://127.0.0.1:5000/api/v1/payments/vnpay/ipn
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from flask import Flask, Response, jsonify, redirect, request
from markupsafe import escape
from werkzeug.datastructures import MultiDict
from werkzeug.serving import BaseWSGIServer, make_server

from backend.adapters.http_session import outbound_session
from backend.adapters.payments.vnpay.api import (
    COMMAND_QUERYDR,
    COMMAND_REFUND,
    REFUND_FULL,
    REFUND_PARTIAL,
    sign_response,
    verify_request,
)
from backend.adapters.payments.vnpay.codes import describe_api_result, describe_response_code
from backend.adapters.payments.vnpay.ipn import FINAL_RSP_CODES
from backend.adapters.payments.vnpay.payment import VNPAY_VERSION
from backend.adapters.payments.vnpay.signing import (
    SECURE_HASH,
    VNPAY_TZ,
    VnpayFormatError,
    format_vnp_datetime,
    from_vnp_amount,
    parse_vnp_datetime,
    signed_query_string,
    to_vnp_amount,
    verify_signature,
)
from backend.simulators.access_log import PathOnlyRequestHandler

log = logging.getLogger(__name__)

EXTENSION_KEY = "vnpay_simulator"
_REQUIRED_PAY_PARAMS = (
    "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_Amount", "vnp_CurrCode", "vnp_TxnRef",
    "vnp_OrderInfo", "vnp_ReturnUrl", "vnp_IpAddr", "vnp_CreateDate", "vnp_ExpireDate",
)  # fmt: skip
_REQUIRED_API_FIELDS = {
    COMMAND_QUERYDR: (
        "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
        "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
    ),
    COMMAND_REFUND: (
        "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType", "vnp_TxnRef",
        "vnp_Amount", "vnp_TransactionDate", "vnp_CreateBy", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
    ),
}  # fmt: skip
# Transaction numbers look like VNPay's 8-digit sandbox ones.
_FIRST_TRANSACTION_NO = 14_400_000


@dataclass
class SimConfig:
    latency_ms: int = 0
    down: bool = False  # every gateway endpoint answers 503
    drop_ipn: bool = False  # settle without ever calling the IPN (to exercise querydr reconciliation)
    ipn_max_attempts: int = 5
    ipn_backoff_s: float = 0.5  # doubled after each failed attempt
    ipn_timeout_s: float = 5.0


@dataclass
class SimPayment:
    txn_ref: str
    amount: int  # VND
    order_info: str
    return_url: str
    create_date: str  # as sent, yyyyMMddHHmmss GMT+7
    expire_date: str
    bank_code: str | None
    locale: str
    status: str = "pending"  # pending | settled
    response_code: str | None = None
    transaction_status: str | None = None
    transaction_no: str | None = None
    pay_bank_code: str | None = None
    pay_date: str | None = None
    refunded: int = 0
    ipn_state: str = "not_sent"  # not_sent | sending | confirmed | gave_up | dropped


@dataclass
class IpnAttempt:
    txn_ref: str
    attempt: int
    at: str
    http_status: int | None
    rsp_code: str | None
    message: str | None
    error: str | None = None
    replay: bool = False


class PaymentRejected(Exception):
    """The payment URL is not acceptable; carries VNPay's code and a vi/en explanation."""

    def __init__(self, code: str, vi: str, en: str, status: int = 400):
        super().__init__(code)
        self.code, self.vi, self.en, self.status = code, vi, en, status


@dataclass
class VnpaySimulator:
    tmn_code: str
    hash_secret: str
    ipn_url: str
    config: SimConfig = field(default_factory=SimConfig)
    clock: Callable[[], datetime] = lambda: datetime.now(VNPAY_TZ)
    payments: dict[str, SimPayment] = field(default_factory=dict)
    ipn_log: list[IpnAttempt] = field(default_factory=list)
    seen_request_ids: set[str] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _transaction_numbers: itertools.count = field(default_factory=lambda: itertools.count(_FIRST_TRANSACTION_NO))
    _http: requests.Session = field(default_factory=lambda: outbound_session("http://127.0.0.1"))

    # -- payments -------------------------------------------------------------------------------

    def open_payment(self, params: Mapping[str, str]) -> SimPayment:
        """Check a payment URL's query the way VNPay does and remember the pending payment."""
        if not verify_signature(params, self.hash_secret):
            raise PaymentRejected("97", "Sai chữ ký.", "Invalid signature.")
        if any(not params.get(key) for key in _REQUIRED_PAY_PARAMS):
            raise PaymentRejected("03", "Thiếu tham số bắt buộc.", "A required parameter is missing.")
        if params["vnp_TmnCode"] != self.tmn_code:
            raise PaymentRejected("02", "Website chưa được phê duyệt.", "Unknown merchant (TmnCode).")
        if params["vnp_Version"] != VNPAY_VERSION or params["vnp_Command"] != "pay" or params["vnp_CurrCode"] != "VND":
            raise PaymentRejected("03", "Sai phiên bản, lệnh hoặc loại tiền.", "Bad version, command or currency.")
        try:
            amount = from_vnp_amount(params["vnp_Amount"])
            parse_vnp_datetime(params["vnp_CreateDate"])
            expires_at = parse_vnp_datetime(params["vnp_ExpireDate"])
        except VnpayFormatError:
            raise PaymentRejected("03", "Sai định dạng số tiền hoặc ngày.", "Malformed amount or date.") from None
        if expires_at <= self.clock():
            raise PaymentRejected(
                "11", "Giao dịch đã quá thời gian chờ thanh toán.", "The payment link has expired.", 410
            )
        txn_ref = params["vnp_TxnRef"]
        with self.lock:
            existing = self.payments.get(txn_ref)
            if existing is not None and (existing.status != "pending" or existing.amount != amount):
                raise PaymentRejected("94", "Mã giao dịch đã tồn tại.", "This transaction reference was already used.", 409)
            if existing is None:
                existing = self.payments[txn_ref] = SimPayment(
                    txn_ref=txn_ref,
                    amount=amount,
                    order_info=params["vnp_OrderInfo"],
                    return_url=params["vnp_ReturnUrl"],
                    create_date=params["vnp_CreateDate"],
                    expire_date=params["vnp_ExpireDate"],
                    bank_code=params.get("vnp_BankCode") or None,
                    locale=params.get("vnp_Locale", "vn"),
                )
        log.info("vnpay-sim payment opened txn_ref=%s", txn_ref)
        return existing

    def settle(self, txn_ref: str, response_code: str, bank_code: str | None = None) -> SimPayment:
        with self.lock:
            payment = self.payments[txn_ref]
            paid = response_code == "00"
            payment.status = "settled"
            payment.response_code = response_code
            payment.transaction_status = "00" if paid else "02"
            # VNPay reports 0 as the transaction number of attempts that never reached a bank.
            payment.transaction_no = str(next(self._transaction_numbers)) if paid else "0"
            payment.pay_bank_code = bank_code or payment.bank_code or "NCB"
            payment.pay_date = format_vnp_datetime(self.clock())
        return payment

    def result_params(self, payment: SimPayment) -> dict[str, str]:
        """The vnp_* parameters VNPay puts on both the IPN call and the return URL."""
        params = {
            "vnp_Amount": to_vnp_amount(payment.amount),
            "vnp_BankCode": payment.pay_bank_code or "",
            "vnp_OrderInfo": payment.order_info,
            "vnp_PayDate": payment.pay_date or "",
            "vnp_ResponseCode": payment.response_code or "",
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionNo": payment.transaction_no or "0",
            "vnp_TransactionStatus": payment.transaction_status or "",
            "vnp_TxnRef": payment.txn_ref,
        }
        if payment.response_code == "00":
            params["vnp_BankTranNo"] = f"VNP{payment.transaction_no}"
            params["vnp_CardType"] = "QRCODE" if payment.pay_bank_code == "VNPAYQR" else "ATM"
        return params

    def return_redirect_url(self, payment: SimPayment) -> str:
        separator = "&" if "?" in payment.return_url else "?"
        return payment.return_url + separator + signed_query_string(self.result_params(payment), self.hash_secret)

    # -- IPN ------------------------------------------------------------------------------------

    def start_ipn(self, txn_ref: str, *, replay: bool = False) -> None:
        with self.lock:
            payment = self.payments[txn_ref]
            if self.config.drop_ipn and not replay:
                payment.ipn_state = "dropped"
                return
            payment.ipn_state = "sending"
            max_attempts = 1 if replay else max(1, self.config.ipn_max_attempts)
            query = signed_query_string(self.result_params(payment), self.hash_secret)
        threading.Thread(
            target=self._deliver_ipn,
            args=(txn_ref, query, max_attempts, replay),
            name=f"vnpay-sim-ipn-{txn_ref}",
            daemon=True,
        ).start()

    def _deliver_ipn(self, txn_ref: str, query: str, max_attempts: int, replay: bool) -> None:
        separator = "&" if "?" in self.ipn_url else "?"
        backoff = self.config.ipn_backoff_s
        for attempt in range(1, max_attempts + 1):
            record = self._call_ipn_once(txn_ref, self.ipn_url + separator + query, attempt, replay)
            with self.lock:
                self.ipn_log.append(record)
            log.info("vnpay-sim ipn txn_ref=%s attempt=%d rsp=%s", txn_ref, attempt, record.rsp_code)
            if record.rsp_code in FINAL_RSP_CODES:
                self._set_ipn_state(txn_ref, "confirmed")
                return
            if attempt < max_attempts:
                time.sleep(backoff)
                backoff *= 2
        self._set_ipn_state(txn_ref, "gave_up")

    def _call_ipn_once(self, txn_ref: str, url: str, attempt: int, replay: bool) -> IpnAttempt:
        at = self.clock().isoformat()
        try:
            response = self._http.get(url, timeout=self.config.ipn_timeout_s)
        except requests.RequestException as exc:
            return IpnAttempt(txn_ref, attempt, at, None, None, None, error=type(exc).__name__, replay=replay)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return IpnAttempt(txn_ref, attempt, at, response.status_code, None, None, error="not_json", replay=replay)
        return IpnAttempt(
            txn_ref,
            attempt,
            at,
            response.status_code,
            str(answer.get("RspCode")) if answer.get("RspCode") is not None else None,
            str(answer.get("Message")) if answer.get("Message") is not None else None,
            replay=replay,
        )

    def _set_ipn_state(self, txn_ref: str, state: str) -> None:
        with self.lock:
            self.payments[txn_ref].ipn_state = state

    # -- merchant_webapi ------------------------------------------------------------------------

    def handle_api(self, body: object) -> dict[str, str]:
        if not isinstance(body, dict):
            return self._api_error("", "03")
        command = body.get("vnp_Command")
        if command not in _REQUIRED_API_FIELDS:
            return self._api_error("", "03")
        if any(not isinstance(body.get(key), str) or body.get(key) == "" for key in _REQUIRED_API_FIELDS[command]):
            return self._api_error(command, "03")
        if not _api_formats_ok(body):
            return self._api_error(command, "03")
        # The TmnCode selects the secret, so it is checked before the checksum.
        if body["vnp_TmnCode"] != self.tmn_code:
            return self._api_error(command, "02")
        if not verify_request(body, self.hash_secret):
            return self._api_error(command, "97")
        with self.lock:
            if body["vnp_RequestId"] in self.seen_request_ids:
                return self._api_answer(command, "94", body, None)
            self.seen_request_ids.add(body["vnp_RequestId"])
            payment = self.payments.get(body["vnp_TxnRef"])
            if payment is None or payment.create_date != body["vnp_TransactionDate"]:
                return self._api_answer(command, "91", body, None)
            if command == COMMAND_QUERYDR:
                return self._api_answer(command, "00", body, payment)
            return self._refund(body, payment)

    def _refund(self, body: dict[str, Any], payment: SimPayment) -> dict[str, str]:
        amount = from_vnp_amount(body["vnp_Amount"])
        if body.get("vnp_TransactionNo") not in (None, "", "0", payment.transaction_no):
            return self._api_answer(COMMAND_REFUND, "91", body, None)
        remaining = payment.amount - payment.refunded
        refundable = payment.status == "settled" and payment.transaction_status in ("00", "05")
        full = body["vnp_TransactionType"] == REFUND_FULL
        if not refundable or amount > remaining or amount <= 0 or (full and amount != remaining):
            return self._api_answer(COMMAND_REFUND, "95", body, payment)
        payment.refunded += amount
        # A real refund goes 05 (processing) -> 06 (sent to bank); the simulator stops at 05.
        payment.transaction_status = "05"
        answer = self._api_answer(COMMAND_REFUND, "00", body, payment)
        answer["vnp_Amount"] = to_vnp_amount(amount)
        answer["vnp_TransactionType"] = body["vnp_TransactionType"]
        answer[SECURE_HASH] = sign_response(answer, self.hash_secret)
        return answer

    def _api_error(self, command: str, code: str) -> dict[str, str]:
        # Answers to requests we cannot authenticate are left unsigned, as VNPay does.
        return {
            "vnp_ResponseId": uuid.uuid4().hex,
            "vnp_Command": command,
            "vnp_ResponseCode": code,
            "vnp_Message": describe_api_result(code, "en"),
        }

    def _api_answer(
        self, command: str, code: str, body: dict[str, Any], payment: SimPayment | None
    ) -> dict[str, str]:
        answer = {
            "vnp_ResponseId": uuid.uuid4().hex,
            "vnp_Command": command,
            "vnp_ResponseCode": code,
            "vnp_Message": describe_api_result(code, "en"),
            "vnp_TmnCode": self.tmn_code,
            "vnp_TxnRef": body.get("vnp_TxnRef", ""),
        }
        if payment is not None:
            answer.update(
                {
                    "vnp_Amount": to_vnp_amount(payment.amount),
                    "vnp_OrderInfo": payment.order_info,
                    "vnp_BankCode": payment.pay_bank_code or "",
                    "vnp_PayDate": payment.pay_date or "",
                    "vnp_TransactionNo": payment.transaction_no or "0",
                    "vnp_TransactionType": "01",  # 01 = payment
                    "vnp_TransactionStatus": payment.transaction_status or "01",
                }
            )
            if command == COMMAND_QUERYDR:
                answer.update({"vnp_PromotionCode": "", "vnp_PromotionAmount": ""})
        answer[SECURE_HASH] = sign_response(answer, self.hash_secret)
        return answer


def _api_formats_ok(body: dict[str, Any]) -> bool:
    try:
        parse_vnp_datetime(body["vnp_TransactionDate"])
        parse_vnp_datetime(body["vnp_CreateDate"])
        if body["vnp_Command"] == COMMAND_REFUND:
            from_vnp_amount(body["vnp_Amount"])
            if body["vnp_TransactionType"] not in (REFUND_FULL, REFUND_PARTIAL):
                return False
    except VnpayFormatError:
        return False
    return len(body["vnp_RequestId"]) <= 32 and body["vnp_Version"] == VNPAY_VERSION


# -- HTML --------------------------------------------------------------------------------------

_PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}"
    "h1{color:#005baa}.sim{background:#fff3cd;padding:.5rem}dt{font-weight:600;margin-top:.5rem}"
    "button{font-size:1.2rem;padding:.7rem 1.4rem;margin:.5rem .5rem 0 0}"
    ".pay{background:#005baa;color:#fff;border:0}.err{color:#b00020}"
)


def _page(title: str, body_html: str, status: int = 200) -> Response:
    html = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_PAGE_STYLE}</style></head><body>{body_html}"
        '<p class="sim">Máy chủ mô phỏng VNPAY, không có tiền thật. / VNPAY simulator, no real money.</p>'
        "</body></html>"
    )
    return Response(html, status=status, mimetype="text/html")


def _error_page(code: str, vi: str, en: str, status: int = 400) -> Response:
    return _page(
        "VNPAY - Lỗi / Error",
        f'<h1>Giao dịch không hợp lệ <small>/ Invalid transaction</small></h1>'
        f'<p class="err">{escape(vi)}<br>{escape(en)}</p><p>Mã lỗi / Error code: {escape(code)}</p>',
        status,
    )


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " ₫"


def _payment_page(payment: SimPayment) -> Response:
    expires = parse_vnp_datetime(payment.expire_date).strftime("%H:%M %d/%m/%Y")
    ref = escape(payment.txn_ref)
    return _page(
        "VNPAY - Thanh toán / Payment",
        "<h1>Thanh toán qua VNPAY <small>/ Pay with VNPAY</small></h1><dl>"
        f"<dt>Số tiền / Amount</dt><dd>{escape(_vnd(payment.amount))}</dd>"
        f"<dt>Nội dung / Description</dt><dd>{escape(payment.order_info)}</dd>"
        f"<dt>Mã giao dịch / Reference</dt><dd>{ref}</dd>"
        f"<dt>Hết hạn lúc / Expires at</dt><dd>{escape(expires)} (GMT+7)</dd></dl>"
        f'<form method="post" action="/_sim/checkout/{ref}">'
        '<button class="pay" name="action" value="pay">Thanh toán / Pay</button>'
        '<button name="action" value="cancel">Huỷ / Cancel</button></form>',
    )


# -- app factory -------------------------------------------------------------------------------


def create_vnpay_simulator(
    tmn_code: str,
    hash_secret: str,
    ipn_url: str,
    *,
    config: SimConfig | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Flask:
    sim = VnpaySimulator(tmn_code=tmn_code, hash_secret=hash_secret, ipn_url=ipn_url, config=config or SimConfig())
    if clock is not None:
        sim.clock = clock
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = sim

    def gateway_conditions() -> Response | None:
        if sim.config.latency_ms:
            time.sleep(sim.config.latency_ms / 1000)
        if sim.config.down:
            return Response("VNPAY is under maintenance (simulated)", status=503)
        return None

    @app.get("/paymentv2/vpcpay.html")
    def payment_page() -> Response:
        if (unavailable := gateway_conditions()) is not None:
            return unavailable
        try:
            payment = sim.open_payment(request.args)
        except PaymentRejected as rejected:
            return _error_page(rejected.code, rejected.vi, rejected.en, rejected.status)
        return _payment_page(payment)

    def settle_and_notify(txn_ref: str, response_code: str, bank_code: str | None) -> SimPayment:
        payment = sim.settle(txn_ref, response_code, bank_code)
        sim.start_ipn(txn_ref)
        return payment

    @app.post("/_sim/checkout/<txn_ref>")
    def checkout(txn_ref: str) -> Response:
        with sim.lock:
            payment = sim.payments.get(txn_ref)
            if payment is None:
                return _error_page("91", "Không tìm thấy giao dịch.", "Transaction not found.", 404)
            if payment.status == "pending":
                if parse_vnp_datetime(payment.expire_date) <= sim.clock():
                    return _error_page("11", "Giao dịch đã hết hạn.", "The payment has expired.", 410)
                code = "00" if request.form.get("action") == "pay" else "24"
                payment = settle_and_notify(txn_ref, code, None)
            return redirect(sim.return_redirect_url(payment), code=302)

    @app.post("/_sim/pay")
    def sim_pay() -> Response:
        data = request.get_json(silent=True) or {}
        txn_ref = data.get("txn_ref")
        response_code = str(data.get("response_code", "00"))
        if isinstance(data.get("payment_url"), str):
            # Lets a demo "patient pays now" button skip the phone: open the URL, then pay it.
            query = MultiDict(parse_qsl(urlsplit(data["payment_url"]).query, keep_blank_values=True))
            try:
                txn_ref = sim.open_payment(query).txn_ref
            except PaymentRejected as rejected:
                return jsonify(error=rejected.en, code=rejected.code), rejected.status
        with sim.lock:
            payment = sim.payments.get(txn_ref) if isinstance(txn_ref, str) else None
            if payment is None:
                return jsonify(error="unknown txn_ref; open the payment URL first"), 404
            if payment.status != "pending":
                return jsonify(error="already settled"), 409
            if parse_vnp_datetime(payment.expire_date) <= sim.clock() and not data.get("force"):
                return jsonify(error="payment expired; pass force=true to pay anyway"), 409
            payment = settle_and_notify(txn_ref, response_code, data.get("bank_code"))
            return jsonify(
                txn_ref=payment.txn_ref,
                transaction_no=payment.transaction_no,
                response_code=payment.response_code,
                transaction_status=payment.transaction_status,
                description=describe_response_code(payment.response_code),
                return_url=sim.return_redirect_url(payment),
            )

    @app.post("/_sim/ipn/<txn_ref>/resend")
    def resend_ipn(txn_ref: str) -> Response:
        with sim.lock:
            payment = sim.payments.get(txn_ref)
            if payment is None or payment.status != "settled":
                return jsonify(error="no settled payment with this txn_ref"), 404
            sim.start_ipn(txn_ref, replay=True)
        return jsonify(resent=True), 202

    @app.get("/_sim/ipn-log")
    def ipn_log() -> Response:
        wanted = request.args.get("txn_ref")
        with sim.lock:
            attempts = [asdict(a) for a in sim.ipn_log if wanted in (None, a.txn_ref)]
            states = {ref: p.ipn_state for ref, p in sim.payments.items() if wanted in (None, ref)}
        return jsonify(attempts=attempts, states=states)

    @app.get("/_sim/payments/<txn_ref>")
    def payment_state(txn_ref: str) -> Response:
        with sim.lock:
            payment = sim.payments.get(txn_ref)
            if payment is None:
                return jsonify(error="not found"), 404
            return jsonify(asdict(payment))

    @app.route("/_sim/config", methods=["GET", "POST"])
    def sim_config() -> Response:
        if request.method == "POST":
            data = request.get_json(silent=True) or {}
            with sim.lock:
                for key, kind in (
                    ("latency_ms", int),
                    ("down", bool),
                    ("drop_ipn", bool),
                    ("ipn_max_attempts", int),
                    ("ipn_backoff_s", float),
                    ("ipn_timeout_s", float),
                ):
                    if key in data:
                        setattr(sim.config, key, kind(data[key]))
        return jsonify(asdict(sim.config))

    @app.post("/merchant_webapi/api/transaction")
    def merchant_api() -> Response:
        if (unavailable := gateway_conditions()) is not None:
            return unavailable
        try:
            answer = sim.handle_api(request.get_json(silent=True))
        except Exception:  # the API contract is "99 Other error", never a stack trace
            log.exception("vnpay-sim merchant api failed")
            answer = sim._api_error("", "99")
        return jsonify(answer)

    return app


def make_simulator_server(app: Flask, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded werkzeug server for `app`; port 0 picks a free port (see server.server_port)."""
    return make_server(host, port, app, threaded=True, request_handler=PathOnlyRequestHandler)


def simulator_of(app: Flask) -> VnpaySimulator:
    return app.extensions[EXTENSION_KEY]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="VNPay 2.1.0 sandbox simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--tmn-code", default=os.environ.get("VNPAY_TMN_CODE", "DEMO0001"))
    parser.add_argument("--ipn-url", required=True, help="our IPN endpoint, e.g. http://127.0.0.1:5000/api/v1/payments/vnpay/ipn")
    parser.add_argument("--secret-env", default="VNPAY_HASH_SECRET", help="environment variable holding the hash secret")
    parser.add_argument("--ipn-max-attempts", type=int, default=SimConfig.ipn_max_attempts)
    parser.add_argument("--ipn-backoff", type=float, default=SimConfig.ipn_backoff_s)
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env)
    if not secret:
        parser.error(f"set the hash secret in the environment variable {args.secret_env}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_vnpay_simulator(
        args.tmn_code,
        secret,
        args.ipn_url,
        config=SimConfig(ipn_max_attempts=args.ipn_max_attempts, ipn_backoff_s=args.ipn_backoff),
    )
    server = make_simulator_server(app, args.host, args.port)
    print(f"VNPay simulator on http://{args.host}:{server.server_port}/paymentv2/vpcpay.html", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
