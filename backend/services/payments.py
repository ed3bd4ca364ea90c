"""Cashless payment use cases: invoices, VNPay (URL, IPN, querydr, refund), VietQR bank transfers,
the cashier's reconciliation list, expiry.

Every change of money happens inside one write transaction with the rows it depends on locked
(the write gate; SELECT ... FOR UPDATE on PostgreSQL), and is published only after the commit.
Calls to VNPay's API are never made while holding the write gate.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy.exc import IntegrityError

from ..domain import invoices as inv_rules
from ..domain.errors import DomainError
from ..domain.lanes import Lane
from ..domain.hospital_time import hospital_day, to_local
from ..domain.invoices import (
    AttemptStatus,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Provider,
)
from ..domain.payments.reference import REFERENCE_PREFIX, new_reference
from ..domain.payments.transfer_matching import ReconcileReason, TransferDecision, match_transfer
from ..domain.payments.vietqr import build_vietqr
from ..domain.payments.vnpay_codes import describe_api_result, describe_response_code
from ..domain.payments.vnpay_ipn import (
    RSP_INVALID_SIGNATURE,
    IpnOutcome,
    unknown_error_outcome,
)
from ..domain.payments.vnpay_payment import BANK_CODES, LOCALES, MIN_AMOUNT_VND
from ..domain.payments.vnpay_signing import VnpayFormatError, parse_vnp_datetime
from ..domain.tickets import Ticket
from ..domain.tokens import new_id
from .context import Deps
from .track_tokens import TrackAccess, track_access
from .ports.payments import (
    BankWebhookAuthenticator,
    PaymentGatewayError,
    PaymentGatewayUnavailable,
    QrRenderer,
    VnpayGateway,
)

log = logging.getLogger("tiepdon.payments")

SYSTEM = "system"
# VNPay transaction statuses that are not a final answer yet (01 not completed) or describe a
# refund of a payment we never heard about (05, 06): querydr leaves such attempts pending.
_NOT_FINAL_STATUSES = frozenset({"01", "05", "06"})


@dataclass(frozen=True)
class PaymentPolicy:
    invoice_ttl_min: int = 15
    bank_bin: str | None = None
    bank_account: str | None = None
    account_name: str | None = None
    bank_name: str | None = None
    reference_prefix: str = REFERENCE_PREFIX
    querydr_after: timedelta = timedelta(minutes=5)
    querydr_window: timedelta = timedelta(hours=24)


@dataclass
class PaymentContext:
    """What bootstrap builds for payments and puts in deps.payments."""

    policy: PaymentPolicy = field(default_factory=PaymentPolicy)
    vnpay: VnpayGateway | None = None
    bank_webhook: BankWebhookAuthenticator | None = None
    qr: QrRenderer | None = None
    jobs_interval_s: float = 0.0  # expiry sweep + querydr in this process every N s; 0 = off


def payments_of(deps: Deps) -> PaymentContext:
    ctx = deps.payments
    if ctx is None:
        ctx = deps.payments = PaymentContext()
    return ctx


# -- publishing after commit ------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value else None


def invoice_event(invoice: Invoice, attempt: dict | None = None) -> dict:
    """The invoice_changed payload: enough for a kiosk to show the result, nothing secret."""
    body = {
        "id": invoice.id,
        "status": invoice.status.value,
        "needs_refund": invoice.needs_refund,
        "amount": invoice.amount,
        "currency": "VND",
        "ticket_id": invoice.ticket_id,
        "device_id": invoice.device_id,
        "paid_at": _iso(invoice.paid_at),
        "provider": invoice.provider,
        "expires_at": _iso(invoice.expires_at),
    }
    if attempt:
        body["attempt"] = attempt
    return body


@dataclass
class _Effects:
    invoices: dict[str, dict] = field(default_factory=dict)
    tickets: list[tuple[Ticket, str]] = field(default_factory=list)

    def invoice(self, invoice: Invoice, attempt: dict | None = None) -> None:
        self.invoices[invoice.id] = invoice_event(invoice, attempt)


def _publish(deps: Deps, effects: _Effects) -> None:
    # The change is committed; a publisher fault must not turn a recorded payment into an error.
    try:
        for ticket, action in effects.tickets:
            deps.publisher.ticket_changed(ticket, action)
        for payload in effects.invoices.values():
            deps.publisher.invoice_changed(payload)
    except Exception as exc:
        log.error("publish after payment failed: %s", type(exc).__name__)


# -- invoices ---------------------------------------------------------------------------------


def open_invoice(uow, deps: Deps, *, amount: int, kind: InvoiceKind, description: str, now: datetime,
                 ticket_id: str | None = None, visit_id: str | None = None,
                 device_id: str | None = None, created_by: str | None = None,
                 due_before_call: bool = False) -> Invoice:
    """A new pending invoice, written inside the caller's transaction."""
    policy = payments_of(deps).policy
    invoice = Invoice(
        id=new_id(),
        amount=inv_rules.validate_amount(amount),
        status=InvoiceStatus.PENDING,
        # 2^40 codes: a clash with another invoice is negligible, and the unique index refuses one.
        reference=new_reference(policy.reference_prefix),
        created_at=now,
        expires_at=inv_rules.expiry_for(now, policy.invoice_ttl_min),
        kind=kind,
        description=inv_rules.clean_description(description),
        visit_id=visit_id,
        ticket_id=ticket_id,
        device_id=device_id,
        due_before_call=due_before_call,
        created_by=created_by,
    )
    uow.invoices.add({
        "id": invoice.id, "visit_id": visit_id, "ticket_id": ticket_id, "kind": kind,
        "description": invoice.description, "amount": invoice.amount, "status": invoice.status,
        "needs_refund": False, "reference": invoice.reference, "created_at": now,
        "expires_at": invoice.expires_at, "device_id": device_id, "due_before_call": due_before_call,
        "created_by": created_by,
    })
    uow.invoices.add_event(invoice.id, now, "created", None, InvoiceStatus.PENDING, created_by,
                           detail={"amount": invoice.amount, "kind": str(kind)})
    return invoice


def device_of(actor: str | None) -> str | None:
    return actor.split(":", 1)[1] if actor and actor.startswith("device:") else None


def open_exam_fee_invoice(uow, deps: Deps, *, ticket_id: str, visit_id: str, service, issued_by: str | None,
                          due_before_call: bool, now: datetime) -> Invoice:
    """The self-pay fee of `service`, created in the same transaction as its ticket."""
    return open_invoice(
        uow, deps, amount=service.fee_vnd, kind=InvoiceKind.EXAM_FEE,
        description=f"Phí khám – {service.name_vi}", now=now, ticket_id=ticket_id, visit_id=visit_id,
        device_id=device_of(issued_by), created_by=issued_by, due_before_call=due_before_call,
    )


def ticket_invoice(uow, deps: Deps, ticket_id: str) -> Invoice | None:
    """The invoice a ticket's JSON shows: its exam fee if it has one, else its latest charge."""
    invoices = uow.invoices.for_ticket(ticket_id)
    if not invoices:
        return None
    fees = [i for i in invoices if i.kind is InvoiceKind.EXAM_FEE]
    return inv_rules.as_of((fees or invoices)[-1], deps.clock())


def create_charge(deps: Deps, *, amount: int, description: str, actor: str,
                  ticket_id: str | None = None, visit_id: str | None = None) -> Invoice:
    """A later charge on a visit, pushed by a cashier or the HIS."""
    if not ticket_id and not visit_id:
        raise DomainError("VALIDATION_ERROR", field="ticket_id")
    now = deps.clock()
    effects = _Effects()
    with deps.uow.write() as uow:
        if ticket_id:
            ticket = uow.tickets.get(ticket_id)
            if ticket is None:
                raise DomainError("TICKET_NOT_FOUND")
            if visit_id and visit_id != ticket.visit_id:
                raise DomainError("VALIDATION_ERROR", field="visit_id")
            visit_id = ticket.visit_id
        elif uow.visits.get(visit_id) is None:
            raise DomainError("VISIT_NOT_FOUND")
        invoice = open_invoice(uow, deps, amount=amount, kind=InvoiceKind.CHARGE, description=description,
                               now=now, ticket_id=ticket_id, visit_id=visit_id, created_by=actor)
        uow.audit.add(now, actor, "invoice.create", invoice.id, str(amount))
        uow.commit()
    effects.invoice(invoice)
    _publish(deps, effects)
    log.info("charge created invoice=%s by=%s", invoice.id, actor)
    return invoice


@dataclass(frozen=True)
class InvoiceDetails:
    invoice: Invoice
    attempts: list = field(default_factory=list)
    events: list = field(default_factory=list)
    reconciliation: list = field(default_factory=list)


def _patient_access(uow, deps: Deps, invoice: Invoice, token: str):
    """The invoice's ticket, or any ticket of its visit (a charge on the visit is the patient's
    too), proved by the track token and within the token's lifetime (tickets.track_access)."""
    tickets = []
    if invoice.ticket_id:
        ticket = uow.tickets.get(invoice.ticket_id)
        tickets += [ticket] if ticket is not None else []
    if invoice.visit_id:
        tickets += [t for t in uow.tickets.for_visit(invoice.visit_id) if t.id != invoice.ticket_id]
    seen = {track_access(deps, t, token) for t in tickets}
    for answer in (TrackAccess.VALID, TrackAccess.EXPIRED):
        if answer in seen:
            return answer
    return TrackAccess.INVALID


def _staff_may_see(uow, invoice: Invoice, lane: Lane) -> bool:
    """An invoice of a ticket belongs to that ticket's service; a charge on the visit (no ticket)
    to every service the visit went through."""
    if lane.unlimited:
        return True
    if invoice.ticket_id:
        ticket = uow.tickets.get(invoice.ticket_id)
        return ticket is not None and lane.covers_service(ticket.service_code)
    return bool(invoice.visit_id) and lane.covers_any(t.service_code for t in uow.tickets.for_visit(invoice.visit_id))


def invoice_details(deps: Deps, invoice_id: str, *, token: str | None = None,
                    with_history: bool = False, lane: Lane | None = None) -> InvoiceDetails:
    """The invoice as of now (lazy expiry). With `token`, only if it proves the patient's ticket;
    with `lane` (a member of staff's), only if the invoice is in it."""
    with deps.uow.read() as uow:
        invoice = uow.invoices.get(invoice_id)
        # Same answer for "no such invoice" and "not yours": ids cannot be probed with a phone.
        if invoice is None:
            raise DomainError("INVOICE_NOT_FOUND")
        if token is not None:
            access = _patient_access(uow, deps, invoice, token)
            if access is TrackAccess.EXPIRED:
                raise DomainError("TRACK_TOKEN_EXPIRED")
            if access is not TrackAccess.VALID:
                raise DomainError("INVOICE_NOT_FOUND")
        if lane is not None and not _staff_may_see(uow, invoice, lane):
            raise DomainError("FORBIDDEN")
        attempts = uow.payment_attempts.for_invoice(invoice_id)
        events = uow.invoices.events(invoice_id) if with_history else []
        items = uow.reconciliation.listing(None, invoice_id=invoice_id) if with_history or invoice.needs_refund else []
    return InvoiceDetails(inv_rules.as_of(invoice, deps.clock()), attempts, events, _opened(deps, items))


def require_patient_access(deps: Deps, invoice_id: str, token: str) -> None:
    invoice_details(deps, invoice_id, token=token)


def require_staff_access(deps: Deps, invoice_id: str, lane: Lane) -> None:
    """Staff pay or show an invoice only inside their invoice lane (auth.invoice_lane_of)."""
    if not lane.unlimited:
        invoice_details(deps, invoice_id, lane=lane)


# -- VNPay: starting a payment ----------------------------------------------------------------


@dataclass(frozen=True)
class VnpayStart:
    invoice_id: str
    txn_ref: str
    amount: int
    payment_url: str
    expires_at: datetime

    @property
    def qr_payload(self) -> str:
        # VNPAYQR: the banking app opens the signed payment URL itself.
        return self.payment_url


def _vnpay(deps: Deps) -> VnpayGateway:
    gateway = payments_of(deps).vnpay
    if gateway is None:
        raise DomainError("PAYMENT_PROVIDER_NOT_CONFIGURED", provider="vnpay")
    return gateway


def _attempt_url(gateway: VnpayGateway, invoice: Invoice, attempt) -> str:
    # Deterministic in the stored fields, so a retried request gets the very same URL back.
    return gateway.payment_url(
        txn_ref=attempt.txn_ref, amount=attempt.amount, order_info=f"Thanh toan vien phi {invoice.reference}",
        ip_addr=attempt.ip_addr, created_at=attempt.created_at, expires_at=attempt.expires_at,
        bank_code=attempt.bank_code, locale=attempt.locale,
    )


def start_vnpay(deps: Deps, invoice_id: str, *, ip_addr: str, bank_code: str | None = "VNPAYQR",
                locale: str = "vn", device_id: str | None = None, actor: str | None = None) -> VnpayStart:
    """A signed VNPay payment URL for the invoice. An open attempt with the same options is reused,
    so a kiosk that retries never puts two payable URLs for one invoice into circulation."""
    gateway = _vnpay(deps)
    if bank_code is not None and bank_code not in BANK_CODES:
        raise DomainError("VALIDATION_ERROR", field="bank_code")
    if locale not in LOCALES:
        raise DomainError("VALIDATION_ERROR", field="locale")
    now = deps.clock()
    with deps.uow.write() as uow:
        invoice = uow.invoices.get(invoice_id, for_update=True)
        if invoice is None:
            raise DomainError("INVOICE_NOT_FOUND")
        inv_rules.require_payable(invoice, now)
        if invoice.amount < MIN_AMOUNT_VND:
            raise DomainError("PAYMENT_AMOUNT_INVALID", provider="vnpay")
        attempts = uow.payment_attempts.for_invoice(invoice.id)
        latest = attempts[-1] if attempts else None
        if (latest is not None and latest.status == AttemptStatus.PENDING and latest.bank_code == bank_code
                and latest.locale == locale and latest.expires_at > now):
            attempt = latest
        else:
            txn_ref = inv_rules.txn_ref_for(invoice.reference, len(attempts) + 1)
            values = {
                "txn_ref": txn_ref, "invoice_id": invoice.id, "provider": Provider.VNPAY,
                "amount": invoice.amount, "status": AttemptStatus.PENDING, "bank_code": bank_code,
                "locale": locale, "ip_addr": ip_addr[:64], "device_id": device_id, "created_at": now,
                "expires_at": invoice.expires_at,
            }
            uow.payment_attempts.add(values)
            uow.invoices.add_event(invoice.id, now, "vnpay_started", invoice.status, invoice.status, actor,
                                   Provider.VNPAY, {"txn_ref": txn_ref, "bank_code": bank_code})
            attempt = uow.payment_attempts.get(txn_ref)
        if device_id and device_id != invoice.device_id:
            uow.invoices.update(invoice.id, {"device_id": device_id})
        try:
            url = _attempt_url(gateway, invoice, attempt)
        except VnpayFormatError:
            raise DomainError("PAYMENT_AMOUNT_INVALID", provider="vnpay") from None
        uow.commit()
    return VnpayStart(invoice.id, attempt.txn_ref, attempt.amount, url, attempt.expires_at)


# -- VNPay: IPN, return page, querydr, refund -------------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    """VNPay's final word on one attempt, from the IPN or from querydr."""

    paid: bool
    transaction_no: str | None = None
    pay_bank_code: str | None = None
    pay_date: datetime | None = None
    response_code: str | None = None
    transaction_status: str | None = None


def _attempt_summary(txn_ref: str, status: str, response_code: str | None) -> dict:
    return {"txn_ref": txn_ref, "status": str(status), "response_code": response_code,
            "message_vi": describe_response_code(response_code, "vi") if response_code else None,
            "message_en": describe_response_code(response_code, "en") if response_code else None}


def _mark_ticket_paid(uow, invoice: Invoice, now: datetime, actor: str, effects: _Effects) -> None:
    if not invoice.ticket_id:
        return
    # A ticket is paid when nothing payable is left on it: a lab charge paid first does not release
    # a ticket whose exam fee is still open, while a replacement for an expired fee does.
    if uow.invoices.other_open_for_ticket(invoice.ticket_id, invoice.id, now):
        return
    ticket = uow.invoices.mark_ticket_paid(invoice.ticket_id)
    if ticket is None:
        return
    uow.tickets.add_event(ticket.id, now, "paid", ticket.status.value, ticket.status.value, actor,
                          ticket.service_point)
    # Queue screens change only when the payment releases a ticket held from call-next; anything
    # else about the payment reaches them through invoice_changed (which names the ticket).
    if ticket.payment_required:
        effects.tickets.append((ticket, "paid"))


def _apply(uow, invoice: Invoice, change: inv_rules.Change | None, now: datetime, actor: str | None,
           provider: str | None = None, detail: dict | None = None) -> Invoice:
    if change is None:
        return invoice
    uow.invoices.update(invoice.id, change.values)
    uow.invoices.add_event(invoice.id, now, change.action, change.from_status, change.to_status, actor,
                           provider, detail)
    return change.applied_to(invoice)


def _hold_for_refund(uow, invoice: Invoice, now: datetime, *, source: str, amount: int, actor: str,
                     txn_ref: str | None = None, bank_transaction_id: str | None = None,
                     reason: str | None = None) -> Invoice:
    """Money we must not keep: record it for the cashier and flag the invoice."""
    refund_reason = inv_rules.refund_reason_for(invoice)
    invoice = _apply(uow, invoice, inv_rules.expire(invoice, now), now, SYSTEM)
    uow.reconciliation.add({
        "id": new_id(), "source": source, "reason": reason or refund_reason.value, "status": "open",
        "amount": amount, "expected_amount": invoice.amount, "invoice_id": invoice.id,
        "reference": invoice.reference, "bank_transaction_id": bank_transaction_id, "txn_ref": txn_ref,
        "created_at": now,
    })
    detail = {"txn_ref": txn_ref} if txn_ref else {"bank_transaction_id": bank_transaction_id}
    return _apply(uow, invoice, inv_rules.flag_refund(invoice, refund_reason), now, actor, source, detail)


def _record_attempt_result(uow, invoice: Invoice, attempt, result: AttemptResult, now: datetime,
                           via: str, effects: _Effects) -> str:
    """Write VNPay's final answer for a still-pending attempt. Returns the new attempt status."""
    values = {"settled_at": now, "settled_via": via, "response_code": result.response_code,
              "transaction_status": result.transaction_status, "transaction_no": result.transaction_no,
              "pay_bank_code": result.pay_bank_code, "pay_date": result.pay_date}
    actor = f"vnpay:{via}"
    if not result.paid:
        status = AttemptStatus.FAILED
        uow.payment_attempts.update(attempt.txn_ref, {**values, "status": status})
        uow.invoices.add_event(invoice.id, now, "payment_failed", invoice.status, invoice.status, actor,
                               Provider.VNPAY, {"txn_ref": attempt.txn_ref, "response_code": result.response_code,
                                                "transaction_status": result.transaction_status})
    elif inv_rules.accepts_money_at(invoice, inv_rules.payment_moment(result.pay_date, now)):
        status = AttemptStatus.PAID
        uow.payment_attempts.update(attempt.txn_ref, {**values, "status": status})
        change = inv_rules.pay(invoice, now, Provider.VNPAY, moment=inv_rules.payment_moment(result.pay_date, now))
        invoice = _apply(uow, invoice, change, now, actor, Provider.VNPAY,
                         {"txn_ref": attempt.txn_ref, "transaction_no": result.transaction_no, "via": via})
        _mark_ticket_paid(uow, invoice, now, actor, effects)
    else:
        status = AttemptStatus.LATE
        uow.payment_attempts.update(attempt.txn_ref, {**values, "status": status})
        invoice = _hold_for_refund(uow, invoice, now, source=Provider.VNPAY, amount=attempt.amount, actor=actor,
                                   txn_ref=attempt.txn_ref)
    effects.invoice(inv_rules.as_of(invoice, now), _attempt_summary(attempt.txn_ref, status, result.response_code))
    return status


def _reported_pay_date(params: Mapping[str, object]) -> datetime | None:
    try:
        return parse_vnp_datetime(params.get("vnp_PayDate")) if params.get("vnp_PayDate") else None
    except VnpayFormatError:
        return None


def handle_vnpay_ipn(deps: Deps, params: Mapping[str, object]) -> dict[str, str]:
    """VNPay's IPN: classify in VNPay's order, record at most once, answer {"RspCode", "Message"}.

    classify_ipn checks the signature first and only then looks the attempt up; the write
    transaction opens inside that look-up, so a forged call never takes the write lock, and the
    amount / already-confirmed checks and the recording all happen under it.
    Never raises: an unexpected fault rolls back and answers 99 so VNPay retries.
    """
    gateway = payments_of(deps).vnpay
    if gateway is None:
        log.warning("vnpay ipn rsp=97 reason=not_configured")
        return IpnOutcome(RSP_INVALID_SIGNATURE, "not_configured").response_body()
    effects = _Effects()
    txn_ref = params.get("vnp_TxnRef") if isinstance(params.get("vnp_TxnRef"), str) else None
    try:
        with ExitStack() as transaction:
            loaded: dict = {}

            def lookup(ref: str):
                uow = loaded["uow"] = transaction.enter_context(deps.uow.write())
                now = loaded["now"] = deps.clock()
                attempt, invoice = uow.payment_attempts.get_with_invoice(ref, for_update=True)
                if attempt is None:
                    return None
                loaded.update(attempt=attempt, invoice=invoice)
                moment = inv_rules.payment_moment(_reported_pay_date(params), now)
                return inv_rules.payment_view(invoice, attempt.amount, attempt.status != AttemptStatus.PENDING, moment)

            outcome = gateway.classify_ipn(params, lookup)
            if outcome.should_record:
                result = AttemptResult(
                    paid=bool(outcome.paid), transaction_no=outcome.transaction_no,
                    pay_bank_code=outcome.bank_code, pay_date=outcome.pay_date,
                    response_code=outcome.response_code, transaction_status=outcome.transaction_status,
                )
                _record_attempt_result(loaded["uow"], loaded["invoice"], loaded["attempt"], result,
                                       loaded["now"], "ipn", effects)
                loaded["uow"].commit()
    except Exception as exc:
        # Only the exception's type: its text may quote SQL parameters taken from the query.
        log.error("vnpay ipn rsp=99 txn_ref=%s error=%s", txn_ref, type(exc).__name__)
        return unknown_error_outcome(txn_ref).response_body()
    log_ipn = log.warning if outcome.rsp_code == RSP_INVALID_SIGNATURE else log.info
    log_ipn("vnpay ipn txn_ref=%s rsp=%s reason=%s", outcome.txn_ref, outcome.rsp_code, outcome.reason)
    _publish(deps, effects)
    return outcome.response_body()


@dataclass(frozen=True)
class ReturnView:
    """What the browser's return page may say. It changes nothing: only the IPN records payments."""

    signature_ok: bool
    response_code: str | None
    invoice: Invoice | None


def vnpay_return(deps: Deps, params: Mapping[str, object]) -> ReturnView:
    gateway = payments_of(deps).vnpay
    if gateway is None or not gateway.verify_return(params):
        return ReturnView(False, None, None)
    invoice = None
    txn_ref = params.get("vnp_TxnRef")
    if isinstance(txn_ref, str):
        with deps.uow.read() as uow:
            attempt = uow.payment_attempts.get(txn_ref)
            if attempt is not None:
                invoice = uow.invoices.get(attempt.invoice_id)
    code = params.get("vnp_ResponseCode")
    return ReturnView(True, code if isinstance(code, str) else None,
                      inv_rules.as_of(invoice, deps.clock()) if invoice else None)


def reconcile_vnpay(deps: Deps, limit: int = 50, min_age: timedelta | None = None) -> dict[str, int]:
    """Ask VNPay (querydr) about attempts whose IPN has not come, and record final answers.

    Attempts younger than `min_age` (default policy.querydr_after) are left to the IPN; older than
    policy.querydr_window to the cashier. A pass stops at the first sign that VNPay is unreachable.
    """
    ctx = payments_of(deps)
    report: Counter = Counter()
    if ctx.vnpay is None:
        return dict(report)
    now = deps.clock()
    min_age = ctx.policy.querydr_after if min_age is None else min_age
    with deps.uow.read() as uow:
        candidates = uow.payment_attempts.awaiting_answer(now - min_age, now - ctx.policy.querydr_window, limit)
    effects = _Effects()
    for candidate in candidates:
        try:
            result = ctx.vnpay.querydr(txn_ref=candidate.txn_ref, transaction_date=candidate.created_at)
        except PaymentGatewayUnavailable:
            report["unavailable"] += 1
            break
        except PaymentGatewayError:
            report["invalid_answer"] += 1
            continue
        report["checked"] += 1
        final = result.found and result.signed and result.transaction_status not in (None, *_NOT_FINAL_STATUSES)
        if final and result.amount is not None and result.amount != candidate.amount:
            log.error("vnpay querydr txn_ref=%s reason=amount_mismatch", candidate.txn_ref)
            report["amount_mismatch"] += 1
            final = False
        with deps.uow.write() as uow:
            attempt = uow.payment_attempts.get(candidate.txn_ref, for_update=True)
            if final and attempt.status == AttemptStatus.PENDING:
                invoice = uow.invoices.get(attempt.invoice_id, for_update=True)
                status = _record_attempt_result(
                    uow, invoice, attempt,
                    AttemptResult(paid=result.paid, transaction_no=result.transaction_no,
                                  pay_bank_code=result.bank_code, pay_date=result.pay_date,
                                  transaction_status=result.transaction_status),
                    deps.clock(), "querydr", effects)
                report[str(status)] += 1
            uow.payment_attempts.update(candidate.txn_ref, {"queried_at": deps.clock()})
            uow.commit()
    _publish(deps, effects)
    if report:
        log.info("vnpay querydr pass %s", dict(report))
    return dict(report)


# -- VietQR -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VietQrStart:
    invoice_id: str
    qr_payload: str
    bank_bin: str
    bank_name: str | None
    account: str
    account_name: str | None
    amount: int
    reference: str
    expires_at: datetime


def _vietqr_payload(policy: PaymentPolicy, invoice: Invoice) -> str:
    if not (policy.bank_bin and policy.bank_account):
        raise DomainError("PAYMENT_PROVIDER_NOT_CONFIGURED", provider="vietqr")
    # Only the reference goes in the purpose: banks cut long purposes, and matching needs it whole.
    return build_vietqr(policy.bank_bin, policy.bank_account, invoice.amount, invoice.reference)


def start_vietqr(deps: Deps, invoice_id: str, *, device_id: str | None = None) -> VietQrStart:
    policy = payments_of(deps).policy
    now = deps.clock()
    with deps.uow.read() as uow:
        invoice = uow.invoices.get(invoice_id)
    if invoice is None:
        raise DomainError("INVOICE_NOT_FOUND")
    inv_rules.require_payable(invoice, now)
    payload = _vietqr_payload(policy, invoice)
    if device_id and device_id != invoice.device_id:
        with deps.uow.write() as uow:
            uow.invoices.update(invoice.id, {"device_id": device_id})
            uow.commit()
    return VietQrStart(invoice.id, payload, policy.bank_bin, policy.bank_name, policy.bank_account,
                       policy.account_name, invoice.amount, invoice.reference, invoice.expires_at)


def qr_image(deps: Deps, invoice_id: str, provider: str, fmt: str) -> bytes | str:
    """PNG bytes or SVG text of the invoice's QR: VietQR, or the open VNPay attempt's URL."""
    ctx = payments_of(deps)
    now = deps.clock()
    with deps.uow.read() as uow:
        invoice = uow.invoices.get(invoice_id)
        if invoice is None:
            raise DomainError("INVOICE_NOT_FOUND")
        inv_rules.require_payable(invoice, now)
        if provider == Provider.VIETQR:
            payload = _vietqr_payload(ctx.policy, invoice)
        else:
            gateway = _vnpay(deps)
            open_attempts = [a for a in uow.payment_attempts.for_invoice(invoice.id)
                             if a.status == AttemptStatus.PENDING and a.expires_at > now]
            if not open_attempts:
                raise DomainError("PAYMENT_NOT_STARTED")
            payload = _attempt_url(gateway, invoice, open_attempts[-1])
    if ctx.qr is None:
        raise DomainError("SERVICE_UNAVAILABLE")
    return ctx.qr.png(payload) if fmt == "png" else ctx.qr.svg(payload)


# -- bank transfers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferResult:
    decision: str  # settle | reconcile | duplicate
    reason: str | None = None
    invoice_id: str | None = None


def handle_bank_webhook(deps: Deps, headers: Mapping[str, str], raw_body: bytes) -> TransferResult:
    """One incoming transfer: authenticate, then settle its invoice once, or hand it to the cashier.

    Raises WebhookRejected / WebhookMalformed from the authenticator for the route to answer.
    """
    ctx = payments_of(deps)
    if ctx.bank_webhook is None:
        raise DomainError("PAYMENT_PROVIDER_NOT_CONFIGURED", provider="bank")
    transfer = ctx.bank_webhook.authenticate(headers, raw_body)
    effects = _Effects()
    try:
        with deps.uow.write() as uow:
            now = deps.clock()
            moment = inv_rules.payment_moment(transfer.transferred_at, now)
            found: dict[str, Invoice] = {}

            def find(references: list[str]):
                for invoice in uow.invoices.by_references(references, for_update=True):
                    found[invoice.reference] = invoice
                return {ref: inv_rules.transfer_view(invoice, moment) for ref, invoice in found.items()}

            match = match_transfer(
                transfer,
                our_accounts=[ctx.policy.bank_account] if ctx.policy.bank_account else [],
                already_recorded=uow.bank_transfers.exists(transfer.transaction_id),
                find_invoices=find,
                prefix=ctx.policy.reference_prefix,
            )
            if match.decision is TransferDecision.DUPLICATE:
                log.info("bank transfer txn=%s decision=duplicate", transfer.transaction_id)
                return TransferResult("duplicate")
            invoice = found.get(match.reference) if match.reference else None
            # Inserted first: on PostgreSQL a concurrent delivery of the same transaction blocks here
            # and then fails on the primary key, instead of settling a second time.
            uow.bank_transfers.add({
                "transaction_id": transfer.transaction_id, "account": transfer.account,
                "amount": transfer.amount, "content": "", "transferred_at": transfer.transferred_at,
                "received_at": now, "bank_bin": transfer.bank_bin, "payer_enc": _seal_payer(deps, transfer),
                "decision": str(match.decision),
                "reason": str(match.reason) if match.reason else None,
                "invoice_id": invoice.id if invoice else None, "reference": match.reference,
            })
            actor = f"bank:{transfer.transaction_id}"
            if match.decision is TransferDecision.SETTLE:
                change = inv_rules.pay(invoice, now, Provider.VIETQR, moment=moment)
                invoice = _apply(uow, invoice, change, now, actor, Provider.VIETQR,
                                 {"bank_transaction_id": transfer.transaction_id})
                _mark_ticket_paid(uow, invoice, now, actor, effects)
                effects.invoice(invoice)
            elif invoice is not None and match.reason in (ReconcileReason.LATE, ReconcileReason.ALREADY_PAID):
                invoice = _hold_for_refund(uow, invoice, now, source=Provider.VIETQR, amount=transfer.amount,
                                           actor=actor, bank_transaction_id=transfer.transaction_id,
                                           reason=str(match.reason))
                effects.invoice(inv_rules.as_of(invoice, now))
            else:
                uow.reconciliation.add({
                    "id": new_id(), "source": Provider.VIETQR, "reason": str(match.reason), "status": "open",
                    "amount": transfer.amount, "expected_amount": match.expected_amount,
                    "invoice_id": invoice.id if invoice else None, "reference": match.reference,
                    "bank_transaction_id": transfer.transaction_id, "txn_ref": None, "created_at": now,
                })
            uow.commit()
    except IntegrityError:
        with deps.uow.read() as uow:
            if uow.bank_transfers.exists(transfer.transaction_id):
                log.info("bank transfer txn=%s decision=duplicate (concurrent)", transfer.transaction_id)
                return TransferResult("duplicate")
        raise
    log.info("bank transfer txn=%s decision=%s reason=%s", transfer.transaction_id, match.decision, match.reason)
    _publish(deps, effects)
    return TransferResult(str(match.decision), str(match.reason) if match.reason else None,
                          invoice.id if invoice is not None and match.decision is TransferDecision.SETTLE else None)


# -- reconciliation ---------------------------------------------------------------------------

CATEGORIES = {
    ReconcileReason.UNKNOWN_REFERENCE: "unmatched",
    ReconcileReason.AMBIGUOUS_REFERENCE: "unmatched",
    ReconcileReason.WRONG_ACCOUNT: "unmatched",
    ReconcileReason.WRONG_AMOUNT: "wrong_amount",
    ReconcileReason.LATE: "late",
    ReconcileReason.ALREADY_PAID: "duplicate",
}
RESOLUTIONS = ("apply", "returned", "dismiss")


def reconciliation_list(deps: Deps, status: str | None, actor: str) -> list:
    with deps.uow.write() as uow:
        rows = uow.reconciliation.listing(status)
        # Transfer contents name the payer: every staff read is audited.
        uow.audit.add(deps.clock(), actor, "payments.reconciliation.read", None, status or "all")
        uow.commit()
    return _opened(deps, rows)


# -- the payer's data: encrypted at rest ------------------------------------------------------

_PAYER_FIELDS = ("content", "sender_name", "sender_account")


def _seal_payer(deps: Deps, transfer) -> str:
    return deps.pii.encrypt({k: getattr(transfer, k) for k in _PAYER_FIELDS})


def _opened(deps: Deps, rows: list) -> list:
    """Listing rows with the payer's data decrypted (still to be masked by whoever shows it)."""
    out = []
    for r in rows:
        values = dict(r._mapping)
        sealed = values.pop("payer_enc", None)
        if sealed:
            values.update(deps.pii.decrypt(sealed))
        out.append(SimpleNamespace(**values))
    return out


def seal_clear_transfers(deps: Deps) -> int:
    """Encrypts the payer's data of transfers an earlier version stored in clear (before migration
    0007); run at start-up, so such rows do not outlive the upgrade. Returns how many it sealed."""
    sealed = 0
    while True:
        with deps.uow.read() as uow:
            rows = uow.bank_transfers.in_clear()
        if not rows:
            return sealed
        with deps.uow.write() as uow:
            for r in rows:
                uow.bank_transfers.seal(r.transaction_id, _seal_payer(deps, r))
            uow.commit()
        sealed += len(rows)
        log.info("bank transfers sealed: %d", len(rows))


def _refresh_refund_flag(uow, invoice_id: str | None, now: datetime, actor: str) -> Invoice | None:
    if not invoice_id:
        return None
    invoice = uow.invoices.get(invoice_id, for_update=True)
    still_owed = bool(uow.reconciliation.open_refunds_for_invoice(invoice_id, inv_rules.REFUND_REASONS))
    return _apply(uow, invoice, inv_rules.clear_refund_flag(invoice, still_owed), now, actor)


def resolve_reconciliation(deps: Deps, item_id: str, action: str, actor: str, *,
                           invoice_id: str | None = None, note: str | None = None):
    """The cashier's decision on money the system could not apply.

    apply     settle `invoice_id` (default: the item's invoice) with this money; amounts must match
    returned  the money went back to the payer outside the system
    dismiss   nothing to do (e.g. a test transfer); a note is required
    """
    if action not in RESOLUTIONS:
        raise DomainError("VALIDATION_ERROR", field="action")
    if action == "dismiss" and not (note and note.strip()):
        raise DomainError("VALIDATION_ERROR", field="note")
    now = deps.clock()
    effects = _Effects()
    with deps.uow.write() as uow:
        item = uow.reconciliation.get(item_id, for_update=True)
        if item is None:
            raise DomainError("RECONCILIATION_ITEM_NOT_FOUND")
        if item.status != "open":
            raise DomainError("RECONCILIATION_ALREADY_RESOLVED")
        touched = {item.invoice_id}
        if action == "apply":
            target_id = invoice_id or item.invoice_id
            if not target_id:
                raise DomainError("VALIDATION_ERROR", field="invoice_id")
            target = uow.invoices.get(target_id, for_update=True)
            if target is None:
                raise DomainError("INVOICE_NOT_FOUND")
            if target.amount != item.amount:
                raise DomainError("PAYMENT_AMOUNT_MISMATCH")
            target = _apply(uow, target, inv_rules.expire(target, now), now, SYSTEM)
            detail = {"reconciliation_item": item.id, "txn_ref": item.txn_ref,
                      "bank_transaction_id": item.bank_transaction_id}
            change = inv_rules.pay(target, now, item.source, accept_expired=True)
            target = _apply(uow, target, change, now, actor, item.source, detail)
            if item.txn_ref and target.id == item.invoice_id:
                uow.payment_attempts.update(item.txn_ref, {"status": AttemptStatus.PAID})
            _mark_ticket_paid(uow, target, now, actor, effects)
            touched.add(target.id)
            effects.invoice(target)
        elif action == "returned" and item.txn_ref:
            uow.payment_attempts.update(item.txn_ref, {"status": AttemptStatus.REFUNDED, "refunded_at": now})
        uow.reconciliation.update(item.id, {"status": "resolved", "resolved_at": now, "resolved_by": actor,
                                            "resolution": action, "note": (note or "").strip()[:500] or None})
        for touched_id in touched:
            refreshed = _refresh_refund_flag(uow, touched_id, now, actor)
            if refreshed is not None:
                effects.invoice(inv_rules.as_of(refreshed, now))
        uow.audit.add(now, actor, "payments.reconciliation.resolve", item.id, action)
        item = uow.reconciliation.get(item.id)
        uow.commit()
    _publish(deps, effects)
    log.info("reconciliation item=%s resolved=%s by=%s", item.id, action, actor)
    return item


# -- refunds ----------------------------------------------------------------------------------


def refund_invoice(deps: Deps, invoice_id: str, actor: str, *, method: str = "gateway",
                   reason: str | None = None) -> Invoice:
    """Give money back. Money held for refund (late or duplicate payments) goes first; otherwise the
    payment that settled the invoice. `gateway` refunds a VNPay payment through VNPay; `manual`
    records money a cashier handed back by other means (cash, bank transfer)."""
    if method not in ("gateway", "manual"):
        raise DomainError("VALIDATION_ERROR", field="method")
    now = deps.clock()
    with deps.uow.read() as uow:
        invoice = uow.invoices.get(invoice_id)
        if invoice is None:
            raise DomainError("INVOICE_NOT_FOUND")
        held = uow.reconciliation.open_refunds_for_invoice(invoice_id, inv_rules.REFUND_REASONS)
        attempts = {a.txn_ref: a for a in uow.payment_attempts.for_invoice(invoice_id)}
    if held:
        item = next((i for i in held if i.txn_ref), None) if method == "gateway" else held[0]
        if item is None:
            raise DomainError("PAYMENT_NOT_REFUNDABLE", detail="bank transfers are returned by the cashier (method=manual)")
        attempt = attempts.get(item.txn_ref) if item.txn_ref else None
    elif invoice.status is InvoiceStatus.PAID:
        item = None
        attempt = next((a for a in attempts.values() if a.status == AttemptStatus.PAID), None)
        if method == "gateway" and (invoice.provider != Provider.VNPAY or attempt is None):
            raise DomainError("PAYMENT_NOT_REFUNDABLE", detail="only VNPay payments are refunded through the gateway")
    else:
        raise DomainError("PAYMENT_NOT_REFUNDABLE")
    if method == "gateway":
        result = _vnpay(deps).refund(
            txn_ref=attempt.txn_ref, amount=attempt.amount, full=True, transaction_no=attempt.transaction_no,
            transaction_date=attempt.created_at, create_by=actor[:64],
        )
        if not result.accepted:
            log.warning("vnpay refund invoice=%s txn_ref=%s result=%s", invoice_id, attempt.txn_ref,
                        result.response_code)
            raise DomainError("PAYMENT_REFUND_REFUSED", detail=describe_api_result(result.response_code, "en"),
                              vnpay_code=result.response_code)
    effects = _Effects()
    detail = {"method": method, "reason": (reason or "")[:200] or None,
              "txn_ref": attempt.txn_ref if attempt else None}
    with deps.uow.write() as uow:
        current = uow.invoices.get(invoice_id, for_update=True)
        if item is not None:
            uow.reconciliation.update(item.id, {"status": "resolved", "resolved_at": now, "resolved_by": actor,
                                                "resolution": "refunded" if method == "gateway" else "returned",
                                                "note": detail["reason"]})
            uow.invoices.add_event(current.id, now, "payment_returned", current.status, current.status, actor,
                                   item.source, detail)
            current = _refresh_refund_flag(uow, current.id, now, actor)
        else:
            current = _apply(uow, current, inv_rules.refund(current, now), now, actor, current.provider, detail)
            if current.ticket_id and uow.invoices.mark_ticket_unpaid(current.ticket_id):
                effects.tickets.append((uow.tickets.get(current.ticket_id), "unpaid"))
        if attempt is not None:
            uow.payment_attempts.update(attempt.txn_ref, {"status": AttemptStatus.REFUNDED, "refunded_at": now})
        uow.audit.add(now, actor, "invoice.refund", invoice_id, method)
        uow.commit()
    current = inv_rules.as_of(current, now)
    effects.invoice(current)
    _publish(deps, effects)
    log.info("refund invoice=%s method=%s by=%s", invoice_id, method, actor)
    return current


# -- expiry and the periodic pass -------------------------------------------------------------


def expire_overdue(deps: Deps, limit: int = 200) -> int:
    """Write down what lazy reads already show: pending invoices past their window are expired."""
    effects = _Effects()
    with deps.uow.write() as uow:
        now = deps.clock()
        for invoice in uow.invoices.overdue_pending(now, limit):
            effects.invoice(_apply(uow, invoice, inv_rules.expire(invoice, now), now, SYSTEM))
        uow.commit()
    _publish(deps, effects)
    return len(effects.invoices)


def run_payment_jobs(deps: Deps, min_age: timedelta | None = None) -> dict[str, int]:
    report = {"expired": expire_overdue(deps)}
    report.update(reconcile_vnpay(deps, min_age=min_age))
    return report


def find_invoice(deps: Deps, ident: str) -> Invoice:
    """An invoice by its id, its ticket's id, or today's ticket number ("N001"): for the demo CLI."""
    now = deps.clock()
    with deps.uow.read() as uow:
        invoice = uow.invoices.get(ident)
        if invoice is None:
            tickets = [t for t in [uow.tickets.get(ident)] if t] or uow.tickets.find_by_number(
                hospital_day(now), ident.strip().upper())
            for ticket in reversed(tickets):
                invoice = ticket_invoice(uow, deps, ticket.id)
                if invoice is not None:
                    break
    if invoice is None:
        raise DomainError("INVOICE_NOT_FOUND")
    return inv_rules.as_of(invoice, now)
