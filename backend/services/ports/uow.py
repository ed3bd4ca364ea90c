"""The unit-of-work port: services open one, use its repositories, and commit explicitly.

One Protocol per repository, listing the operations the services call, with the types they pass
and get back. Two implementations: ``backend.adapters.db.uow.SqlUnitOfWork`` (SQLite/PostgreSQL)
and, for the use-case tests, ``tests.support.memory_uow.MemoryUnitOfWork``.

Nothing here names a database: a broken uniqueness rule comes back as ``AlreadyExists``, and a
repository keeps whatever it needs (a savepoint, a row lock) to itself.

``Record``: several repositories still hand back stored records read by attribute (``row.id``,
``row.status``) rather than domain objects; those are typed ``Record`` so each one is easy to find
and replace with a domain type later.
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol, TypedDict

from ...domain.invoices import AttemptStatus, Change, Invoice
from ...domain.tickets import Ticket, TicketStatus

Record = Any  # a stored record read by attribute: a database row, or a test double's namespace


class AlreadyExists(Exception):
    """A write broke a uniqueness rule: another request (or another phone, another delivery of the
    same bank transfer) stored the same thing first. Nothing of the failed write remains."""


class TicketChanges(TypedDict, total=False):
    """The columns a ticket transition may change (`compare_and_set`)."""

    status: str
    called_at: datetime | None
    started_at: datetime
    finished_at: datetime
    skipped_at: datetime
    cancelled_at: datetime
    service_point: str | None
    recall_count: int
    requeue_count: int
    rank: int
    queue_key: float
    priority: str | None
    priority_confirmed: bool


# --- the queue ---------------------------------------------------------------------------------

class TicketRepository(Protocol):
    def next_number(self, service_code: str, day: date) -> int:
        """The next number of the service's day, counted at once in the queue's waiting tally."""
        ...

    def add(self, ticket: Ticket, issued_by: str | None) -> None:
        """A new waiting ticket, numbered (and so already tallied) by next_number."""
        ...

    def get(self, ticket_id: str) -> Ticket | None: ...

    def compare_and_set(self, ticket_id: str, expected: TicketStatus, values: TicketChanges) -> bool:
        """Changes the ticket only if it is still in `expected` (two staff, one click)."""
        ...

    def people_ahead(self, service_code: str, day: date, rank: int, key: float, number: int) -> int: ...

    def people_ahead_from_back(self, service_code: str, day: date, rank: int, key: float,
                               number: int) -> int:
        """people_ahead's answer, cheap for a place near the back of the queue."""
        ...

    def people_ahead_of_numbered(self, service_code: str, day: date, rank: int, key: float,
                                 number: int) -> int: ...

    def waiting_count(self, service_code: str, day: date) -> int: ...

    def next_candidates(self, service_codes: list[str], day: date, limit: int = 5) -> list[Ticket]:
        """Waiting tickets in call order (rank, queue key, issue time, number), unpaid fees held."""
        ...

    def current_at_point(self, point: str, day: date) -> list[Ticket]: ...

    def waiting_order(self, day: date, service_codes) -> dict[str, list[tuple]]:
        """service → its waiting tickets in call order, as (id, rank, queue_key, number,
        display_number): a ticket's index is the number of people ahead of it (one read for all)."""
        ...

    def display_tickets(self, day: date, point_codes, recent: int) -> tuple[list[Ticket], list[Ticket]]:
        """(tickets now called or being served at these points, the `recent` latest calls there)."""
        ...

    def queue_summary(self, day: date) -> Sequence[tuple]:
        """(service, status, count, oldest issued_at, priority count, unpaid count) per open status."""
        ...

    def at_points(self, day: date) -> list[Ticket]: ...

    def for_day(self, day: date, service_code: str | None = None) -> list[Ticket]: ...

    def waiting_since_before(self, day: date, issued_before: datetime) -> list[Ticket]: ...

    def for_visit(self, visit_id: str) -> list[Ticket]: ...

    def for_visits(self, visit_ids: Sequence[str]) -> list[Ticket]:
        """Every ticket of these visits, oldest first (transfers are followed within a visit)."""
        ...

    def find_by_number(self, day: date, display_number: str) -> list[Ticket]: ...

    def add_event(self, ticket_id: str, at: datetime, action: str, from_status: str | None,
                  to_status: str, actor: str | None, service_point: str | None) -> None: ...

    def events(self, ticket_id: str) -> list[dict]: ...


class VisitRepository(Protocol):
    def add(self, visit_id: str, patient_id: str | None, day: date, at: datetime) -> None: ...

    def find_open(self, patient_id: str, day: date) -> Record | None: ...

    def get(self, visit_id: str) -> Record | None: ...

    def lock(self, visit_id: str) -> None:
        """Holds the visit until commit: one transfer of its ticket at a time."""
        ...


class ServiceTimeRepository(Protocol):
    def average(self, service_code: str) -> float | None: ...

    def all(self) -> dict[str, float]: ...

    def store(self, service_code: str, average_s: float) -> None: ...


class IdempotencyRepository(Protocol):
    def get(self, scope: str, key: str) -> Record | None:
        """The stored answer: ``request_hash``, ``status_code``, ``body`` (JSON text)."""
        ...

    def put(self, scope: str, key: str, request_hash: str, status_code: int, body: str,
            at: datetime) -> None: ...


# --- staff, devices, audit ---------------------------------------------------------------------

class StaffRepository(Protocol):
    def by_username(self, username: str) -> Record | None: ...

    def get(self, staff_id: str) -> Record | None: ...

    def add(self, *, id: str, username: str, full_name: str, role: str, password_hash: str,
            service_points: str, active: bool, session_version: int, created_at: datetime) -> None: ...

    def bump_session(self, staff_id: str) -> None: ...

    def all(self) -> list[Record]: ...


class DeviceRepository(Protocol):
    def by_token_hash(self, token_hash: str) -> Record | None: ...

    def by_name(self, name: str) -> Record | None: ...

    def add(self, *, id: str, name: str, kind: str, token_hash: str, created_at: datetime) -> None: ...

    def revoke(self, device_id: str, at: datetime) -> None: ...

    def seen(self, device_id: str, at: datetime, printer_status: str, app_version: str | None) -> None:
        """A heartbeat: when, and what the kiosk said about its printer and itself."""
        ...

    def all(self) -> list[Record]: ...


class AuditRepository(Protocol):
    def add(self, at: datetime, actor: str, action: str, subject: str | None = None,
            detail: str | None = None) -> None: ...

    def between(self, start: datetime, end: datetime) -> list[Record]: ...


# --- identification and the HIS ----------------------------------------------------------------

class PatientRepository(Protocol):
    def find_by_hashes(self, hashes: list[str]) -> str | None: ...

    def get(self, patient_id: str) -> Record | None: ...

    def add(self, patient_id: str, name_masked: str, data_enc: str, at: datetime) -> None: ...

    def update(self, patient_id: str, name_masked: str, data_enc: str, at: datetime) -> None: ...

    def link(self, lookup_hash: str, patient_id: str, kind: str) -> None: ...

    def add_consent(self, at: datetime, patient_id: str, channel: str, purpose: str,
                    text_version: str) -> None: ...

    def consents(self, patient_id: str) -> list[Record]: ...


class CardCheckRepository(Protocol):
    def add(self, *, id: str, patient_id: str, visit_id: str | None, card_kind: str, status: str, code: str,
            outcome: str, staff_flag: bool, alert_it: bool, attempts: int, next_attempt_at: datetime | None,
            request_enc: str | None, created_at: datetime, checked_at: datetime | None) -> None: ...

    def get(self, check_id: str) -> Record | None: ...

    def attach_visit(self, check_id: str, visit_id: str) -> None: ...

    def due(self, now: datetime, limit: int) -> list[Record]: ...

    # A pending check's next try: False when another process recorded this attempt first.
    def retry_later(self, check_id: str, expected_attempts: int, next_attempt_at: datetime) -> bool: ...

    def decide(self, check_id: str, expected_attempts: int, *, status: str, code: str, outcome: str,
               staff_flag: bool, alert_it: bool, checked_at: datetime) -> bool:
        """BHXH answered: the check is final and its request (the card's data) is dropped."""
        ...

    def for_visits(self, visit_ids: list[str]) -> list[Record]: ...

    def flagged_today(self, since: datetime) -> list[Record]: ...

    def update(self, check_id: str, **values: Any) -> None: ...


class HisOutboxRepository(Protocol):
    def enqueue(self, outbox_id: str, visit_id: str, at: datetime) -> None: ...

    def due(self, now: datetime, limit: int) -> list[Record]: ...

    def claim(self, outbox_id: str, attempts: int, until: datetime) -> bool: ...

    # How a claimed send ended; each also lets go of the claim.
    def retry_later(self, outbox_id: str, error: str, next_attempt_at: datetime) -> None: ...

    def park(self, outbox_id: str, error: str) -> None: ...

    def sent(self, outbox_id: str, at: datetime, his_patient_id: str | None, his_encounter_id: str | None) -> None: ...

    def not_sent(self) -> list[Record]: ...

    def counts(self) -> dict[str, int]: ...

    def get_for_visit(self, visit_id: str) -> Record | None: ...

    def retry_now(self, outbox_id: str, now: datetime) -> bool: ...


class ManualLookupRepository(Protocol):
    def take(self, channel: str, window_start: datetime, limit: int) -> bool: ...


# --- payments ----------------------------------------------------------------------------------

class InvoiceRepository(Protocol):
    def add(self, invoice: Invoice) -> None: ...

    def get(self, invoice_id: str, for_update: bool = False) -> Invoice | None: ...

    def by_references(self, references: list[str], for_update: bool = False) -> list[Invoice]: ...

    def for_ticket(self, ticket_id: str) -> list[Invoice]:
        """The ticket's invoices, oldest first."""
        ...

    def apply(self, invoice_id: str, change: Change) -> None:
        """Writes what one invoice transition changes (the domain's Change, its history event apart)."""
        ...

    def set_device(self, invoice_id: str, device_id: str) -> None:
        """The kiosk or phone the patient is paying from."""
        ...

    def overdue_pending(self, now: datetime, limit: int = 500) -> list[Invoice]:
        """Pending invoices past their window, not sent to the cashier."""
        ...

    def unpaid_for_ticket(self, ticket_id: str, for_update: bool = False) -> list[Invoice]:
        """The ticket's pending or expired invoices, oldest first."""
        ...

    def unpaid_since(self, since: datetime, limit: int = 500) -> list[Record]:
        """Invoices created since `since`, pending or expired, oldest first; each with `invoice`,
        `display_number`, `service_code`, `ticket_status` and `name_masked` (None when unknown)."""
        ...

    def add_event(self, invoice_id: str, at: datetime, action: str, from_status: Any, to_status: Any,
                  actor: str | None = None, provider: str | None = None,
                  detail: dict | None = None) -> None: ...

    def events(self, invoice_id: str) -> list[dict]: ...

    def other_open_for_ticket(self, ticket_id: str, invoice_id: str, now: datetime) -> bool: ...

    def mark_ticket_paid(self, ticket_id: str) -> Ticket | None: ...

    def mark_ticket_unpaid(self, ticket_id: str) -> bool: ...


class PaymentAttemptRepository(Protocol):
    def add(self, *, txn_ref: str, invoice_id: str, provider: str, amount: int, ip_addr: str,
            created_at: datetime, expires_at: datetime, locale: str, bank_code: str | None = None,
            device_id: str | None = None) -> None:
        """Records a new attempt (status pending)."""
        ...

    def get(self, txn_ref: str, for_update: bool = False) -> Record | None: ...

    def get_with_invoice(self, txn_ref: str,
                         for_update: bool = False) -> tuple[Record, Invoice] | tuple[None, None]: ...

    def for_invoice(self, invoice_id: str) -> list[Record]: ...

    def count_for_invoice(self, invoice_id: str) -> int: ...

    def settle(self, txn_ref: str, *, status: AttemptStatus, at: datetime, via: str,
               response_code: str | None, transaction_status: str | None, transaction_no: str | None,
               pay_bank_code: str | None, pay_date: datetime | None) -> None:
        """Writes the provider's final answer (paid, failed or late) as received `via` ipn/querydr."""
        ...

    def mark_paid(self, txn_ref: str) -> None:
        """A cashier applied the attempt's money to its own invoice."""
        ...

    def mark_refunded(self, txn_ref: str, at: datetime) -> None: ...

    def mark_queried(self, txn_ref: str, at: datetime) -> None:
        """querydr asked the provider about it at `at` (oldest-asked first next time)."""
        ...

    def awaiting_answer(self, created_before: datetime, created_after: datetime,
                        limit: int) -> list[Record]: ...


class BankTransferRepository(Protocol):
    def exists(self, transaction_id: str) -> bool: ...

    def add(self, *, transaction_id: str, account: str, amount: int, transferred_at: datetime,
            received_at: datetime, decision: str, payer_enc: str | None, bank_bin: str | None = None,
            reason: str | None = None, invoice_id: str | None = None,
            reference: str | None = None) -> None:
        """Records a received transfer (the payer's data only sealed in `payer_enc`; the clear
        columns are written empty). Raises AlreadyExists when the bank transaction id is already
        recorded."""
        ...

    def get(self, transaction_id: str) -> Record | None: ...

    def in_clear(self, limit: int = 500) -> list[Record]: ...

    def seal(self, transaction_id: str, payer_enc: str) -> None: ...


class ReconciliationRepository(Protocol):
    def add(self, *, id: str, source: str, reason: str, amount: int, created_at: datetime,
            expected_amount: int | None = None, invoice_id: str | None = None,
            reference: str | None = None, bank_transaction_id: str | None = None,
            txn_ref: str | None = None) -> None:
        """Records money waiting for a cashier's decision (status open)."""
        ...

    def get(self, item_id: str, for_update: bool = False) -> Record | None: ...

    def resolve(self, item_id: str, *, at: datetime, by: str, resolution: str,
                note: str | None = None) -> None:
        """Closes an item (status resolved) with the cashier's decision."""
        ...

    def open_for_txn_ref(self, txn_ref: str) -> list[Record]: ...

    def open_refunds_for_invoice(self, invoice_id: str, reasons: frozenset[str]) -> list[Record]: ...

    def listing(self, status: str | None, invoice_id: str | None = None,
                limit: int = 500) -> list[Record]: ...


# --- the patient app ---------------------------------------------------------------------------

class AccountRepository(Protocol):
    def by_phone_hash(self, phone_hash: str) -> Record | None: ...

    def get(self, account_id: str) -> Record | None: ...

    def add(self, *, id: str, phone_hash: str, phone_enc: str, phone_masked: str, notifications: bool,
            language: str, created_at: datetime, last_login_at: datetime) -> bool:
        """False when an account with that phone exists already."""
        ...

    def logged_in(self, account_id: str, at: datetime) -> None: ...

    def set_preferences(self, account_id: str, notifications: bool | None, language: str | None) -> None:
        """Changes what is not None."""
        ...

    def add_session(self, token_hash: str, account_id: str, created_at: datetime,
                    expires_at: datetime) -> None: ...

    def by_session(self, token_hash: str, now: datetime) -> Record | None: ...

    def purge_sessions(self, ended_before: datetime) -> int: ...

    def revoke_session(self, token_hash: str, now: datetime) -> None: ...


class OtpRepository(Protocol):
    def history(self, phone_hash: str, since: datetime) -> Record: ...

    def add(self, *, id: str, phone_hash: str, code_hash: str, created_at: datetime, expires_at: datetime,
            attempts: int) -> None: ...

    def supersede(self, phone_hash: str, now: datetime) -> None: ...

    def latest(self, phone_hash: str) -> Record | None: ...

    def record_failure(self, challenge_id: str, expected_attempts: int, now: datetime) -> bool: ...

    def purge(self, created_before: datetime) -> int: ...

    def consume(self, challenge_id: str, now: datetime) -> bool: ...


class LinkRepository(Protocol):
    def for_account(self, account_id: str) -> list[Record]: ...

    def get(self, link_id: str) -> Record | None: ...

    def active(self, account_id: str, patient_id: str) -> Record | None: ...

    def self_link(self, patient_id: str) -> Record | None: ...

    def add(self, *, id: str, account_id: str, patient_id: str, relation: str, consent_channel: str,
            consent_version: str, created_at: datetime) -> None:
        """Raises AlreadyExists when the patient is linked elsewhere; the transaction goes on."""
        ...

    def revoke(self, link_id: str, now: datetime, by: str) -> bool: ...

    def followers(self, patient_id: str) -> list[Record]: ...


class ShareCodeRepository(Protocol):
    def add(self, *, code_hash: str, patient_id: str, relation: str, created_by: str, consent_version: str,
            created_at: datetime, expires_at: datetime) -> None: ...

    def get(self, code_hash: str) -> Record | None: ...

    def purge(self, expired_before: datetime) -> int: ...

    def use(self, code_hash: str, account_id: str, now: datetime) -> bool: ...


class SlotRepository(Protocol):
    def take(self, service_code: str, start_at: datetime, day: date, capacity: int) -> bool: ...

    def release(self, service_code: str, start_at: datetime) -> None: ...

    def booked_on(self, service_code: str, day: date) -> dict[datetime, int]: ...

    def get(self, service_code: str, start_at: datetime) -> Record | None: ...


class AppointmentRepository(Protocol):
    def add(self, *, id: str, account_id: str, patient_id: str, service_code: str, coverage: str, day: date,
            slot_start: datetime, slot_end: datetime, status: str, created_at: datetime) -> None:
        """Raises AlreadyExists when the patient already holds a booking for that service and day."""
        ...

    def get(self, appointment_id: str) -> Record | None: ...

    def for_account(self, account_id: str, from_day: date | None = None) -> list[Record]: ...

    def count_booked(self, account_id: str, from_day: date) -> int: ...

    def booked_for(self, patient_id: str, service_code: str, day: date) -> Record | None: ...

    # Each changes a booking still "booked" only; False when it no longer is (another request won).
    def cancel(self, appointment_id: str, at: datetime) -> bool: ...

    def move(self, appointment_id: str, slot_start: datetime, slot_end: datetime, day: date) -> bool: ...

    def check_in(self, appointment_id: str, at: datetime, channel: str, arrival: str, ticket_id: str) -> bool: ...

    def booked_on(self, day: date) -> list[Record]: ...


class NotificationRepository(Protocol):
    def claim(self, key: str, account_id: str, kind: str, now: datetime) -> bool: ...

    def finish(self, key: str, status: str, now: datetime, error: str | None = None) -> None: ...

    def release(self, key: str) -> None: ...

    def existing(self, keys: list[str]) -> set[str]: ...

    def for_account(self, account_id: str) -> list[Record]: ...


class FollowRepository(Protocol):
    def tickets_for_patients(self, patient_ids: list[str], day: date) -> list[tuple[str, Ticket]]: ...

    def open_followed_tickets(self, day: date) -> list[Record]: ...

    def invoices_for_visits(self, visit_ids: list[str]) -> list[Invoice]: ...


# --- the unit of work --------------------------------------------------------------------------

class SealedRepository(Protocol):
    """Every value sealed with the PII vault and every keyed hash, for a key rotation."""

    def names(self) -> list[str]: ...

    def page(self, name: str, after: str | None, limit: int) -> list[tuple[str, str]]:
        """(key, sealed value) in key order after `after`."""
        ...

    def replace(self, name: str, key: str, old: str, new: str) -> bool:
        """Compare-and-set: False when the row changed since it was read."""
        ...

    def identifiers(self, after: str | None, limit: int) -> list[tuple[str, str, str]]:
        """(lookup hash, patient id, kind) in hash order after `after`."""
        ...

    def relink(self, old_hash: str, new_hash: str) -> None: ...

    def unlink(self, lookup_hash: str) -> None: ...

    def accounts(self, after: str | None, limit: int) -> list[tuple[str, str, str]]:
        """(account id, phone hash, sealed phone) in id order after `after`."""
        ...

    def rehash_account(self, account_id: str, old_hash: str, new_hash: str) -> bool: ...


class UnitOfWork(Protocol):
    tickets: TicketRepository
    visits: VisitRepository
    service_times: ServiceTimeRepository
    idempotency: IdempotencyRepository
    staff: StaffRepository
    devices: DeviceRepository
    audit: AuditRepository
    patients: PatientRepository
    card_checks: CardCheckRepository
    his_outbox: HisOutboxRepository
    manual_lookups: ManualLookupRepository
    invoices: InvoiceRepository
    payment_attempts: PaymentAttemptRepository
    bank_transfers: BankTransferRepository
    reconciliation: ReconciliationRepository
    accounts: AccountRepository
    otp: OtpRepository
    links: LinkRepository
    share_codes: ShareCodeRepository
    slots: SlotRepository
    appointments: AppointmentRepository
    notifications: NotificationRepository
    follow: FollowRepository
    sealed: SealedRepository

    def commit(self) -> None:
        """Makes the changes durable; a unit left without commit is rolled back."""
        ...


class UnitOfWorkFactory(Protocol):
    def write(self) -> AbstractContextManager[UnitOfWork]:
        """A unit for changes (serialised with other writers where the store needs it)."""
        ...

    def read(self) -> AbstractContextManager[UnitOfWork]:
        """A unit for queries: never blocked by writers."""
        ...
