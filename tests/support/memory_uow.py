"""An in-memory unit of work: the services' storage port without a database, for use-case tests.

It implements the repositories the queue's use cases need (tickets, visits, service times,
idempotency, audit, invoices) with the same contracts as backend/adapters/db: a ticket numbered by
``next_number`` is already counted in the waiting tally, ``compare_and_set`` moves the tally,
``next_candidates`` holds unpaid tickets back, a unit left without ``commit`` changes nothing.
The other repositories are absent: touching one fails loudly, naming it, so a test never passes by
silently skipping storage.

Transactions: ``write()`` works on a copy of the state and publishes it on commit; ``read()``
works on a copy and never publishes. One writer at a time, like the SQLite write gate.
"""
from __future__ import annotations

import copy
import dataclasses
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, Iterator

from backend.domain.invoices import Change, Invoice, InvoiceKind, InvoiceStatus
from backend.domain.priority import PriorityClass
from backend.domain.tickets import Ticket, TicketStatus
from backend.services.ports.uow import AlreadyExists, TicketChanges

_OPEN_AT_POINT = (TicketStatus.CALLED, TicketStatus.SERVING)


@dataclass
class MemoryState:
    tickets: dict[str, Ticket] = field(default_factory=dict)
    ticket_issued_by: dict[str, str | None] = field(default_factory=dict)
    # Columns a ticket row has that the Ticket object does not carry (skipped_at, cancelled_at).
    ticket_stamps: dict[str, dict[str, Any]] = field(default_factory=dict)
    ticket_events: list[dict] = field(default_factory=list)
    counters: dict[tuple[str, date], dict[str, int]] = field(default_factory=dict)
    visits: dict[str, SimpleNamespace] = field(default_factory=dict)
    service_times: dict[str, SimpleNamespace] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], SimpleNamespace] = field(default_factory=dict)
    audit: list[SimpleNamespace] = field(default_factory=list)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    invoice_events: list[dict] = field(default_factory=list)


def _place(t: Ticket) -> tuple:
    # Ties on the key (same instant) fall back to the number, which only grows.
    return (t.rank, t.queue_key, t.number)


class MemoryTicketRepository:
    def __init__(self, state: MemoryState):
        self.s = state

    def next_number(self, service_code: str, day: date) -> int:
        counter = self.s.counters.setdefault((service_code, day), {"last_number": 0, "waiting": 0})
        counter["last_number"] += 1
        counter["waiting"] += 1
        return counter["last_number"]

    def add(self, ticket: Ticket, issued_by: str | None) -> None:
        if ticket.status is not TicketStatus.WAITING:
            raise ValueError("a new ticket starts waiting: the tally counted it so")
        if ticket.id in self.s.tickets:
            raise AlreadyExists("ticket")
        self.s.tickets[ticket.id] = ticket
        self.s.ticket_issued_by[ticket.id] = issued_by

    def get(self, ticket_id: str) -> Ticket | None:
        return self.s.tickets.get(ticket_id)

    def compare_and_set(self, ticket_id: str, expected: TicketStatus, values: TicketChanges) -> bool:
        ticket = self.s.tickets.get(ticket_id)
        if ticket is None or ticket.status is not expected:
            return False
        fields = {f.name for f in dataclasses.fields(Ticket)}
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name == "status":
                value = TicketStatus(value)
            elif name == "priority":
                value = PriorityClass(value) if value else None
            if name in fields:
                changes[name] = value
            else:
                self.s.ticket_stamps.setdefault(ticket_id, {})[name] = value
        updated = dataclasses.replace(ticket, **changes)
        self.s.tickets[ticket_id] = updated
        delta = (updated.status is TicketStatus.WAITING) - (expected is TicketStatus.WAITING)
        if delta:
            self.s.counters[(ticket.service_code, ticket.day)]["waiting"] += delta
        return True

    def _waiting(self, service_code: str, day: date) -> list[Ticket]:
        return [t for t in self.s.tickets.values()
                if t.day == day and t.service_code == service_code and t.status is TicketStatus.WAITING]

    def people_ahead(self, service_code: str, day: date, rank: int, key: float, number: int) -> int:
        return sum(1 for t in self._waiting(service_code, day) if _place(t) < (rank, key, number))

    def people_ahead_from_back(self, service_code: str, day: date, rank: int, key: float,
                               number: int) -> int:
        return self.people_ahead(service_code, day, rank, key, number)

    def people_ahead_of_numbered(self, service_code: str, day: date, rank: int, key: float,
                                 number: int) -> int:
        return self.people_ahead(service_code, day, rank, key, number)  # not stored yet

    def waiting_count(self, service_code: str, day: date) -> int:
        counter = self.s.counters.get((service_code, day))
        return counter["waiting"] if counter else 0

    def next_candidates(self, service_codes: list[str], day: date, limit: int = 5) -> list[Ticket]:
        waiting = [t for t in self.s.tickets.values()
                   if t.day == day and t.service_code in service_codes
                   and t.status is TicketStatus.WAITING and (not t.payment_required or t.paid)]
        waiting.sort(key=lambda t: (t.rank, t.queue_key, t.issued_at, t.number))
        return waiting[:limit]

    def current_at_point(self, point: str, day: date) -> list[Ticket]:
        return [t for t in self.s.tickets.values()
                if t.day == day and t.service_point == point and t.status in _OPEN_AT_POINT]

    def waiting_order(self, day: date, service_codes) -> dict[str, list[tuple]]:
        out: dict[str, list[tuple]] = {}
        for code in sorted(set(service_codes)):
            waiting = sorted(self._waiting(code, day), key=_place)
            out[code] = [(t.id, t.rank, t.queue_key, t.number, t.display_number) for t in waiting]
        return out

    def display_tickets(self, day: date, point_codes, recent: int) -> tuple[list[Ticket], list[Ticket]]:
        points = set(point_codes)
        at = [t for t in self.s.tickets.values() if t.day == day and t.service_point in points]
        current = [t for t in at if t.status in _OPEN_AT_POINT]
        latest = sorted((t for t in at if t.called_at is not None), key=lambda t: t.called_at, reverse=True)
        return current, latest[:recent]

    def queue_summary(self, day: date) -> list[tuple]:
        groups: dict[tuple[str, str], list[Ticket]] = {}
        for t in self.s.tickets.values():
            if t.day == day and t.status in (TicketStatus.WAITING, *_OPEN_AT_POINT):
                groups.setdefault((t.service_code, t.status.value), []).append(t)
        return [(service, status, len(ts), min(t.issued_at for t in ts),
                 sum(t.priority is not None for t in ts),
                 sum(t.payment_required and not t.paid for t in ts))
                for (service, status), ts in groups.items()]

    def at_points(self, day: date) -> list[Ticket]:
        return [t for t in self.s.tickets.values()
                if t.day == day and t.status in _OPEN_AT_POINT and t.service_point is not None]

    def for_day(self, day: date, service_code: str | None = None) -> list[Ticket]:
        found = [t for t in self.s.tickets.values()
                 if t.day == day and (not service_code or t.service_code == service_code)]
        return sorted(found, key=lambda t: t.issued_at)

    def waiting_since_before(self, day: date, issued_before: datetime) -> list[Ticket]:
        found = [t for t in self.s.tickets.values()
                 if t.day == day and t.status is TicketStatus.WAITING and t.issued_at < issued_before]
        return sorted(found, key=lambda t: (t.rank, t.queue_key))

    def for_visit(self, visit_id: str) -> list[Ticket]:
        return sorted((t for t in self.s.tickets.values() if t.visit_id == visit_id),
                      key=lambda t: t.issued_at)

    def for_visits(self, visit_ids) -> list[Ticket]:
        ids = set(visit_ids)
        return sorted((t for t in self.s.tickets.values() if t.visit_id in ids), key=lambda t: t.issued_at)

    def find_by_number(self, day: date, display_number: str) -> list[Ticket]:
        return [t for t in self.s.tickets.values() if t.day == day and t.display_number == display_number]

    def add_event(self, ticket_id: str, at: datetime, action: str, from_status: str | None,
                  to_status: str, actor: str | None, service_point: str | None) -> None:
        self.s.ticket_events.append({
            "id": len(self.s.ticket_events) + 1, "ticket_id": ticket_id, "at": at, "action": action,
            "from_status": from_status, "to_status": to_status, "actor": actor,
            "service_point": service_point,
        })

    def events(self, ticket_id: str) -> list[dict]:
        return [dict(e) for e in self.s.ticket_events if e["ticket_id"] == ticket_id]


class MemoryVisitRepository:
    def __init__(self, state: MemoryState):
        self.s = state

    def add(self, visit_id: str, patient_id: str | None, day: date, at: datetime) -> None:
        if visit_id in self.s.visits:
            raise AlreadyExists("visit")
        self.s.visits[visit_id] = SimpleNamespace(id=visit_id, patient_id=patient_id, day=day,
                                                  status="open", created_at=at, closed_at=None)

    def find_open(self, patient_id: str, day: date) -> SimpleNamespace | None:
        return next((v for v in self.s.visits.values()
                     if v.patient_id == patient_id and v.day == day and v.status == "open"), None)

    def get(self, visit_id: str) -> SimpleNamespace | None:
        return self.s.visits.get(visit_id)

    def lock(self, visit_id: str) -> None:
        """One thread at a time here already: nothing to hold."""


class MemoryServiceTimeRepository:
    def __init__(self, state: MemoryState):
        self.s = state

    def average(self, service_code: str) -> float | None:
        row = self.s.service_times.get(service_code)
        return row.average_s if row else None

    def all(self) -> dict[str, float]:
        return {code: row.average_s for code, row in self.s.service_times.items()}

    def store(self, service_code: str, average_s: float) -> None:
        row = self.s.service_times.get(service_code)
        samples = row.samples + 1 if row else 1
        self.s.service_times[service_code] = SimpleNamespace(service_code=service_code,
                                                             average_s=average_s, samples=samples)


class MemoryIdempotencyRepository:
    def __init__(self, state: MemoryState):
        self.s = state

    def get(self, scope: str, key: str) -> SimpleNamespace | None:
        return self.s.idempotency.get((scope, key))

    def put(self, scope: str, key: str, request_hash: str, status_code: int, body: str,
            at: datetime) -> None:
        if (scope, key) in self.s.idempotency:
            raise AlreadyExists("idempotency key")
        self.s.idempotency[(scope, key)] = SimpleNamespace(
            scope=scope, key=key, request_hash=request_hash, status_code=status_code, body=body,
            created_at=at)


class MemoryAuditRepository:
    def __init__(self, state: MemoryState):
        self.s = state

    def add(self, at: datetime, actor: str, action: str, subject: str | None = None,
            detail: str | None = None) -> None:
        self.s.audit.append(SimpleNamespace(id=len(self.s.audit) + 1, at=at, actor=actor,
                                            action=action, subject=subject, detail=detail))

    def between(self, start: datetime, end: datetime) -> list[SimpleNamespace]:
        return [a for a in self.s.audit if start <= a.at < end]


_INVOICE_ENUMS = {"status": InvoiceStatus, "kind": InvoiceKind}


class MemoryInvoiceRepository:
    def __init__(self, state: MemoryState):
        self.s = state

    def add(self, invoice: Invoice) -> None:
        if invoice.id in self.s.invoices or any(
                i.reference == invoice.reference for i in self.s.invoices.values()):
            raise AlreadyExists("invoice")
        self.s.invoices[invoice.id] = invoice

    def get(self, invoice_id: str, for_update: bool = False) -> Invoice | None:
        return self.s.invoices.get(invoice_id)

    def by_references(self, references: list[str], for_update: bool = False) -> list[Invoice]:
        return [i for i in self.s.invoices.values() if i.reference in references]

    def for_ticket(self, ticket_id: str) -> list[Invoice]:
        return sorted((i for i in self.s.invoices.values() if i.ticket_id == ticket_id),
                      key=lambda i: i.created_at)

    def apply(self, invoice_id: str, change: Change) -> None:
        self._set(invoice_id, change.values)

    def set_device(self, invoice_id: str, device_id: str) -> None:
        self._set(invoice_id, {"device_id": device_id})

    def _set(self, invoice_id: str, values: dict[str, Any]) -> None:
        changes = {k: (_INVOICE_ENUMS[k](v) if k in _INVOICE_ENUMS else v) for k, v in values.items()}
        self.s.invoices[invoice_id] = dataclasses.replace(self.s.invoices[invoice_id], **changes)

    def overdue_pending(self, now: datetime, limit: int = 500) -> list[Invoice]:
        found = [i for i in self.s.invoices.values()
                 if i.status is InvoiceStatus.PENDING and i.expires_at <= now and not i.at_cashier]
        return sorted(found, key=lambda i: i.expires_at)[:limit]

    def unpaid_for_ticket(self, ticket_id: str, for_update: bool = False) -> list[Invoice]:
        return [i for i in self.for_ticket(ticket_id) if i.status in (InvoiceStatus.PENDING, InvoiceStatus.EXPIRED)]

    def unpaid_since(self, since: datetime, limit: int = 500) -> list:
        raise NotImplementedError("the cashier's list is tested on the real database")

    def add_event(self, invoice_id: str, at: datetime, action: str, from_status: Any, to_status: Any,
                  actor: str | None = None, provider: str | None = None,
                  detail: dict | None = None) -> None:
        self.s.invoice_events.append({
            "id": len(self.s.invoice_events) + 1, "invoice_id": invoice_id, "at": at,
            "action": action, "from_status": getattr(from_status, "value", from_status),
            "to_status": getattr(to_status, "value", to_status), "actor": actor,
            "provider": provider, "detail": copy.deepcopy(detail) if detail else None,
        })

    def events(self, invoice_id: str) -> list[dict]:
        return [dict(e) for e in self.s.invoice_events if e["invoice_id"] == invoice_id]

    def other_open_for_ticket(self, ticket_id: str, invoice_id: str, now: datetime) -> bool:
        return any(i.ticket_id == ticket_id and i.id != invoice_id
                   and i.status is InvoiceStatus.PENDING and (i.expires_at > now or i.at_cashier)
                   for i in self.s.invoices.values())

    def mark_ticket_paid(self, ticket_id: str) -> Ticket | None:
        ticket = self.s.tickets.get(ticket_id)
        if ticket is None or ticket.paid:
            return None
        self.s.tickets[ticket_id] = ticket = dataclasses.replace(ticket, paid=True)
        return ticket

    def mark_ticket_unpaid(self, ticket_id: str) -> bool:
        ticket = self.s.tickets.get(ticket_id)
        if ticket is None or not ticket.paid or ticket.status is not TicketStatus.WAITING:
            return False
        self.s.tickets[ticket_id] = dataclasses.replace(ticket, paid=False)
        return True


class NotInMemory:
    """A repository the in-memory unit of work does not provide: any use names it."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        raise NotImplementedError(f"the in-memory unit of work has no {self._name} repository "
                                  f"(asked for {self._name}.{attr}): test this use case on a database")


ABSENT = ("staff", "devices", "patients", "card_checks", "his_outbox", "manual_lookups",
          "payment_attempts", "bank_transfers", "reconciliation", "accounts", "otp", "links",
          "share_codes", "slots", "appointments", "notifications", "follow", "sealed")


class MemoryUnitOfWork:
    def __init__(self, state: MemoryState):
        self.state = state
        self.tickets = MemoryTicketRepository(state)
        self.visits = MemoryVisitRepository(state)
        self.service_times = MemoryServiceTimeRepository(state)
        self.idempotency = MemoryIdempotencyRepository(state)
        self.audit = MemoryAuditRepository(state)
        self.invoices = MemoryInvoiceRepository(state)
        for name in ABSENT:
            setattr(self, name, NotInMemory(name))
        self.committed = False

    def commit(self) -> None:
        self.committed = True


class MemoryUnitOfWorkFactory:
    """The store: ``state`` is what has been committed. ``writes`` counts the write units opened
    and ``commits`` those committed, so a test can tell a refused request changed nothing."""

    def __init__(self, state: MemoryState | None = None):
        self.state = state or MemoryState()
        self._writer = threading.Lock()
        self.writes = 0
        self.commits = 0

    @contextmanager
    def write(self) -> Iterator[MemoryUnitOfWork]:
        with self._writer:
            self.writes += 1
            uow = MemoryUnitOfWork(copy.deepcopy(self.state))
            try:
                yield uow
            finally:
                if uow.committed:  # without a commit the copy is dropped: a rollback
                    self.state = uow.state
                    self.commits += 1

    @contextmanager
    def read(self) -> Iterator[MemoryUnitOfWork]:
        yield MemoryUnitOfWork(copy.deepcopy(self.state))
