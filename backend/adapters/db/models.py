"""SQLAlchemy 2 table models. Repositories use their tables through Core for speed on the hot path."""
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import UtcDateTime


class Base(DeclarativeBase):
    pass


class VisitRow(Base):
    __tablename__ = "visits"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    patient_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    __table_args__ = (
        # One open visit per patient per day, enforced by the database even across processes.
        Index(
            "uq_visit_patient_day_open",
            "patient_id",
            "day",
            unique=True,
            sqlite_where=text("patient_id IS NOT NULL AND status = 'open'"),
            postgresql_where=text("patient_id IS NOT NULL AND status = 'open'"),
        ),
    )


class TicketCounterRow(Base):
    __tablename__ = "ticket_counters"
    service_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
    # Tickets of this queue in status waiting, kept by TicketRepository in the same transaction.
    waiting: Mapped[int] = mapped_column(Integer, server_default="0")


class TicketRow(Base):
    __tablename__ = "tickets"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"))
    service_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    display_number: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    coverage: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str | None] = mapped_column(String(32), nullable=True)
    priority_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    rank: Mapped[int] = mapped_column(Integer)
    queue_key: Mapped[float] = mapped_column(Float)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    estimated_wait_min: Mapped[int] = mapped_column(Integer)
    people_ahead_at_issue: Mapped[int] = mapped_column(Integer)
    service_point: Mapped[str | None] = mapped_column(String(32), nullable=True)
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    skipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    requeue_count: Mapped[int] = mapped_column(Integer, default=0)
    transferred_from: Mapped[str | None] = mapped_column(String(32), nullable=True)
    payment_required: Mapped[bool] = mapped_column(Boolean, default=False)
    paid: Mapped[bool] = mapped_column(Boolean, default=True)
    issued_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    __table_args__ = (
        UniqueConstraint("service_code", "day", "number", name="uq_ticket_number"),
        Index("ix_ticket_queue", "day", "service_code", "status", "rank", "queue_key"),
        Index("ix_ticket_point", "day", "service_point", "status"),
        Index("ix_ticket_visit", "visit_id"),
    )


class TicketEventRow(Base):
    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True)
    service_point: Mapped[str | None] = mapped_column(String(32), nullable=True)


class ServiceTimeRow(Base):
    __tablename__ = "service_times"
    service_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    average_s: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer, default=0)


class StaffRow(Base):
    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    service_points: Mapped[str] = mapped_column(Text, default="")  # comma-separated codes
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeviceRow(Base):
    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="kiosk")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    printer_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    app_version: Mapped[str | None] = mapped_column(String(32), nullable=True)


class IdempotencyRow(Base):
    __tablename__ = "idempotency_records"
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


from . import identity_models  # noqa: E402,F401  (tables join Base.metadata)
from . import payment_models  # noqa: E402,F401  (invoices, payments: tables join Base.metadata)
from . import mobile_models  # noqa: E402,F401  (accounts, appointments, notifications: tables join Base.metadata)
