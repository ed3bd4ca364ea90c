"""A third payment method, added the way docs/payments.md says: one provider implementing the
PaymentProvider port, one registry entry. The payment service, the routes and the kiosk are not
touched, yet the method is offered, started, credited by its callback, queried and refunded.

The provider is a tiny in-test e-wallet with its own "wire format" (a query string with a
signature field); the database, the service and the REST API are the real ones (SQLite)."""
from __future__ import annotations

from collections.abc import Mapping

import pytest

from backend.domain import actors
from backend.domain.errors import DomainError
from backend.services import payments as payment_service
from backend.services.ports.payments import (
    AttemptLookup,
    AttemptRecord,
    CallbackAction,
    CallbackOutcome,
    CallbackRequest,
    Confirmation,
    PayerInstructions,
    PaymentGatewayUnavailable,
    PaymentProvider,
    PaymentResult,
    ProviderRegistry,
    RefundOutcome,
    ReturnInfo,
    StartOptions,
    TransactionStatus,
)
from tests.integration.payments_api.conftest import FEE, issue_self_pay, payment_config, payment_settings
from tests.support.app import make_backend

WALLET_SECRET = "wallet-secret"


class WalletProvider:
    """An e-wallet: a payment link per attempt, a signed callback naming it, a status API, refunds."""

    method = "wallet"
    label_vi, label_en = "Ví điện tử", "E-wallet"
    confirmation = Confirmation.ATTEMPT
    min_amount = 1_000
    refunds = True
    queries = True
    configured = True

    def __init__(self):
        self.status: dict[str, str] = {}  # txn_ref -> "paid" | "pending", what its status API says
        self.refunded: list[tuple[str, int, str]] = []
        self.down = False

    def health(self) -> dict[str, str]:
        return {"wallet": "configured"}

    def options(self, raw: Mapping[str, object]) -> StartOptions:
        if raw.get("locale", "vi") not in ("vi", "en"):
            raise DomainError("VALIDATION_ERROR", field="locale")
        return StartOptions(locale=raw.get("locale", "vi"))

    def instructions(self, invoice, attempt: AttemptRecord | None) -> PayerInstructions:
        url = f"https://wallet.test/pay/{attempt.txn_ref}?amount={attempt.amount}"
        return PayerInstructions(url=url, qr_payload=url)

    def handle_callback(self, request: CallbackRequest, lookup: AttemptLookup) -> CallbackOutcome:
        p = request.params
        if p.get("sig") != WALLET_SECRET:
            return CallbackOutcome(CallbackAction.REJECT, "bad_signature", {"ok": "no"})
        view = lookup(p["ref"], None)
        if p.get("explode"):
            raise RuntimeError("the wallet's answer broke something after the look-up")
        if view is None:
            return CallbackOutcome(CallbackAction.IGNORE, "unknown_ref", {"ok": "unknown"}, p["ref"])
        if int(p["amount"]) != view.amount:
            return CallbackOutcome(CallbackAction.IGNORE, "amount_mismatch", {"ok": "amount"}, p["ref"])
        if view.settled:
            return CallbackOutcome(CallbackAction.IGNORE, "already_settled", {"ok": "again"}, p["ref"])
        result = PaymentResult(paid=p["status"] == "S", transaction_no=p.get("wallet_txn"),
                               response_code=p["status"])
        return CallbackOutcome(CallbackAction.CREDIT, "recorded", {"ok": "yes"}, p["ref"], result)

    def failure_answer(self, request: CallbackRequest) -> CallbackOutcome:
        return CallbackOutcome(CallbackAction.IGNORE, "unexpected_error", {"ok": "retry"})

    def query(self, attempt: AttemptRecord) -> TransactionStatus:
        if self.down:
            raise PaymentGatewayUnavailable("wallet down")
        status = self.status.get(attempt.txn_ref, "pending")
        return TransactionStatus(final=status != "pending", amount=attempt.amount,
                                 result=PaymentResult(paid=status == "paid", transaction_no="W-Q1",
                                                      response_code="S" if status == "paid" else "F"))

    def refund(self, attempt: AttemptRecord, *, actor: str) -> RefundOutcome:
        self.refunded.append((attempt.txn_ref, attempt.amount, actor))
        return RefundOutcome(True, "S")

    def verify_return(self, params: Mapping[str, object]) -> ReturnInfo | None:
        return None

    def describe(self, code: str | None, lang: str) -> str:
        return {"S": ("Ví đã trả", "Wallet paid"), "F": ("Ví từ chối", "Wallet declined")}[code][lang == "en"]


@pytest.fixture
def wallet():
    return WalletProvider()


@pytest.fixture
def backend(sqlite_url, tmp_path, clock, wallet):
    # The one registry line of docs/payments.md, here through the composition root's override.
    b = make_backend(sqlite_url, clock=clock, config_path=payment_config(tmp_path),
                     payments=payment_settings(), payment_providers=[wallet])
    yield b
    b.app.extensions["tiepdon"].engine.dispose()


def callback(b, txn_ref: str, amount: int, status="S", sig=WALLET_SECRET):
    params = {"ref": txn_ref, "amount": str(amount), "status": status, "wallet_txn": "W-778", "sig": sig}
    return payment_service.handle_callback(b.deps, "wallet", CallbackRequest(params=params))


def invoice_of(b, ticket) -> dict:
    r = b.client().get(f"/api/v1/invoices/{ticket['invoice']['id']}", headers=b.kiosk_headers())
    assert r.status_code == 200
    return r.get_json()


def test_the_fake_is_a_payment_provider_and_the_registry_offers_it_after_the_built_in_ones(backend, wallet):
    assert isinstance(wallet, PaymentProvider)
    assert payment_service.offered_methods(backend.deps) == ["vietqr", "vnpay", "wallet"]
    health = backend.client().get("/api/v1/health").get_json()
    assert health["checks"]["payments"]["wallet"] == "configured"


def test_starting_records_an_attempt_and_a_retry_gets_the_same_instructions(backend, wallet):
    ticket = issue_self_pay(backend)
    first = payment_service.start(backend.deps, ticket["invoice"]["id"], "wallet", ip_addr="10.0.0.9",
                                  actor="device:k1")
    again = payment_service.start(backend.deps, ticket["invoice"]["id"], "wallet", ip_addr="10.0.0.9")
    assert first.method == "wallet" and first.amount == FEE and first.txn_ref
    assert first.payment_url == f"https://wallet.test/pay/{first.txn_ref}?amount={FEE}"
    assert again.txn_ref == first.txn_ref and again.instructions == first.instructions
    with pytest.raises(DomainError) as bad:
        payment_service.start(backend.deps, ticket["invoice"]["id"], "wallet", options={"locale": "fr"})
    assert bad.value.code == "VALIDATION_ERROR"
    staff = backend.add_staff("thu", "cashier") and backend.login("thu")
    events = staff.get(f"/api/v1/invoices/{ticket['invoice']['id']}").get_json()["events"]
    assert [(e["action"], e["provider"]) for e in events] == [("created", None), ("wallet_started", "wallet")]


def test_its_callback_credits_the_invoice_once_and_releases_the_ticket(backend, wallet):
    ticket = issue_self_pay(backend)
    start = payment_service.start(backend.deps, ticket["invoice"]["id"], "wallet")
    result = callback(backend, start.txn_ref, FEE)
    assert result.outcome.action is CallbackAction.CREDIT and result.answer == {"ok": "yes"}
    body = invoice_of(backend, ticket)
    assert body["status"] == "paid" and body["provider"] == "wallet"
    assert body["attempts"][0]["status"] == "paid"
    assert (body["attempts"][0]["message_vi"], body["attempts"][0]["message_en"]) == ("Ví đã trả", "Wallet paid")
    published = [p for kind, p in backend.publisher.events if kind == "invoice"]
    assert published[-1]["status"] == "paid" and published[-1]["attempt"]["message_en"] == "Wallet paid"
    track = backend.client().get(f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}").get_json()
    assert track["paid"] is True
    again = callback(backend, start.txn_ref, FEE)
    assert again.outcome.action is CallbackAction.IGNORE and again.outcome.reason == "already_settled"
    assert invoice_of(backend, ticket)["status"] == "paid"


def test_a_forged_or_wrong_amount_callback_changes_nothing(backend, wallet):
    ticket = issue_self_pay(backend)
    start = payment_service.start(backend.deps, ticket["invoice"]["id"], "wallet")
    assert callback(backend, start.txn_ref, FEE, sig="forged").outcome.action is CallbackAction.REJECT
    assert callback(backend, start.txn_ref, FEE + 1).outcome.reason == "amount_mismatch"
    # Another provider's callback cannot name this provider's attempt.
    assert callback(backend, "NOT-A-REF", FEE).outcome.reason == "unknown_ref"
    body = invoice_of(backend, ticket)
    assert body["status"] == "pending" and body["attempts"][0]["status"] == "pending"


def test_a_failed_payment_is_recorded_as_failed_and_the_invoice_stays_payable(backend, wallet):
    ticket = issue_self_pay(backend)
    start = payment_service.start(backend.deps, ticket["invoice"]["id"], "wallet")
    callback(backend, start.txn_ref, FEE, status="F")
    body = invoice_of(backend, ticket)
    assert body["status"] == "pending" and body["attempts"][0]["status"] == "failed"
    assert body["attempts"][0]["message_en"] == "Wallet declined"


def test_the_periodic_pass_asks_the_provider_about_attempts_without_a_callback(backend, wallet, clock):
    ticket = issue_self_pay(backend)
    start = payment_service.start(backend.deps, ticket["invoice"]["id"], "wallet")
    clock.advance(minutes=6)
    wallet.down = True
    assert payment_service.reconcile(backend.deps) == {"unavailable": 1}
    wallet.down = False
    wallet.status[start.txn_ref] = "paid"
    assert payment_service.reconcile(backend.deps) == {"checked": 1, "paid": 1}
    assert invoice_of(backend, ticket)["status"] == "paid"


def test_a_gateway_refund_goes_through_the_provider_that_took_the_money(backend, wallet):
    ticket = issue_self_pay(backend)
    start = payment_service.start(backend.deps, ticket["invoice"]["id"], "wallet")
    callback(backend, start.txn_ref, FEE)
    cashier = backend.add_staff("thu", "cashier")
    r = backend.login("thu").post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund", json={"method": "gateway"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "refunded"
    # The one audit actor format (domain/actors.py): staff:<id>, as every refund is recorded.
    assert wallet.refunded == [(start.txn_ref, FEE, actors.staff(cashier.id))]


def test_an_unexpected_fault_while_recording_gets_the_providers_failure_answer(backend, wallet):
    ticket = issue_self_pay(backend)
    start = payment_service.start(backend.deps, ticket["invoice"]["id"], "wallet")
    params = {"ref": start.txn_ref, "amount": str(FEE), "status": "S", "sig": WALLET_SECRET, "explode": "1"}
    result = payment_service.handle_callback(backend.deps, "wallet", CallbackRequest(params=params))
    assert result.answer == {"ok": "retry"}
    assert invoice_of(backend, ticket)["attempts"][0]["status"] == "pending"
    # The write transaction the look-up opened was rolled back: the next callback records.
    assert callback(backend, start.txn_ref, FEE).outcome.action is CallbackAction.CREDIT


def test_the_registry_refuses_a_method_twice_and_names_an_unknown_one():
    registry = ProviderRegistry([WalletProvider()])
    with pytest.raises(ValueError):
        registry.register(WalletProvider())
    with pytest.raises(DomainError) as unknown:
        registry.get("momo")
    assert unknown.value.code == "PAYMENT_PROVIDER_NOT_CONFIGURED"
    assert "wallet" in registry and registry.offered() == ["wallet"]



def test_kiosks_learn_the_offered_methods_from_get_services(backend):
    methods = backend.client().get("/api/v1/services", headers=backend.kiosk_headers()).get_json()["payment_methods"]
    assert methods == [
        {"method": "vietqr", "label_vi": "Chuyển khoản (VietQR)", "label_en": "Bank transfer (VietQR)"},
        {"method": "vnpay", "label_vi": "VNPay", "label_en": "VNPay"},
        {"method": "wallet", "label_vi": "Ví điện tử", "label_en": "E-wallet"},
    ]


def test_the_generic_pay_route_starts_any_method_and_agrees_with_the_dedicated_ones(backend):
    ticket = issue_self_pay(backend)
    url = f"/api/v1/invoices/{ticket['invoice']['id']}"
    c, headers = backend.client(), backend.kiosk_headers()
    wallet = c.post(f"{url}/pay", json={"method": "wallet"}, headers=headers)
    assert wallet.status_code == 200, wallet.get_json()
    body = wallet.get_json()
    assert body["method"] == "wallet" and body["amount"] == FEE and body["account"] is None
    assert body["qr_payload"] == body["payment_url"] == f"https://wallet.test/pay/{body['txn_ref']}?amount={FEE}"
    vnpay = c.post(f"{url}/vnpay", json={}, headers=headers).get_json()
    assert c.post(f"{url}/pay", json={"method": "vnpay"}, headers=headers).get_json()["payment_url"] == vnpay["payment_url"]
    vietqr = c.post(f"{url}/vietqr", json={}, headers=headers).get_json()
    generic = c.post(f"{url}/pay", json={"method": "vietqr"}, headers=headers).get_json()
    assert generic["qr_payload"] == vietqr["qr_payload"] and generic["account"]["account"] == vietqr["account"]
    unknown = c.post(f"{url}/pay", json={"method": "momo"}, headers=headers)
    assert unknown.status_code == 503 and unknown.get_json()["code"] == "PAYMENT_PROVIDER_NOT_CONFIGURED"
    bad = c.post(f"{url}/pay", json={"method": "vnpay", "locale": "fr"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["code"] == "VALIDATION_ERROR"
    assert c.post(f"{url}/pay", json={}, headers=headers).status_code == 422


def test_a_transfer_is_not_refunded_through_a_gateway_even_with_a_refunding_provider_registered(backend):
    from tests.integration.payments_api.conftest import post_webhook, webhook_body

    ticket = issue_self_pay(backend)
    assert post_webhook(backend, webhook_body(ticket["invoice"]["reference"], FEE, "FT1")).get_json()["decision"] == "settle"
    backend.add_staff("thu", "cashier")
    r = backend.login("thu").post(f"/api/v1/invoices/{ticket['invoice']['id']}/refund", json={"method": "gateway"},
                                  headers={"Accept-Language": "en"})
    assert r.status_code == 409 and r.get_json()["code"] == "PAYMENT_NOT_REFUNDABLE"


def test_the_qr_image_of_any_registered_method_comes_from_its_instructions(backend):
    ticket = issue_self_pay(backend)
    url = f"/api/v1/invoices/{ticket['invoice']['id']}"
    c, headers = backend.client(), backend.kiosk_headers()
    not_started = c.get(f"{url}/qr.png?provider=wallet", headers=headers)
    assert not_started.status_code == 409 and not_started.get_json()["code"] == "PAYMENT_NOT_STARTED"
    assert c.post(f"{url}/pay", json={"method": "wallet"}, headers=headers).status_code == 200
    png = c.get(f"{url}/qr.png?provider=wallet", headers=headers)
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.headers["Cache-Control"] == "no-store"
    svg = c.get(f"{url}/qr.svg?provider=wallet&token={ticket['track_token']}")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    # The same image as the payload the start answer gave: the QR of the wallet's payment link.
    assert svg.data == c.get(f"{url}/qr.svg?provider=wallet", headers=headers).data
    unknown = c.get(f"{url}/qr.png?provider=momo", headers={**headers, "Accept-Language": "en"})
    assert unknown.status_code == 422 and unknown.get_json()["code"] == "VALIDATION_ERROR"
    assert unknown.get_json()["errors"] == {"provider": ["Must be one of: vietqr, vnpay, wallet."]}
    assert unknown.get_json()["title"] == "The request data is not valid"
