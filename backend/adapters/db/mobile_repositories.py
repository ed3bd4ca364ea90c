"""Repositories of the patient mobile backend (accounts, codes, links, appointments, notifications)."""
from datetime import date, datetime

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from .identity_models import PatientRow
from .mobile_models import (
    AccountPatientRow,
    AccountSessionRow,
    AppointmentRow,
    AppointmentSlotRow,
    OtpChallengeRow,
    PatientAccountRow,
    SentNotificationRow,
    ShareCodeRow,
)
from ...domain.tickets import Ticket
from ...services.ports.uow import AlreadyExists
from .models import TicketRow, VisitRow
from .payment_models import InvoiceRow
from .payment_repositories import row_to_invoice
from .repositories import row_to_ticket

ACC = PatientAccountRow.__table__
SES = AccountSessionRow.__table__
OTP = OtpChallengeRow.__table__
LINK = AccountPatientRow.__table__
SHARE = ShareCodeRow.__table__
SLOT = AppointmentSlotRow.__table__
APPT = AppointmentRow.__table__
SENT = SentNotificationRow.__table__
PAT = PatientRow.__table__
T = TicketRow.__table__
V = VisitRow.__table__


def _insert(conn: Connection):
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


class AccountRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def by_phone_hash(self, phone_hash: str):
        return self.conn.execute(select(ACC).where(ACC.c.phone_hash == phone_hash)).first()

    def get(self, account_id: str):
        return self.conn.execute(select(ACC).where(ACC.c.id == account_id)).first()

    def add(self, *, id: str, phone_hash: str, phone_enc: str, phone_masked: str, notifications: bool,
            language: str, created_at: datetime, last_login_at: datetime) -> bool:
        """False when the phone already has an account (two first logins at once)."""
        values = {
            "id": id, "phone_hash": phone_hash, "phone_enc": phone_enc, "phone_masked": phone_masked,
            "notifications": notifications, "language": language, "created_at": created_at,
            "last_login_at": last_login_at,
        }
        stmt = _insert(self.conn)(ACC).values(values).on_conflict_do_nothing(
            index_elements=[ACC.c.phone_hash]).returning(ACC.c.id)
        return self.conn.execute(stmt).first() is not None

    def logged_in(self, account_id: str, at: datetime) -> None:
        self.conn.execute(update(ACC).where(ACC.c.id == account_id).values(last_login_at=at))

    def set_preferences(self, account_id: str, notifications: bool | None, language: str | None) -> None:
        values = {k: v for k, v in (("notifications", notifications), ("language", language)) if v is not None}
        if values:
            self.conn.execute(update(ACC).where(ACC.c.id == account_id).values(values))

    def add_session(self, token_hash: str, account_id: str, created_at: datetime,
                    expires_at: datetime) -> None:
        self.conn.execute(insert(SES).values(token_hash=token_hash, account_id=account_id,
                                             created_at=created_at, expires_at=expires_at))

    def by_session(self, token_hash: str, now: datetime):
        stmt = (select(ACC).join(SES, SES.c.account_id == ACC.c.id)
                .where(SES.c.token_hash == token_hash, SES.c.revoked_at.is_(None),
                       SES.c.expires_at > now))
        return self.conn.execute(stmt).first()

    def purge_sessions(self, ended_before: datetime) -> int:
        return self.conn.execute(delete(SES).where(
            (SES.c.expires_at < ended_before) | (SES.c.revoked_at < ended_before))).rowcount

    def revoke_session(self, token_hash: str, now: datetime) -> None:
        self.conn.execute(update(SES).where(SES.c.token_hash == token_hash).values(revoked_at=now))


class OtpRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def history(self, phone_hash: str, since: datetime):
        stmt = select(
            func.count(), func.max(OTP.c.created_at), func.coalesce(func.sum(OTP.c.attempts), 0),
            func.max(OTP.c.last_failed_at),
        ).where(OTP.c.phone_hash == phone_hash, OTP.c.created_at >= since)
        return self.conn.execute(stmt).one()

    def add(self, *, id: str, phone_hash: str, code_hash: str, created_at: datetime, expires_at: datetime,
            attempts: int) -> None:
        self.conn.execute(insert(OTP).values({
            "id": id, "phone_hash": phone_hash, "code_hash": code_hash, "created_at": created_at,
            "expires_at": expires_at, "attempts": attempts,
        }))

    def supersede(self, phone_hash: str, now: datetime) -> None:
        """Only the newest code of a phone works: older ones count as used."""
        self.conn.execute(update(OTP).where(OTP.c.phone_hash == phone_hash, OTP.c.consumed_at.is_(None))
                          .values(consumed_at=now))

    def latest(self, phone_hash: str):
        stmt = (select(OTP).where(OTP.c.phone_hash == phone_hash)
                .order_by(OTP.c.created_at.desc(), OTP.c.id).limit(1))
        return self.conn.execute(stmt).first()

    def record_failure(self, challenge_id: str, expected_attempts: int, now: datetime) -> bool:
        res = self.conn.execute(update(OTP).where(
            OTP.c.id == challenge_id, OTP.c.attempts == expected_attempts, OTP.c.consumed_at.is_(None)
        ).values(attempts=expected_attempts + 1, last_failed_at=now))
        return res.rowcount == 1

    def purge(self, created_before: datetime) -> int:
        return self.conn.execute(delete(OTP).where(OTP.c.created_at < created_before)).rowcount

    def consume(self, challenge_id: str, now: datetime) -> bool:
        res = self.conn.execute(update(OTP).where(OTP.c.id == challenge_id, OTP.c.consumed_at.is_(None))
                                .values(consumed_at=now))
        return res.rowcount == 1


class LinkRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def _with_patient(self):
        return select(LINK, PAT.c.name_masked).join(PAT, PAT.c.id == LINK.c.patient_id)

    def for_account(self, account_id: str):
        stmt = self._with_patient().where(LINK.c.account_id == account_id, LINK.c.active.is_(True))
        return list(self.conn.execute(stmt.order_by(LINK.c.created_at)))

    def get(self, link_id: str):
        return self.conn.execute(self._with_patient().where(LINK.c.id == link_id)).first()

    def active(self, account_id: str, patient_id: str):
        return self.conn.execute(select(LINK).where(
            LINK.c.account_id == account_id, LINK.c.patient_id == patient_id, LINK.c.active.is_(True)
        )).first()

    def self_link(self, patient_id: str):
        return self.conn.execute(select(LINK).where(
            LINK.c.patient_id == patient_id, LINK.c.relation == "self", LINK.c.active.is_(True)
        )).first()

    def add(self, *, id: str, account_id: str, patient_id: str, relation: str, consent_channel: str,
            consent_version: str, created_at: datetime) -> None:
        """Raises AlreadyExists when the patient is linked elsewhere. Inside a savepoint, so the
        caller's transaction stays usable after the refusal (PostgreSQL aborts it otherwise)."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(LINK).values({
                    "id": id, "account_id": account_id, "patient_id": patient_id, "relation": relation,
                    "consent_channel": consent_channel, "consent_version": consent_version,
                    "created_at": created_at, "active": True,
                }))
        except IntegrityError as e:
            raise AlreadyExists("link") from e

    def revoke(self, link_id: str, now: datetime, by: str) -> bool:
        res = self.conn.execute(update(LINK).where(LINK.c.id == link_id, LINK.c.active.is_(True))
                                .values(active=False, revoked_at=now, revoked_by=by))
        return res.rowcount == 1

    def followers(self, patient_id: str):
        stmt = (select(LINK, ACC.c.phone_masked).join(ACC, ACC.c.id == LINK.c.account_id)
                .where(LINK.c.patient_id == patient_id, LINK.c.relation == "family",
                       LINK.c.active.is_(True)).order_by(LINK.c.created_at))
        return list(self.conn.execute(stmt))


class ShareCodeRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, *, code_hash: str, patient_id: str, relation: str, created_by: str, consent_version: str,
            created_at: datetime, expires_at: datetime) -> None:
        self.conn.execute(insert(SHARE).values({
            "code_hash": code_hash, "patient_id": patient_id, "relation": relation, "created_by": created_by,
            "consent_version": consent_version, "created_at": created_at, "expires_at": expires_at,
        }))

    def get(self, code_hash: str):
        return self.conn.execute(select(SHARE).where(SHARE.c.code_hash == code_hash)).first()

    def purge(self, expired_before: datetime) -> int:
        return self.conn.execute(delete(SHARE).where(SHARE.c.expires_at < expired_before)).rowcount

    def use(self, code_hash: str, account_id: str, now: datetime) -> bool:
        res = self.conn.execute(update(SHARE).where(
            SHARE.c.code_hash == code_hash, SHARE.c.used_at.is_(None), SHARE.c.expires_at > now
        ).values(used_at=now, used_by=account_id))
        return res.rowcount == 1


class SlotRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def take(self, service_code: str, start_at: datetime, day: date, capacity: int) -> bool:
        """One seat, if one is left. The row is created on first use; the seat is taken by a single
        conditional UPDATE, which PostgreSQL re-evaluates on the latest row version when two
        transactions race, so `booked` can never pass the capacity."""
        self.conn.execute(_insert(self.conn)(SLOT).values(
            service_code=service_code, start_at=start_at, day=day, booked=0,
        ).on_conflict_do_nothing(index_elements=[SLOT.c.service_code, SLOT.c.start_at]))
        res = self.conn.execute(update(SLOT).where(
            SLOT.c.service_code == service_code, SLOT.c.start_at == start_at, SLOT.c.booked < capacity
        ).values(booked=SLOT.c.booked + 1))
        return res.rowcount == 1

    def release(self, service_code: str, start_at: datetime) -> None:
        self.conn.execute(update(SLOT).where(
            SLOT.c.service_code == service_code, SLOT.c.start_at == start_at, SLOT.c.booked > 0
        ).values(booked=SLOT.c.booked - 1))

    def booked_on(self, service_code: str, day: date) -> dict[datetime, int]:
        stmt = select(SLOT.c.start_at, SLOT.c.booked).where(SLOT.c.service_code == service_code,
                                                             SLOT.c.day == day)
        return {r.start_at: r.booked for r in self.conn.execute(stmt)}

    def get(self, service_code: str, start_at: datetime):
        return self.conn.execute(select(SLOT).where(SLOT.c.service_code == service_code,
                                                    SLOT.c.start_at == start_at)).first()


class AppointmentRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, *, id: str, account_id: str, patient_id: str, service_code: str, coverage: str, day: date,
            slot_start: datetime, slot_end: datetime, status: str, created_at: datetime) -> None:
        """Raises AlreadyExists when the patient already holds a booking for that service and day."""
        try:
            self.conn.execute(insert(APPT).values({
                "id": id, "account_id": account_id, "patient_id": patient_id, "service_code": service_code,
                "coverage": coverage, "day": day, "slot_start": slot_start, "slot_end": slot_end,
                "status": status, "created_at": created_at,
            }))
        except IntegrityError as e:
            raise AlreadyExists("appointment") from e

    def get(self, appointment_id: str):
        return self.conn.execute(select(APPT).where(APPT.c.id == appointment_id)).first()

    def for_account(self, account_id: str, from_day: date | None = None):
        stmt = select(APPT).where(APPT.c.account_id == account_id)
        if from_day is not None:
            stmt = stmt.where(APPT.c.day >= from_day)
        return list(self.conn.execute(stmt.order_by(APPT.c.slot_start)))

    def count_booked(self, account_id: str, from_day: date) -> int:
        return self.conn.execute(select(func.count()).where(
            APPT.c.account_id == account_id, APPT.c.status == "booked", APPT.c.day >= from_day
        )).scalar_one()

    def booked_for(self, patient_id: str, service_code: str, day: date):
        return self.conn.execute(select(APPT).where(
            APPT.c.patient_id == patient_id, APPT.c.service_code == service_code, APPT.c.day == day,
            APPT.c.status == "booked")).first()

    def cancel(self, appointment_id: str, at: datetime) -> bool:
        return self._change(appointment_id, status="cancelled", cancelled_at=at)

    def move(self, appointment_id: str, slot_start: datetime, slot_end: datetime, day: date) -> bool:
        return self._change(appointment_id, slot_start=slot_start, slot_end=slot_end, day=day)

    def check_in(self, appointment_id: str, at: datetime, channel: str, arrival: str, ticket_id: str) -> bool:
        return self._change(appointment_id, status="checked_in", checked_in_at=at, check_in_channel=channel,
                            arrival=arrival, ticket_id=ticket_id)

    def _change(self, appointment_id: str, **values) -> bool:
        """Only a booking still "booked" changes: a conditional update, so two requests cannot both win."""
        res = self.conn.execute(update(APPT).where(
            APPT.c.id == appointment_id, APPT.c.status == "booked").values(**values))
        return res.rowcount == 1

    def booked_on(self, day: date):
        return list(self.conn.execute(select(APPT).where(APPT.c.day == day, APPT.c.status == "booked")))


class NotificationRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def claim(self, key: str, account_id: str, kind: str, now: datetime) -> bool:
        """True for the one caller whose insert made the key; everyone else must not send. (RETURNING,
        not rowcount: drivers do not all report a row count for INSERT … ON CONFLICT DO NOTHING.)"""
        stmt = _insert(self.conn)(SENT).values(
            key=key, account_id=account_id, kind=kind, status="sending", attempts=1, created_at=now,
        ).on_conflict_do_nothing(index_elements=[SENT.c.key]).returning(SENT.c.key)
        return self.conn.execute(stmt).first() is not None

    def finish(self, key: str, status: str, now: datetime, error: str | None = None) -> None:
        values = {"status": status, "last_error": error}
        if status == "sent":
            values["sent_at"] = now
        self.conn.execute(update(SENT).where(SENT.c.key == key).values(**values))

    def release(self, key: str) -> None:
        """Gives up a claim whose message the gateway did not take, so a later pass may try again."""
        self.conn.execute(delete(SENT).where(SENT.c.key == key, SENT.c.status == "sending"))

    def existing(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        return {r.key for r in self.conn.execute(select(SENT.c.key).where(SENT.c.key.in_(keys)))}

    def for_account(self, account_id: str):
        return list(self.conn.execute(select(SENT).where(SENT.c.account_id == account_id)
                                      .order_by(SENT.c.created_at)))


class FollowRepository:
    """Read side across tickets, visits and links: what a phone account may see and be told."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def tickets_for_patients(self, patient_ids: list[str], day: date) -> list[tuple[str, Ticket]]:
        """(patient id, ticket) for each of the day's tickets of these patients."""
        if not patient_ids:
            return []
        stmt = (select(T, V.c.patient_id.label("owner_patient_id")).join(V, V.c.id == T.c.visit_id)
                .where(V.c.patient_id.in_(patient_ids), T.c.day == day).order_by(T.c.issued_at))
        return [(r.owner_patient_id, row_to_ticket(r)) for r in self.conn.execute(stmt)]

    def open_followed_tickets(self, day: date):
        """Today's waiting and called tickets of patients followed by accounts that want messages."""
        stmt = (
            select(T, LINK.c.account_id, ACC.c.phone_enc, ACC.c.language, PAT.c.name_masked)
            .join(V, V.c.id == T.c.visit_id)
            .join(LINK, and_(LINK.c.patient_id == V.c.patient_id, LINK.c.active.is_(True)))
            .join(ACC, and_(ACC.c.id == LINK.c.account_id, ACC.c.notifications.is_(True)))
            .join(PAT, PAT.c.id == V.c.patient_id)
            .where(T.c.day == day, T.c.status.in_(("waiting", "called")))
        )
        return list(self.conn.execute(stmt))

    def invoices_for_visits(self, visit_ids: list[str]):
        if not visit_ids:
            return []
        inv = InvoiceRow.__table__
        stmt = select(inv).where(inv.c.visit_id.in_(visit_ids)).order_by(inv.c.created_at)
        return [row_to_invoice(r) for r in self.conn.execute(stmt)]
