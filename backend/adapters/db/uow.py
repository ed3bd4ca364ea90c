"""Unit of work: one connection, one transaction, the repositories bound to it, explicit commit."""
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from .engine import WRITE_OPTION, NoGate, WriteGate
from .identity_repositories import (CardCheckRepository, HisOutboxRepository, ManualLookupRepository,
                                    PatientRepository)
from . import mobile_repositories as mobile
from .payment_repositories import (
    BankTransferRepository,
    InvoiceRepository,
    PaymentAttemptRepository,
    ReconciliationRepository,
)
from .sealed_repository import SealedRepository
from .repositories import (
    AuditRepository,
    DeviceRepository,
    IdempotencyRepository,
    ServiceTimeRepository,
    StaffRepository,
    TicketRepository,
    VisitRepository,
)


class SqlUnitOfWork:
    def __init__(self, conn):
        self.conn = conn
        self.tickets = TicketRepository(conn)
        self.visits = VisitRepository(conn)
        self.service_times = ServiceTimeRepository(conn)
        self.idempotency = IdempotencyRepository(conn)
        self.staff = StaffRepository(conn)
        self.devices = DeviceRepository(conn)
        self.audit = AuditRepository(conn)
        self.patients = PatientRepository(conn)
        self.card_checks = CardCheckRepository(conn)
        self.his_outbox = HisOutboxRepository(conn)
        self.manual_lookups = ManualLookupRepository(conn)
        self.invoices = InvoiceRepository(conn)
        self.payment_attempts = PaymentAttemptRepository(conn)
        self.bank_transfers = BankTransferRepository(conn)
        self.reconciliation = ReconciliationRepository(conn)
        self.accounts = mobile.AccountRepository(conn)
        self.otp = mobile.OtpRepository(conn)
        self.links = mobile.LinkRepository(conn)
        self.share_codes = mobile.ShareCodeRepository(conn)
        self.slots = mobile.SlotRepository(conn)
        self.appointments = mobile.AppointmentRepository(conn)
        self.notifications = mobile.NotificationRepository(conn)
        self.follow = mobile.FollowRepository(conn)
        self.sealed = SealedRepository(conn)
        self._tx = conn.begin()
        self.committed = False

    def commit(self) -> None:
        self._tx.commit()
        self.committed = True

    def _finish(self) -> None:
        if self._tx.is_active:
            self._tx.rollback()


class SqlUnitOfWorkFactory:
    """`write()` for changes (serialised by the gate on SQLite), `read()` for queries (never blocked)."""

    def __init__(self, engine: Engine, gate: WriteGate | NoGate):
        self.engine = engine
        self.gate = gate

    @contextmanager
    def write(self):
        with self.gate.hold():
            with self.engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
                uow = SqlUnitOfWork(conn)
                try:
                    yield uow
                finally:
                    uow._finish()

    @contextmanager
    def read(self):
        with self.engine.connect() as conn:
            uow = SqlUnitOfWork(conn)
            try:
                yield uow
            finally:
                uow._finish()
