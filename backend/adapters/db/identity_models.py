"""Patients (encrypted), their consent, BHYT card checks and the HIS registration outbox."""
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base
from .types import UtcDateTime


class PatientRow(Base):
    __tablename__ = "patients"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_masked: Mapped[str] = mapped_column(String(64))  # what public screens may show
    data_enc: Mapped[str] = mapped_column(Text)  # name, dob, gender, card numbers: encrypted
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PatientIdentifierRow(Base):
    __tablename__ = "patient_identifiers"
    lookup_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))


class ConsentRow(Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    patient_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(64))  # device:<id> or staff:<id>
    purpose: Mapped[str] = mapped_column(String(32))
    text_version: Mapped[str] = mapped_column(String(32))


class CardCheckRow(Base):
    __tablename__ = "card_checks"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    card_kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)  # ok|flagged|refused|pending
    code: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(40))
    staff_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_it: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    request_enc: Mapped[str | None] = mapped_column(Text, nullable=True)  # kept only while pending
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class HisOutboxRow(Base):
    __tablename__ = "his_outbox"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending|sent|parked
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a reason code
    his_patient_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    his_encounter_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ManualLookupRow(Base):
    """Typed look-ups of numbers we did not know, counted per channel (kiosk) and time window: each
    costs a BHXH call under the hospital's account and creates a record. In the database so that
    every backend process counts against the same bound."""

    __tablename__ = "manual_lookups"
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)  # device:<id> | account:<id>
    window_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
