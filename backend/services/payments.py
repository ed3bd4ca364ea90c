"""Cashless payment use cases: invoices, starting a payment with any registered provider, its
callbacks, queries and refunds, bank transfers, the cashier's reconciliation list, expiry.

Providers (VNPay, VietQR, ...) implement services.ports.payments.PaymentProvider and are found by
method name in the registry bootstrap builds; nothing here knows a provider's wire format.

Every change of money happens inside one write transaction with the rows it depends on locked
(the write gate; SELECT ... FOR UPDATE on PostgreSQL), and is published only after the commit.
Calls to a provider's API are never made while holding the write gate.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from ..domain import actors
from ..domain import invoices as inv_rules
from ..domain.errors import DomainError
from ..domain.lanes import Lane
from ..domain.hospital_time import hospital_day, hospital_day_start, to_local
from ..domain.invoices import (
    AttemptStatus,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
)
from ..domain.payments.reference import REFERENCE_PREFIX, new_reference
from ..domain.payments.transfer_matching import ReconcileReason, TransferDecision, match_transfer
from ..domain.tickets import Ticket
from ..domain.tokens import new_id
from .context import Deps
from .track_tokens import TrackAccess, track_access
from .ports.payments import (
    CallbackAction,
    CallbackOutcome,
    CallbackRequest,
    Confirmation,
    PayerInstructions,
    PaymentGatewayError,
    PaymentGatewayUnavailable,
    PaymentProvider,
    PaymentResult,
    ProviderRegistry,
    QrRenderer,
)
from .ports.uow import AlreadyExists

log = logging.getLogger("tiepdon.payments")

SYSTEM = actors.SYSTEM


@dataclass(frozen=True)
class PaymentPolicy:
    invoice_ttl_min: int = 15
    reference_prefix: str = REFERENCE_PREFIX
    querydr_after: timedelta = timedelta(minutes=5)
    querydr_window: timedelta = timedelta(hours=24)


@dataclass
class PaymentContext:
    """What bootstrap builds for payments and puts in deps.payments."""

    policy: PaymentPolicy = field(default_factory=PaymentPolicy)
    providers: ProviderRegistry = field(default_factory=ProviderRegistry)
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
        "at_cashier": invoice.at_cashier,
        "receipt": receipt_body(invoice),
    }
    if attempt:
        body["attempt"] = attempt
    return body


def receipt_body(invoice: Invoice) -> dict | None:
    """The invoice's `receipt` (API: invoice JSON and invoice.updated), once paid."""
    receipt = inv_rules.receipt_of(invoice)
    if receipt is None:
        return None
    return {"number": receipt.number, "amount": receipt.amount, "method": receipt.method,
            "reference": receipt.reference, "paid_at": _iso(receipt.paid_at)}


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
    uow.invoices.add(invoice)
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


# -- starting a payment, with any provider ----------------------------------------------------


def providers_of(deps: Deps) -> ProviderRegistry:
    return payments_of(deps).providers


def offered_methods(deps: Deps) -> list[str]:
    """The payment methods a payer may choose now, in the hospital's order (kiosks show these)."""
    return providers_of(deps).offered()


def method_choices(deps: Deps) -> list[dict]:
    """The offered methods with the words for their buttons (GET /services "payment_methods")."""
    registry = providers_of(deps)
    return [{"method": m, "label_vi": registry.get(m).label_vi, "label_en": registry.get(m).label_en}
            for m in registry.offered()]


@dataclass(frozen=True)
class PaymentStart:
    """What the payer needs to pay `invoice_id` with `method`."""

    invoice_id: str
    method: str
    amount: int
    reference: str
    expires_at: datetime
    instructions: PayerInstructions
    txn_ref: str | None = None  # ATTEMPT providers: the attempt the payer pays

    @property
    def payment_url(self) -> str | None:
        return self.instructions.url

    @property
    def qr_payload(self) -> str | None:
        return self.instructions.qr_payload


def _require_configured(provider: PaymentProvider) -> None:
    if not provider.configured:
        raise DomainError("PAYMENT_PROVIDER_NOT_CONFIGURED", provider=provider.method)


def start(deps: Deps, invoice_id: str, method: str, *, options: Mapping[str, object] | None = None,
          ip_addr: str = "", device_id: str | None = None, actor: str | None = None) -> PaymentStart:
    """Start paying an invoice with `method`. ATTEMPT providers get a payment attempt (an open one
    with the same options is reused, so a kiosk that retries never puts two payable URLs for one
    invoice into circulation); TRANSFER providers need none (the invoice's reference is enough)."""
    provider = providers_of(deps).get(method)
    if provider.confirmation is Confirmation.ATTEMPT:
        return _start_attempt(deps, provider, invoice_id, options or {}, ip_addr, device_id, actor)
    return _start_transfer(deps, provider, invoice_id, device_id)


def _start_attempt(deps: Deps, provider: PaymentProvider, invoice_id: str, raw: Mapping[str, object],
                   ip_addr: str, device_id: str | None, actor: str | None) -> PaymentStart:
    _require_configured(provider)
    opts = provider.options(raw)
    now = deps.clock()
    with deps.uow.write() as uow:
        invoice = _locked_invoice(uow, invoice_id)
        inv_rules.require_payable(invoice, now)
        if invoice.amount < provider.min_amount:
            raise DomainError("PAYMENT_AMOUNT_INVALID", provider=provider.method)
        attempts = uow.payment_attempts.for_invoice(invoice.id)
        latest = attempts[-1] if attempts else None
        if (latest is not None and latest.status == AttemptStatus.PENDING and latest.provider == provider.method
                and latest.bank_code == opts.bank_code and latest.locale == opts.locale and latest.expires_at > now):
            attempt = latest
        else:
            txn_ref = inv_rules.txn_ref_for(invoice.reference, len(attempts) + 1)
            uow.payment_attempts.add(
                txn_ref=txn_ref, invoice_id=invoice.id, provider=provider.method,
                amount=invoice.amount, bank_code=opts.bank_code,
                locale=opts.locale, ip_addr=ip_addr[:64], device_id=device_id, created_at=now,
                expires_at=invoice.expires_at,
            )
            uow.invoices.add_event(invoice.id, now, f"{provider.method}_started", invoice.status, invoice.status,
                                   actor, provider.method, {"txn_ref": txn_ref, "bank_code": opts.bank_code})
            attempt = uow.payment_attempts.get(txn_ref)
        if device_id and device_id != invoice.device_id:
            uow.invoices.set_device(invoice.id, device_id)
        instructions = provider.instructions(invoice, attempt)  # a refusal rolls the attempt back
        uow.commit()
    return PaymentStart(invoice.id, provider.method, attempt.amount, invoice.reference, attempt.expires_at,
                        instructions, attempt.txn_ref)


def _start_transfer(deps: Deps, provider: PaymentProvider, invoice_id: str, device_id: str | None) -> PaymentStart:
    now = deps.clock()
    with deps.uow.read() as uow:
        invoice = uow.invoices.get(invoice_id)
    if invoice is None:
        raise DomainError("INVOICE_NOT_FOUND")
    inv_rules.require_payable(invoice, now)
    if invoice.amount < provider.min_amount:
        raise DomainError("PAYMENT_AMOUNT_INVALID", provider=provider.method)
    instructions = provider.instructions(invoice, None)
    if device_id and device_id != invoice.device_id:
        with deps.uow.write() as uow:
            uow.invoices.set_device(invoice.id, device_id)
            uow.commit()
    return PaymentStart(invoice.id, provider.method, invoice.amount, invoice.reference, invoice.expires_at,
                        instructions)


def qr_image(deps: Deps, invoice_id: str, method: str, fmt: str) -> bytes | str:
    """PNG bytes or SVG text of the invoice's QR for `method`: the open attempt's, for ATTEMPT
    providers (PAYMENT_NOT_STARTED without one)."""
    ctx = payments_of(deps)
    provider = ctx.providers.get(method)
    now = deps.clock()
    with deps.uow.read() as uow:
        invoice = uow.invoices.get(invoice_id)
        if invoice is None:
            raise DomainError("INVOICE_NOT_FOUND")
        inv_rules.require_payable(invoice, now)
        attempt = None
        if provider.confirmation is Confirmation.ATTEMPT:
            _require_configured(provider)
            open_attempts = [a for a in uow.payment_attempts.for_invoice(invoice.id)
                             if a.status == AttemptStatus.PENDING and a.expires_at > now and a.provider == method]
            if not open_attempts:
                raise DomainError("PAYMENT_NOT_STARTED")
            attempt = open_attempts[-1]
        payload = provider.instructions(invoice, attempt).qr_payload
    if ctx.qr is None or not payload:
        raise DomainError("SERVICE_UNAVAILABLE")
    return ctx.qr.png(payload) if fmt == "png" else ctx.qr.svg(payload)


# -- recording what providers tell us ---------------------------------------------------------


def describe_code(deps: Deps, method: str | None, code: str | None, lang: str) -> str | None:
    """A provider's result code in words, for attempts and the return page."""
    provider = providers_of(deps).find(method)
    return provider.describe(code, lang) if provider is not None and code else None


def _attempt_summary(deps: Deps, method: str, txn_ref: str, status: str, response_code: str | None) -> dict:
    return {"txn_ref": txn_ref, "status": str(status), "response_code": response_code,
            "message_vi": describe_code(deps, method, response_code, "vi"),
            "message_en": describe_code(deps, method, response_code, "en")}


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


def _locked_invoice(uow, invoice_id: str) -> Invoice:
    invoice = uow.invoices.get(invoice_id, for_update=True)
    if invoice is None:
        raise DomainError("INVOICE_NOT_FOUND")
    return invoice


def _apply(uow, invoice: Invoice, change: inv_rules.Change | None, now: datetime, actor: str | None,
           provider: str | None = None, detail: dict | None = None) -> Invoice:
    if change is None:
        return invoice
    uow.invoices.apply(invoice.id, change)
    uow.invoices.add_event(invoice.id, now, change.action, change.from_status, change.to_status, actor,
                           provider, detail)
    return change.applied_to(invoice)


def _hold_for_refund(uow, invoice: Invoice, now: datetime, *, source: str, amount: int, actor: str,
                     txn_ref: str | None = None, bank_transaction_id: str | None = None,
                     reason: str | None = None) -> Invoice:
    """Money we must not keep: record it for the cashier and flag the invoice."""
    refund_reason = inv_rules.refund_reason_for(invoice)
    if refund_reason is inv_rules.RefundReason.VOID:
        reason = None  # "late" to the matching policy, but the cashier must read why: its ticket is gone
    invoice = _apply(uow, invoice, inv_rules.expire(invoice, now), now, SYSTEM)
    uow.reconciliation.add(
        id=new_id(), source=source, reason=reason or refund_reason.value,
        amount=amount, expected_amount=invoice.amount, invoice_id=invoice.id,
        reference=invoice.reference, bank_transaction_id=bank_transaction_id, txn_ref=txn_ref,
        created_at=now,
    )
    detail = {"txn_ref": txn_ref} if txn_ref else {"bank_transaction_id": bank_transaction_id}
    return _apply(uow, invoice, inv_rules.flag_refund(invoice, refund_reason), now, actor, source, detail)


def _record_attempt_result(deps: Deps, uow, invoice: Invoice, attempt, result: PaymentResult, now: datetime,
                           via: str, effects: _Effects) -> str:
    """Write a provider's final answer for a still-pending attempt. Returns the new attempt status."""
    method = attempt.provider
    answer = {"at": now, "via": via, "response_code": result.response_code,
              "transaction_status": result.transaction_status, "transaction_no": result.transaction_no,
              "pay_bank_code": result.pay_bank_code, "pay_date": result.pay_date}
    actor = f"{method}:{via}"
    if not result.paid:
        status = AttemptStatus.FAILED
        uow.payment_attempts.settle(attempt.txn_ref, status=status, **answer)
        uow.invoices.add_event(invoice.id, now, "payment_failed", invoice.status, invoice.status, actor,
                               method, {"txn_ref": attempt.txn_ref, "response_code": result.response_code,
                                                "transaction_status": result.transaction_status})
    elif inv_rules.accepts_money_at(invoice, inv_rules.payment_moment(result.pay_date, now)):
        status = AttemptStatus.PAID
        uow.payment_attempts.settle(attempt.txn_ref, status=status, **answer)
        change = inv_rules.pay(invoice, now, method, moment=inv_rules.payment_moment(result.pay_date, now),
                               payment_ref=result.transaction_no)
        invoice = _apply(uow, invoice, change, now, actor, method,
                         {"txn_ref": attempt.txn_ref, "transaction_no": result.transaction_no, "via": via})
        _mark_ticket_paid(uow, invoice, now, actor, effects)
    else:
        status = AttemptStatus.LATE
        uow.payment_attempts.settle(attempt.txn_ref, status=status, **answer)
        invoice = _hold_for_refund(uow, invoice, now, source=method, amount=attempt.amount, actor=actor,
                                   txn_ref=attempt.txn_ref)
    effects.invoice(inv_rules.as_of(invoice, now), _attempt_summary(deps, method, attempt.txn_ref, status, result.response_code))
    return status



@dataclass(frozen=True)
class TransferResult:
    decision: str  # settle | reconcile | duplicate
    reason: str | None = None
    invoice_id: str | None = None


@dataclass(frozen=True)
class CallbackResult:
    """The provider's reading of a callback and, for a transfer, what it did to our invoices."""

    outcome: CallbackOutcome
    transfer: TransferResult | None = None

    @property
    def answer(self):
        return self.outcome.answer


def handle_callback(deps: Deps, method: str, request: CallbackRequest) -> CallbackResult:
    """A provider's call to us: the provider authenticates and classifies it, we record at most once.

    For ATTEMPT providers the write transaction opens inside the provider's look-up, which it makes
    only once the call is authentic: a forged call never takes the write lock, and the amount /
    already-confirmed checks and the recording all happen under it. A provider with a
    failure_answer never sees an exception: an unexpected fault rolls back and answers that
    (VNPay: 99, so it retries).
    """
    provider = providers_of(deps).get(method)
    effects = _Effects()
    try:
        with ExitStack() as transaction:
            loaded: dict = {}

            def lookup(ref: str, reported_at: datetime | None):
                uow = loaded["uow"] = transaction.enter_context(deps.uow.write())
                now = loaded["now"] = deps.clock()
                attempt, invoice = uow.payment_attempts.get_with_invoice(ref, for_update=True)
                if attempt is None or attempt.provider != method:
                    return None
                loaded.update(attempt=attempt, invoice=invoice)
                moment = inv_rules.payment_moment(reported_at, now)
                return inv_rules.payment_view(invoice, attempt.amount, attempt.status != AttemptStatus.PENDING, moment)

            outcome = provider.handle_callback(request, lookup)
            if outcome.action is CallbackAction.CREDIT and outcome.result is not None:
                _record_attempt_result(deps, loaded["uow"], loaded["invoice"], loaded["attempt"], outcome.result,
                                       loaded["now"], "ipn", effects)
                loaded["uow"].commit()
    except Exception as exc:
        failure = provider.failure_answer(request)
        if failure is None:
            raise
        # Only the exception's type: its text may quote SQL parameters taken from the query.
        log.error("%s callback rsp=%s txn_ref=%s error=%s", method, failure.code, failure.txn_ref,
                  type(exc).__name__)
        return CallbackResult(failure)
    if outcome.action is CallbackAction.CREDIT and outcome.transfer is not None:
        return CallbackResult(outcome, _settle_transfer(deps, method, outcome.transfer, outcome.accounts))
    # After the commit, never under the write gate. The answer and the reason only: never the
    # signature or the query, which names the payer.
    log_callback = log.warning if outcome.action is CallbackAction.REJECT else log.info
    log_callback("%s callback txn_ref=%s rsp=%s action=%s reason=%s", method, outcome.txn_ref, outcome.code,
                 outcome.action, outcome.reason)
    _publish(deps, effects)
    return CallbackResult(outcome)


@dataclass(frozen=True)
class ReturnView:
    """What the browser's return page may say. It changes nothing: only callbacks record payments."""

    signature_ok: bool
    response_code: str | None
    invoice: Invoice | None
    reported_paid: bool = False
    message_vi: str | None = None
    message_en: str | None = None


def payment_return(deps: Deps, method: str, params: Mapping[str, object]) -> ReturnView:
    provider = providers_of(deps).get(method)
    info = provider.verify_return(params)
    if info is None:
        return ReturnView(False, None, None)
    invoice = None
    if info.txn_ref:
        with deps.uow.read() as uow:
            attempt = uow.payment_attempts.get(info.txn_ref)
            if attempt is not None:
                invoice = uow.invoices.get(attempt.invoice_id)
    return ReturnView(True, info.response_code, inv_rules.as_of(invoice, deps.clock()) if invoice else None,
                      info.reported_paid, provider.describe(info.response_code, "vi"),
                      provider.describe(info.response_code, "en"))


def reconcile(deps: Deps, limit: int = 50, min_age: timedelta | None = None) -> dict[str, int]:
    """Ask providers (VNPay: querydr) about attempts whose callback has not come, and record final
    answers.

    Attempts younger than `min_age` (default policy.querydr_after) are left to the callback; older
    than policy.querydr_window to the cashier. A pass stops at the first sign that a provider is
    unreachable.
    """
    ctx = payments_of(deps)
    report: Counter = Counter()
    askable = {p.method: p for p in ctx.providers if p.queries and p.configured}
    if not askable:
        return dict(report)
    now = deps.clock()
    min_age = ctx.policy.querydr_after if min_age is None else min_age
    with deps.uow.read() as uow:
        candidates = uow.payment_attempts.awaiting_answer(now - min_age, now - ctx.policy.querydr_window, limit)
    effects = _Effects()
    for candidate in candidates:
        provider = askable.get(candidate.provider)
        if provider is None:
            continue
        try:
            status = provider.query(candidate)
        except PaymentGatewayUnavailable:
            report["unavailable"] += 1
            break
        except PaymentGatewayError:
            report["invalid_answer"] += 1
            continue
        report["checked"] += 1
        final = status.final
        if final and status.amount is not None and status.amount != candidate.amount:
            log.error("%s query txn_ref=%s reason=amount_mismatch", provider.method, candidate.txn_ref)
            report["amount_mismatch"] += 1
            final = False
        with deps.uow.write() as uow:
            attempt = uow.payment_attempts.get(candidate.txn_ref, for_update=True)
            if final and attempt.status == AttemptStatus.PENDING:
                invoice = uow.invoices.get(attempt.invoice_id, for_update=True)
                recorded = _record_attempt_result(deps, uow, invoice, attempt, status.result, deps.clock(),
                                                  "querydr", effects)
                report[str(recorded)] += 1
            uow.payment_attempts.mark_queried(candidate.txn_ref, deps.clock())
            uow.commit()
    _publish(deps, effects)
    if report:
        log.info("payment query pass %s", dict(report))
    return dict(report)


def _settle_transfer(deps: Deps, method: str, transfer, accounts: tuple[str, ...]) -> TransferResult:
    """One authenticated incoming transfer: settle its invoice once, or hand it to the cashier."""
    ctx = payments_of(deps)
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
                our_accounts=list(accounts),
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
            uow.bank_transfers.add(
                transaction_id=transfer.transaction_id, account=transfer.account,
                amount=transfer.amount, transferred_at=transfer.transferred_at,
                received_at=now, bank_bin=transfer.bank_bin, payer_enc=_seal_payer(deps, transfer),
                decision=str(match.decision),
                reason=str(match.reason) if match.reason else None,
                invoice_id=invoice.id if invoice else None, reference=match.reference,
            )
            actor = f"bank:{transfer.transaction_id}"  # the bank, whichever method it confirms
            if match.decision is TransferDecision.SETTLE:
                change = inv_rules.pay(invoice, now, method, moment=moment, payment_ref=transfer.transaction_id)
                invoice = _apply(uow, invoice, change, now, actor, method,
                                 {"bank_transaction_id": transfer.transaction_id})
                _mark_ticket_paid(uow, invoice, now, actor, effects)
                effects.invoice(invoice)
            elif invoice is not None and match.reason in (ReconcileReason.LATE, ReconcileReason.ALREADY_PAID):
                invoice = _hold_for_refund(uow, invoice, now, source=method, amount=transfer.amount,
                                           actor=actor, bank_transaction_id=transfer.transaction_id,
                                           reason=str(match.reason))
                effects.invoice(inv_rules.as_of(invoice, now))
            else:
                uow.reconciliation.add(
                    id=new_id(), source=method, reason=str(match.reason),
                    amount=transfer.amount, expected_amount=match.expected_amount,
                    invoice_id=invoice.id if invoice else None, reference=match.reference,
                    bank_transaction_id=transfer.transaction_id, created_at=now,
                )
            uow.commit()
    except AlreadyExists:
        with deps.uow.read() as uow:
            if uow.bank_transfers.exists(transfer.transaction_id):
                log.info("bank transfer txn=%s decision=duplicate (concurrent)", transfer.transaction_id)
                return TransferResult("duplicate")
        raise
    reason = match.reason
    if invoice is not None and invoice.status is InvoiceStatus.VOID and reason is ReconcileReason.LATE:
        reason = inv_rules.RefundReason.VOID
    log.info("bank transfer txn=%s decision=%s reason=%s", transfer.transaction_id, match.decision, reason)
    _publish(deps, effects)
    return TransferResult(str(match.decision), str(reason) if reason else None,
                          invoice.id if invoice is not None and match.decision is TransferDecision.SETTLE else None)


# -- reconciliation ---------------------------------------------------------------------------

CATEGORIES = {
    ReconcileReason.UNKNOWN_REFERENCE: "unmatched",
    ReconcileReason.AMBIGUOUS_REFERENCE: "unmatched",
    ReconcileReason.WRONG_ACCOUNT: "unmatched",
    ReconcileReason.WRONG_AMOUNT: "wrong_amount",
    ReconcileReason.LATE: "late",
    ReconcileReason.ALREADY_PAID: "duplicate",
    inv_rules.RefundReason.VOID: "void",
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
            change = inv_rules.pay(target, now, item.source, accept_expired=True,
                                   payment_ref=item.bank_transaction_id or item.txn_ref)
            target = _apply(uow, target, change, now, actor, item.source, detail)
            if item.txn_ref and target.id == item.invoice_id:
                uow.payment_attempts.mark_paid(item.txn_ref)
            _mark_ticket_paid(uow, target, now, actor, effects)
            touched.add(target.id)
            effects.invoice(target)
        elif action == "returned" and item.txn_ref:
            uow.payment_attempts.mark_refunded(item.txn_ref, now)
        uow.reconciliation.resolve(item.id, at=now, by=actor, resolution=action,
                                   note=(note or "").strip()[:500] or None)
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
    payment that settled the invoice. `gateway` refunds through the provider that took the money
    (one that `refunds`, e.g. VNPay); `manual` records money a cashier handed back by other means
    (cash, bank transfer)."""
    if method not in ("gateway", "manual"):
        raise DomainError("VALIDATION_ERROR", field="method")
    now = deps.clock()
    with deps.uow.read() as uow:
        invoice = uow.invoices.get(invoice_id)
        if invoice is None:
            raise DomainError("INVOICE_NOT_FOUND")
        held = uow.reconciliation.open_refunds_for_invoice(invoice_id, inv_rules.REFUND_REASONS)
        attempts = {a.txn_ref: a for a in uow.payment_attempts.for_invoice(invoice_id)}
    registry = providers_of(deps)
    if held:
        item = next((i for i in held if i.txn_ref), None) if method == "gateway" else held[0]
        if item is None:
            raise DomainError("PAYMENT_NOT_REFUNDABLE", detail="bank transfers are returned by the cashier (method=manual)")
        attempt = attempts.get(item.txn_ref) if item.txn_ref else None
        paid_with = registry.find(attempt.provider if attempt else item.source)
    elif invoice.status is InvoiceStatus.PAID:
        item = None
        attempt = next((a for a in attempts.values() if a.status == AttemptStatus.PAID), None)
        paid_with = registry.find(invoice.provider)
        if method == "gateway" and (paid_with is None or not paid_with.refunds or attempt is None
                                    or attempt.provider != invoice.provider):
            refunders = " / ".join(p.label_en for p in registry if p.refunds) or "gateway"
            raise DomainError("PAYMENT_NOT_REFUNDABLE", detail=f"only {refunders} payments are refunded through the gateway")
    else:
        raise DomainError("PAYMENT_NOT_REFUNDABLE")
    if method == "gateway":
        if paid_with is None:
            raise DomainError("PAYMENT_PROVIDER_NOT_CONFIGURED", provider=attempt.provider)
        _require_configured(paid_with)
        result = paid_with.refund(attempt, actor=actor)
        if not result.accepted:
            log.warning("%s refund invoice=%s txn_ref=%s result=%s", paid_with.method, invoice_id, attempt.txn_ref,
                        result.code)
            raise DomainError("PAYMENT_REFUND_REFUSED", detail=result.detail, **result.extensions)
    effects = _Effects()
    detail = {"method": method, "reason": (reason or "")[:200] or None,
              "txn_ref": attempt.txn_ref if attempt else None}
    with deps.uow.write() as uow:
        current = uow.invoices.get(invoice_id, for_update=True)
        if item is not None:
            uow.reconciliation.resolve(item.id, at=now, by=actor,
                                       resolution="refunded" if method == "gateway" else "returned",
                                       note=detail["reason"])
            uow.invoices.add_event(current.id, now, "payment_returned", current.status, current.status, actor,
                                   item.source, detail)
            current = _refresh_refund_flag(uow, current.id, now, actor)
        else:
            current = _apply(uow, current, inv_rules.refund(current, now), now, actor, current.provider, detail)
            if current.ticket_id and uow.invoices.mark_ticket_unpaid(current.ticket_id):
                effects.tickets.append((uow.tickets.get(current.ticket_id), "unpaid"))
        if attempt is not None:
            uow.payment_attempts.mark_refunded(attempt.txn_ref, now)
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
    report.update(reconcile(deps, min_age=min_age))
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


# -- the cashier's desk: void on cancel, pay at the cashier, cash and card ---------------------


def void_ticket_invoices(uow, ticket_id: str, now: datetime, actor: str) -> list[Invoice]:
    """Inside the caller's transaction (a ticket being cancelled): its unpaid invoices ask for
    nothing any more. Money that still comes for them is held for refund (see _hold_for_refund)."""
    voided = []
    for invoice in uow.invoices.unpaid_for_ticket(ticket_id, for_update=True):
        voided.append(_apply(uow, invoice, inv_rules.void(invoice, now), now, actor))
    return voided


def publish_voided(deps: Deps, invoices: list[Invoice]) -> None:
    effects = _Effects()
    for invoice in invoices:
        effects.invoice(invoice)
    _publish(deps, effects)


def send_to_cashier(deps: Deps, invoice_id: str, actor: str) -> Invoice:
    """The patient pays at the desk (kiosk button, the kiosk's deadline with on_timeout = cashier,
    or the phone): the invoice stays pending and no QR window closes it; the ticket keeps its number."""
    now = deps.clock()
    effects = _Effects()
    with deps.uow.write() as uow:
        invoice = _locked_invoice(uow, invoice_id)
        change = inv_rules.send_to_cashier(inv_rules.as_of(invoice, now), now, deps.catalog.cashier)
        invoice = _apply(uow, invoice, change, now, actor)
        uow.commit()
    if change is not None:
        effects.invoice(invoice)
        _publish(deps, effects)
        log.info("invoice=%s to be paid at the cashier by=%s", invoice.id, actor)
    return inv_rules.as_of(invoice, now)


def record_counter_payment(deps: Deps, invoice_id: str, method: str, receipt_no: object, actor: str) -> Invoice:
    """Cash or card taken by a cashier (`actor`, a staff member of a money role) against the printed
    receipt number: the invoice is paid, the ticket released, the audit log says who."""
    now = deps.clock()
    effects = _Effects()
    with deps.uow.write() as uow:
        invoice = _locked_invoice(uow, invoice_id)
        change = inv_rules.pay_at_counter(invoice, now, method, receipt_no)
        invoice = _apply(uow, invoice, inv_rules.expire(invoice, now), now, SYSTEM)
        invoice = _apply(uow, invoice, change, now, actor, method, {"receipt_no": change.values["receipt_no"]})
        _mark_ticket_paid(uow, invoice, now, actor, effects)
        uow.audit.add(now, actor, "invoice.cash", invoice.id, f"{method} {change.values['receipt_no']}")
        uow.commit()
    effects.invoice(invoice)
    _publish(deps, effects)
    log.info("counter payment invoice=%s method=%s by=%s", invoice.id, method, actor)
    return invoice


@dataclass(frozen=True)
class PendingAtDesk:
    invoice: Invoice
    ticket_number: str | None
    service_code: str | None
    name_masked: str | None


def cashier_pending(deps: Deps, lane: Lane, actor: str, limit: int = 500) -> list[PendingAtDesk]:
    """Today's invoices nobody has paid (pending, sent to the cashier, or past their QR window),
    oldest first, within the member's invoice lane. The masked names make it a read of personal
    data: audited."""
    now = deps.clock()
    start = hospital_day_start(now)
    with deps.uow.write() as uow:
        rows = uow.invoices.unpaid_since(start, limit)
        uow.audit.add(now, actor, "cashier.pending.read", None, str(len(rows)))
        uow.commit()
    out = []
    for r in rows:
        if r.service_code is not None and not lane.covers_service(r.service_code):
            continue
        if r.ticket_status == "cancelled":  # voided with it; an older row from before 0009 may linger
            continue
        out.append(PendingAtDesk(inv_rules.as_of(r.invoice, now), r.display_number, r.service_code, r.name_masked))
    return out
