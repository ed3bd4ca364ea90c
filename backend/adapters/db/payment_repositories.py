"""Repositories for invoices, VNPay attempts, bank transfers and reconciliation items (Core).

`for_update=True` takes a row lock on PostgreSQL (SELECT ... FOR UPDATE), so two processes
settling the same invoice queue up behind each other; SQLite has one writer at a time anyway
(the write gate), where the clause is simply not rendered.
"""
import json
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ...domain.invoices import AttemptStatus, Change, Invoice, InvoiceKind, InvoiceStatus
from ...domain.tickets import Ticket
from ...services.ports.uow import AlreadyExists
from .identity_models import PatientRow
from .models import TicketRow, VisitRow
from .payment_models import (
    BankTransferRow,
    InvoiceEventRow,
    InvoiceRow,
    PaymentAttemptRow,
    ReconciliationItemRow,
)
from .repositories import row_to_ticket

INV = InvoiceRow.__table__
EV = InvoiceEventRow.__table__
ATT = PaymentAttemptRow.__table__
BT = BankTransferRow.__table__
REC = ReconciliationItemRow.__table__
TICKETS = TicketRow.__table__
VISITS = VisitRow.__table__
PATIENTS = PatientRow.__table__

# The IPN path runs under load: its statements are built once with bound parameters.
_INVOICE_BY_ID = select(INV).where(INV.c.id == bindparam("id"))
_INVOICE_BY_ID_LOCKED = _INVOICE_BY_ID.with_for_update()
_ATTEMPT_BY_REF = select(ATT).where(ATT.c.txn_ref == bindparam("ref"))
_ATTEMPT_BY_REF_LOCKED = _ATTEMPT_BY_REF.with_for_update()
_ATTEMPT_WITH_INVOICE = (
    select(*[c.label(f"a_{c.name}") for c in ATT.c], *[c.label(f"i_{c.name}") for c in INV.c])
    .select_from(ATT.join(INV, INV.c.id == ATT.c.invoice_id))
    .where(ATT.c.txn_ref == bindparam("ref"))
)
_ATTEMPT_WITH_INVOICE_LOCKED = _ATTEMPT_WITH_INVOICE.with_for_update()
_INSERT_EVENT = insert(EV)
_INSERT_INVOICE = insert(INV)
_INSERT_ATTEMPT = insert(ATT)
_MARK_TICKET_PAID = (
    update(TICKETS)
    .where(and_(TICKETS.c.id == bindparam("tid"), TICKETS.c.paid.is_(False)))
    .values(paid=True)
    .returning(*TICKETS.c)
)

_LOCK_TICKET = select(TICKETS.c.id).where(TICKETS.c.id == bindparam("tid")).with_for_update()
# Two EXISTS, not one with an OR: each keeps the (ticket_id, status, expires_at) index search.
_OTHER_OPEN = select(or_(
    exists().where(INV.c.ticket_id == bindparam("tid"), INV.c.id != bindparam("iid"),
                   INV.c.status == InvoiceStatus.PENDING.value, INV.c.expires_at > bindparam("now")),
    # sent to the cashier: still owed whatever its QR window says
    exists().where(INV.c.ticket_id == bindparam("tid"), INV.c.id != bindparam("iid"),
                   INV.c.status == InvoiceStatus.PENDING.value, INV.c.at_cashier.is_(True)),
))


@lru_cache(maxsize=64)
def _update_by_key(table_name: str, keys: frozenset[str]):
    """UPDATE <table> SET <keys> WHERE <primary key> = :_pk, built once per set of columns."""
    table = {t.name: t for t in (INV, ATT)}[table_name]
    pk = next(iter(table.primary_key.columns))
    # Bound names differ from column names: SQLAlchemy reserves those for its own SET parameters.
    return update(table).where(pk == bindparam("_pk")).values({k: bindparam(f"v_{k}") for k in keys})


def _update(conn: Connection, table, key: str, values: dict) -> None:
    params = {f"v_{k}": v for k, v in _plain(values).items()}
    conn.execute(_update_by_key(table.name, frozenset(values)), {"_pk": key, **params})


def row_to_invoice(r) -> Invoice:
    return Invoice(
        id=r.id,
        amount=r.amount,
        status=InvoiceStatus(r.status),
        reference=r.reference,
        created_at=r.created_at,
        expires_at=r.expires_at,
        kind=InvoiceKind(r.kind),
        description=r.description or "",
        visit_id=r.visit_id,
        ticket_id=r.ticket_id,
        needs_refund=bool(r.needs_refund),
        paid_at=r.paid_at,
        refunded_at=r.refunded_at,
        provider=r.provider,
        device_id=r.device_id,
        due_before_call=bool(r.due_before_call),
        created_by=r.created_by,
        at_cashier=bool(r.at_cashier),
        receipt_no=r.receipt_no,
        payment_ref=r.payment_ref,
    )


def _plain(values: dict) -> dict:
    # Enum members go to the database as their text values.
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}


class InvoiceRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, invoice: Invoice) -> None:
        """A new invoice (no payment on it yet)."""
        self.conn.execute(_INSERT_INVOICE, _plain({
            "id": invoice.id, "visit_id": invoice.visit_id, "ticket_id": invoice.ticket_id,
            "kind": invoice.kind, "description": invoice.description, "amount": invoice.amount,
            "status": invoice.status, "needs_refund": invoice.needs_refund,
            "reference": invoice.reference, "created_at": invoice.created_at,
            "expires_at": invoice.expires_at, "device_id": invoice.device_id,
            "due_before_call": invoice.due_before_call, "created_by": invoice.created_by,
        }))

    def get(self, invoice_id: str, for_update: bool = False) -> Invoice | None:
        stmt = _INVOICE_BY_ID_LOCKED if for_update else _INVOICE_BY_ID
        r = self.conn.execute(stmt, {"id": invoice_id}).first()
        return row_to_invoice(r) if r else None

    def by_references(self, references: list[str], for_update: bool = False) -> list[Invoice]:
        if not references:
            return []
        stmt = select(INV).where(INV.c.reference.in_(references))
        if for_update:
            stmt = stmt.with_for_update()
        return [row_to_invoice(r) for r in self.conn.execute(stmt)]

    def for_ticket(self, ticket_id: str) -> list[Invoice]:
        stmt = select(INV).where(INV.c.ticket_id == ticket_id).order_by(INV.c.created_at)
        return [row_to_invoice(r) for r in self.conn.execute(stmt)]

    def apply(self, invoice_id: str, change: Change) -> None:
        _update(self.conn, INV, invoice_id, change.values)

    def set_device(self, invoice_id: str, device_id: str) -> None:
        _update(self.conn, INV, invoice_id, {"device_id": device_id})

    def unpaid_for_ticket(self, ticket_id: str, for_update: bool = False) -> list[Invoice]:
        """The ticket's invoices nobody has paid yet (pending or expired), oldest first."""
        stmt = (select(INV).where(INV.c.ticket_id == ticket_id,
                                  INV.c.status.in_([InvoiceStatus.PENDING.value, InvoiceStatus.EXPIRED.value]))
                .order_by(INV.c.created_at))
        if for_update:
            stmt = stmt.with_for_update()
        return [row_to_invoice(r) for r in self.conn.execute(stmt)]

    def unpaid_since(self, since: datetime, limit: int = 500) -> list:
        """Invoices created since `since` that nobody has paid (pending or expired, not void), oldest
        first, with their ticket's number and service and the patient's masked name (if known)."""
        stmt = (
            select(INV, TICKETS.c.display_number, TICKETS.c.service_code, TICKETS.c.status.label("ticket_status"),
                   PATIENTS.c.name_masked)
            .select_from(INV.outerjoin(TICKETS, TICKETS.c.id == INV.c.ticket_id)
                         .outerjoin(VISITS, VISITS.c.id == INV.c.visit_id)
                         .outerjoin(PATIENTS, PATIENTS.c.id == VISITS.c.patient_id))
            .where(INV.c.created_at >= since,
                   INV.c.status.in_([InvoiceStatus.PENDING.value, InvoiceStatus.EXPIRED.value]))
            .order_by(INV.c.created_at, INV.c.id)
            .limit(limit)
        )
        return [SimpleNamespace(invoice=row_to_invoice(r), display_number=r.display_number,
                                service_code=r.service_code, ticket_status=r.ticket_status,
                                name_masked=r.name_masked) for r in self.conn.execute(stmt)]

    def overdue_pending(self, now: datetime, limit: int = 500) -> list[Invoice]:
        stmt = (
            select(INV)
            .where(INV.c.status == InvoiceStatus.PENDING.value, INV.c.expires_at <= now,
                   INV.c.at_cashier.is_(False))
            .order_by(INV.c.expires_at)
            .limit(limit)
        )
        return [row_to_invoice(r) for r in self.conn.execute(stmt)]

    def add_event(self, invoice_id: str, at: datetime, action: str, from_status, to_status,
                  actor: str | None = None, provider: str | None = None,
                  detail: dict | None = None) -> None:
        self.conn.execute(_INSERT_EVENT, {
            "invoice_id": invoice_id, "at": at, "action": action,
            "from_status": getattr(from_status, "value", from_status),
            "to_status": getattr(to_status, "value", to_status),
            "actor": actor, "provider": provider,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
        })

    def events(self, invoice_id: str) -> list[dict]:
        stmt = select(EV).where(EV.c.invoice_id == invoice_id).order_by(EV.c.id)
        out = []
        for r in self.conn.execute(stmt):
            row = dict(r._mapping)
            row["detail"] = json.loads(row["detail"]) if row["detail"] else None
            out.append(row)
        return out

    def other_open_for_ticket(self, ticket_id: str, invoice_id: str, now: datetime) -> bool:
        """Does the ticket have another invoice that can still be paid? Locks the ticket row first,
        so two of its invoices settled at once in two processes cannot each wait for the other."""
        # SQLite has a single writer already (the write gate); there the lock would be a plain read.
        if self.conn.dialect.name != "sqlite":
            self.conn.execute(_LOCK_TICKET, {"tid": ticket_id})
        # A separate statement on purpose: on PostgreSQL it takes a fresh snapshot after the lock
        # wait, so it sees what the transaction we waited for committed.
        return self.conn.execute(_OTHER_OPEN, {"tid": ticket_id, "iid": invoice_id, "now": now}).scalar_one()

    def mark_ticket_paid(self, ticket_id: str) -> Ticket | None:
        """Flip the ticket's paid flag so call-next may take it; None if it was already paid."""
        row = self.conn.execute(_MARK_TICKET_PAID, {"tid": ticket_id}).first()
        return row_to_ticket(row) if row else None

    def mark_ticket_unpaid(self, ticket_id: str) -> bool:
        res = self.conn.execute(
            update(TICKETS)
            .where(TICKETS.c.id == ticket_id, TICKETS.c.paid.is_(True), TICKETS.c.status == "waiting")
            .values(paid=False)
        )
        return res.rowcount == 1


class PaymentAttemptRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, *, txn_ref: str, invoice_id: str, provider: str, amount: int, ip_addr: str,
            created_at: datetime, expires_at: datetime, locale: str, bank_code: str | None = None,
            device_id: str | None = None) -> None:
        self.conn.execute(_INSERT_ATTEMPT, {
            "txn_ref": txn_ref, "invoice_id": invoice_id, "provider": provider, "amount": amount,
            "status": AttemptStatus.PENDING.value, "bank_code": bank_code, "locale": locale,
            "ip_addr": ip_addr, "device_id": device_id, "created_at": created_at, "expires_at": expires_at,
        })

    def get(self, txn_ref: str, for_update: bool = False):
        stmt = _ATTEMPT_BY_REF_LOCKED if for_update else _ATTEMPT_BY_REF
        return self.conn.execute(stmt, {"ref": txn_ref}).first()

    def get_with_invoice(self, txn_ref: str, for_update: bool = False):
        """(attempt row, Invoice) in one statement, both rows locked with for_update; (None, None)."""
        stmt = _ATTEMPT_WITH_INVOICE_LOCKED if for_update else _ATTEMPT_WITH_INVOICE
        r = self.conn.execute(stmt, {"ref": txn_ref}).first()
        if r is None:
            return None, None
        m = r._mapping
        attempt = SimpleNamespace(**{c.name: m[f"a_{c.name}"] for c in ATT.c})
        return attempt, row_to_invoice(SimpleNamespace(**{c.name: m[f"i_{c.name}"] for c in INV.c}))

    def for_invoice(self, invoice_id: str) -> list:
        stmt = select(ATT).where(ATT.c.invoice_id == invoice_id).order_by(ATT.c.created_at, ATT.c.txn_ref)
        return list(self.conn.execute(stmt))

    def count_for_invoice(self, invoice_id: str) -> int:
        return self.conn.execute(
            select(func.count()).where(ATT.c.invoice_id == invoice_id)
        ).scalar_one()

    def settle(self, txn_ref: str, *, status: AttemptStatus, at: datetime, via: str,
               response_code: str | None, transaction_status: str | None, transaction_no: str | None,
               pay_bank_code: str | None, pay_date: datetime | None) -> None:
        _update(self.conn, ATT, txn_ref, {
            "status": status, "settled_at": at, "settled_via": via, "response_code": response_code,
            "transaction_status": transaction_status, "transaction_no": transaction_no,
            "pay_bank_code": pay_bank_code, "pay_date": pay_date,
        })

    def mark_paid(self, txn_ref: str) -> None:
        _update(self.conn, ATT, txn_ref, {"status": AttemptStatus.PAID})

    def mark_refunded(self, txn_ref: str, at: datetime) -> None:
        _update(self.conn, ATT, txn_ref, {"status": AttemptStatus.REFUNDED, "refunded_at": at})

    def mark_queried(self, txn_ref: str, at: datetime) -> None:
        _update(self.conn, ATT, txn_ref, {"queried_at": at})

    def awaiting_answer(self, created_before: datetime, created_after: datetime, limit: int) -> list:
        """Attempts with no final word from VNPay, oldest query first: querydr candidates."""
        stmt = (
            select(ATT)
            .where(ATT.c.status == "pending", ATT.c.created_at <= created_before,
                   ATT.c.created_at >= created_after)
            .order_by(ATT.c.queried_at.is_not(None), ATT.c.queried_at, ATT.c.created_at)
            .limit(limit)
        )
        return list(self.conn.execute(stmt))


class BankTransferRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def exists(self, transaction_id: str) -> bool:
        return self.conn.execute(
            select(exists().where(BT.c.transaction_id == transaction_id))
        ).scalar_one()

    def add(self, *, transaction_id: str, account: str, amount: int, transferred_at: datetime,
            received_at: datetime, decision: str, payer_enc: str | None, bank_bin: str | None = None,
            reason: str | None = None, invoice_id: str | None = None,
            reference: str | None = None) -> None:
        """Raises AlreadyExists when the bank transaction id is already recorded (on PostgreSQL a
        concurrent delivery of the same transaction waits here for the first one, then fails)."""
        try:
            self.conn.execute(insert(BT).values(
                transaction_id=transaction_id, account=account, amount=amount, content="",
                transferred_at=transferred_at, received_at=received_at, bank_bin=bank_bin,
                payer_enc=payer_enc, decision=decision, reason=reason, invoice_id=invoice_id,
                reference=reference))
        except IntegrityError as e:
            raise AlreadyExists("bank transfer") from e

    def get(self, transaction_id: str):
        return self.conn.execute(select(BT).where(BT.c.transaction_id == transaction_id)).first()

    def in_clear(self, limit: int = 500) -> list:
        """Rows an earlier version stored with the payer's data in clear (before migration 0007)."""
        stmt = select(BT.c.transaction_id, BT.c.content, BT.c.sender_name, BT.c.sender_account).where(
            BT.c.payer_enc.is_(None),
            or_(BT.c.content != "", BT.c.sender_name.is_not(None), BT.c.sender_account.is_not(None)),
        ).limit(limit)
        return list(self.conn.execute(stmt))

    def seal(self, transaction_id: str, payer_enc: str) -> None:
        self.conn.execute(update(BT).where(BT.c.transaction_id == transaction_id).values(
            payer_enc=payer_enc, content="", sender_name=None, sender_account=None))


class ReconciliationRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, *, id: str, source: str, reason: str, amount: int, created_at: datetime,
            expected_amount: int | None = None, invoice_id: str | None = None,
            reference: str | None = None, bank_transaction_id: str | None = None,
            txn_ref: str | None = None) -> None:
        self.conn.execute(insert(REC).values(
            id=id, source=source, reason=reason, status="open", amount=amount,
            expected_amount=expected_amount, invoice_id=invoice_id, reference=reference,
            bank_transaction_id=bank_transaction_id, txn_ref=txn_ref, created_at=created_at))

    def get(self, item_id: str, for_update: bool = False):
        stmt = select(REC).where(REC.c.id == item_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.conn.execute(stmt).first()

    def resolve(self, item_id: str, *, at: datetime, by: str, resolution: str,
                note: str | None = None) -> None:
        self.conn.execute(update(REC).where(REC.c.id == item_id).values(
            status="resolved", resolved_at=at, resolved_by=by, resolution=resolution, note=note))

    def open_for_txn_ref(self, txn_ref: str) -> list:
        stmt = select(REC).where(REC.c.txn_ref == txn_ref, REC.c.status == "open")
        return list(self.conn.execute(stmt))

    def open_refunds_for_invoice(self, invoice_id: str, reasons: frozenset[str]) -> list:
        stmt = select(REC).where(REC.c.invoice_id == invoice_id, REC.c.status == "open",
                                 REC.c.reason.in_(sorted(reasons)))
        return list(self.conn.execute(stmt.order_by(REC.c.created_at)))

    def listing(self, status: str | None, invoice_id: str | None = None, limit: int = 500) -> list:
        """Items with the facts of their bank transfer (payer_enc, or the clear columns of a row not
        sealed yet), newest first."""
        stmt = select(REC, BT.c.payer_enc, BT.c.content, BT.c.sender_name, BT.c.sender_account,
                      BT.c.transferred_at).select_from(
            REC.outerjoin(BT, BT.c.transaction_id == REC.c.bank_transaction_id)
        )
        if status:
            stmt = stmt.where(REC.c.status == status)
        if invoice_id:
            stmt = stmt.where(REC.c.invoice_id == invoice_id)
        return list(self.conn.execute(stmt.order_by(REC.c.created_at.desc()).limit(limit)))
