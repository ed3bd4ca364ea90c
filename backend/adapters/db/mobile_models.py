"""Tables of the patient mobile backend: phone accounts, their sessions and one-time codes, links to
patient records (self and family, with consent), share codes, appointment slots and appointments, and
the sent-notifications ledger that makes every notification at most once."""
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base
from .types import UtcDateTime


class PatientAccountRow(Base):
    __tablename__ = "patient_accounts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The phone is personal data: a keyed hash finds the account, the number itself is encrypted.
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_enc: Mapped[str] = mapped_column(String(512))
    phone_masked: Mapped[str] = mapped_column(String(16))
    notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(2), default="vi")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AccountSessionRow(Base):
    __tablename__ = "account_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("patient_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class OtpChallengeRow(Base):
    __tablename__ = "otp_challenges"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))  # keyed MAC of the code: never the code
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    __table_args__ = (Index("ix_otp_phone_created", "phone_hash", "created_at"),)


class AccountPatientRow(Base):
    """An account may follow a patient record: its own ("self", one account per patient) or a family
    member's ("family", only with that person's consent, given through a share code)."""

    __tablename__ = "account_patients"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("patient_accounts.id"))
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    relation: Mapped[str] = mapped_column(String(8))  # self | family
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_channel: Mapped[str] = mapped_column(String(64))  # where the patient consented
    consent_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    __table_args__ = (
        Index("ix_account_patients_account", "account_id", "active"),
        # One active link per account and patient, and one account that is the patient themself.
        Index("uq_account_patient_active", "account_id", "patient_id", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
        Index("uq_patient_self_active", "patient_id", unique=True,
              sqlite_where=text("active AND relation = 'self'"),
              postgresql_where=text("active AND relation = 'self'")),
    )


class ShareCodeRow(Base):
    __tablename__ = "share_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    relation: Mapped[str] = mapped_column(String(8))  # what the code grants: self | family
    created_by: Mapped[str] = mapped_column(String(64))  # device:<id> or account:<id>
    consent_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    used_by: Mapped[str | None] = mapped_column(String(32), nullable=True)


class AppointmentSlotRow(Base):
    """A slot exists once somebody books it. `booked` only moves through conditional updates
    (`… WHERE booked < capacity`), so the database, not the application, keeps capacity."""

    __tablename__ = "appointment_slots"
    service_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_slots_day", "service_code", "day"),)


class AppointmentRow(Base):
    __tablename__ = "appointments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("patient_accounts.id"), index=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"))
    service_code: Mapped[str] = mapped_column(String(32))
    coverage: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    slot_start: Mapped[datetime] = mapped_column(UtcDateTime)
    slot_end: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))  # booked | cancelled | checked_in
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    check_in_channel: Mapped[str | None] = mapped_column(String(64), nullable=True)
    arrival: Mapped[str | None] = mapped_column(String(8), nullable=True)  # on_time | late
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    __table_args__ = (
        Index("ix_appointments_day", "day", "status"),
        # A patient holds one booking per service per day, whoever books it.
        Index("uq_appointment_patient_day", "patient_id", "service_code", "day", unique=True,
              sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'")),
    )


class SentNotificationRow(Base):
    """The ledger behind "never twice": a notification is sent only by whoever inserts its key."""

    __tablename__ = "sent_notifications"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("patient_accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # places | called | reminder
    status: Mapped[str] = mapped_column(String(16))  # sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(32), nullable=True)
