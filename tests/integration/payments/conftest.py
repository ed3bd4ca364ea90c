"""Servers for payment round trips: the simulators, and a small stand-in for our receiving side.

The receiver is NOT the product's IPN/webhook route (that lives in backend/api); it wires the same
domain functions (classify_ipn, BankWebhookVerifier, match_transfer) over an in-memory invoice table
so the simulators' wire format is checked end to end.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from flask import Flask, jsonify, request

from backend.adapters.payments.vietqr.webhook import BankWebhookConfig, BankWebhookVerifier
from backend.adapters.payments.vnpay.client import VnpayClient
from backend.domain.payments.invoice_view import InvoiceView
from backend.domain.payments.transfer_matching import TransferDecision, match_transfer
from backend.adapters.payments.vnpay.ipn import classify_ipn, unknown_error_outcome
from backend.adapters.payments.vnpay.signing import VNPAY_TZ, verify_signature
from backend.services.ports.payments import WebhookMalformed, WebhookRejected
from backend.simulators.bank import create_bank_simulator
from backend.simulators.vnpay import SimConfig, create_vnpay_simulator, simulator_of
from tests.support.wsgi import serve  # noqa: F401  (the fixture)

VNPAY_SECRET = "SIMSECRET0123456789ABCDEFGHIJKLM"
TMN_CODE = "DEMO0001"
BANK_SECRET = "bank-shared-secret-0123456789abcdef"
HOSPITAL_ACCOUNT = "1012345678"


@dataclass
class Invoice:
    amount: int
    status: str = "pending"  # pending | paid | failed | needs_refund
    expired: bool = False
    credits: int = 0  # how many times money was credited; must never exceed 1

    def view(self) -> InvoiceView:
        return InvoiceView(self.amount, settled=self.status != "pending", expired=self.expired)


@dataclass
class ReceiverState:
    vnpay_invoices: dict[str, Invoice] = field(default_factory=dict)  # by vnp_TxnRef
    bank_invoices: dict[str, Invoice] = field(default_factory=dict)  # by payment reference
    ipn_answers: list[dict] = field(default_factory=list)
    fail_next_ipns: int = 0  # answer 99 (as after an exception) this many times
    seen_bank_transactions: set[str] = field(default_factory=set)
    reconciliation: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def create_receiver(state: ReceiverState, bank_config: BankWebhookConfig) -> Flask:
    app = Flask("payments-test-receiver")
    verifier = BankWebhookVerifier(bank_config)

    @app.get("/ipn")
    def ipn():
        with state.lock:  # stands in for the database transaction
            if state.fail_next_ipns > 0:
                state.fail_next_ipns -= 1
                body = unknown_error_outcome().response_body()
            else:
                outcome = classify_ipn(
                    request.args,
                    VNPAY_SECRET,
                    lambda ref: state.vnpay_invoices[ref].view() if ref in state.vnpay_invoices else None,
                )
                if outcome.should_record:
                    invoice = state.vnpay_invoices[outcome.txn_ref]
                    if outcome.needs_refund:
                        invoice.status = "needs_refund"
                    else:
                        invoice.status = "paid" if outcome.paid else "failed"
                    invoice.credits += 1 if outcome.paid else 0
                body = outcome.response_body()
            state.ipn_answers.append(body)
        return jsonify(body)

    @app.get("/return")
    def vnpay_return():
        ok = verify_signature(request.args, VNPAY_SECRET)
        return ("Thanh toán thành công" if ok and request.args.get("vnp_ResponseCode") == "00" else "Không thành công"), (
            200 if ok else 400
        )

    @app.post("/bank-webhook")
    def bank_webhook():
        raw = request.get_data()
        try:
            transfer = verifier.authenticate(request.headers, raw)
        except WebhookRejected:
            return jsonify(error="UNAUTHORIZED"), 401
        except WebhookMalformed:
            return jsonify(error="VALIDATION_ERROR"), 400
        with state.lock:
            match = match_transfer(
                transfer,
                our_accounts={HOSPITAL_ACCOUNT},
                already_recorded=transfer.transaction_id in state.seen_bank_transactions,
                find_invoices=lambda refs: {r: state.bank_invoices[r].view() for r in refs if r in state.bank_invoices},
            )
            if match.decision is not TransferDecision.DUPLICATE:
                state.seen_bank_transactions.add(transfer.transaction_id)
            if match.decision is TransferDecision.SETTLE:
                invoice = state.bank_invoices[match.reference]
                invoice.status = "paid"
                invoice.credits += 1
            elif match.decision is TransferDecision.RECONCILE:
                state.reconciliation.append(
                    {"transaction_id": transfer.transaction_id, "reason": str(match.reason), "amount": transfer.amount}
                )
        return jsonify(ok=True, decision=str(match.decision), reason=match.reason and str(match.reason))

    return app


@pytest.fixture
def wait_until():
    def wait(predicate, timeout=5.0, interval=0.02):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout}s")

    return wait


@pytest.fixture
def receiver_state():
    return ReceiverState()


@pytest.fixture
def new_invoice():
    """new_invoice(amount) -> an open invoice record for the receiver's tables."""
    return Invoice


@pytest.fixture
def make_receiver():
    return create_receiver


@pytest.fixture
def hmac_bank_config():
    return BankWebhookConfig("hmac", BANK_SECRET)


@pytest.fixture
def receiver_url(serve, receiver_state, hmac_bank_config):
    return serve(create_receiver(receiver_state, hmac_bank_config))


@dataclass
class VnpayWorld:
    sim_url: str
    sim_app: Flask
    client: VnpayClient
    state: ReceiverState
    secret: str = VNPAY_SECRET

    @property
    def sim(self):
        return simulator_of(self.sim_app)

    def open_payment(
        self, txn_ref: str, amount: int, *, created_ago=timedelta(0), expires_in=timedelta(minutes=15), invoice_expired=False
    ):
        """Create the invoice on our side and the payment URL; returns (url, created_at)."""
        self.state.vnpay_invoices[txn_ref] = Invoice(amount, expired=invoice_expired)
        created_at = datetime.now(VNPAY_TZ).replace(microsecond=0) - created_ago
        url = self.client.payment_url(
            txn_ref=txn_ref,
            amount=amount,
            order_info=f"Thanh toán viện phí {txn_ref}",
            ip_addr="10.0.0.21",
            created_at=created_at,
            expires_at=created_at + expires_in,
            bank_code="VNPAYQR",
        )
        return url, created_at


@pytest.fixture
def vnpay_world(serve, receiver_url, receiver_state):
    app = create_vnpay_simulator(
        TMN_CODE,
        VNPAY_SECRET,
        f"{receiver_url}/ipn",
        config=SimConfig(ipn_max_attempts=3, ipn_backoff_s=0.05, ipn_timeout_s=2.0),
    )
    sim_url = serve(app)
    client = VnpayClient(
        tmn_code=TMN_CODE,
        hash_secret=VNPAY_SECRET,
        return_url=f"{receiver_url}/return",
        server_ip="10.0.0.2",
        payment_base_url=f"{sim_url}/paymentv2/vpcpay.html",
        api_url=f"{sim_url}/merchant_webapi/api/transaction",
        timeout=(1.0, 2.0),
    )
    return VnpayWorld(sim_url, app, client, receiver_state)


@pytest.fixture
def bank_sim_url(serve, receiver_url):
    return serve(create_bank_simulator(f"{receiver_url}/bank-webhook", BANK_SECRET, HOSPITAL_ACCOUNT))
