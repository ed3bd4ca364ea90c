"""Repositories for patients, consents, card checks and the HIS outbox."""
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from .identity_models import (CardCheckRow, ConsentRow, HisOutboxRow, ManualLookupRow, PatientIdentifierRow,
                              PatientRow)

P = PatientRow.__table__
PI = PatientIdentifierRow.__table__
CONSENT = ConsentRow.__table__
CC = CardCheckRow.__table__
OUT = HisOutboxRow.__table__
ML = ManualLookupRow.__table__

# Every kiosk check-in runs these: built once, with bound parameters (see repositories.py).
_PATIENT_BY_HASHES = select(PI.c.patient_id).where(PI.c.lookup_hash.in_(bindparam("hashes", expanding=True)))
_PATIENT_BY_HASH = select(PI.c.patient_id).where(PI.c.lookup_hash == bindparam("h"))
_PATIENT = select(P).where(P.c.id == bindparam("id"))
_INSERT_PATIENT = insert(P)
_INSERT_IDENTIFIER = insert(PI)
_INSERT_CONSENT = insert(CONSENT)
_INSERT_CHECK = insert(CC)
_CHECK = select(CC).where(CC.c.id == bindparam("id"))
_ATTACH_VISIT = update(CC).where(CC.c.id == bindparam("check_id")).values(visit_id=bindparam("visit_id"))
_INSERT_OUTBOX = insert(OUT)


class PatientRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def find_by_hashes(self, hashes: list[str]) -> str | None:
        row = self.conn.execute(_PATIENT_BY_HASHES, {"hashes": list(hashes)}).first()
        return row.patient_id if row else None

    def get(self, patient_id: str):
        return self.conn.execute(_PATIENT, {"id": patient_id}).first()

    def add(self, patient_id: str, name_masked: str, data_enc: str, at: datetime) -> None:
        self.conn.execute(_INSERT_PATIENT, {"id": patient_id, "name_masked": name_masked,
                                            "data_enc": data_enc, "created_at": at, "updated_at": at})

    def update(self, patient_id: str, name_masked: str, data_enc: str, at: datetime) -> None:
        self.conn.execute(update(P).where(P.c.id == patient_id).values(
            name_masked=name_masked, data_enc=data_enc, updated_at=at))

    def link(self, lookup_hash: str, patient_id: str, kind: str) -> None:
        exists = self.conn.execute(_PATIENT_BY_HASH, {"h": lookup_hash}).first()
        if exists is None:
            self.conn.execute(_INSERT_IDENTIFIER, {"lookup_hash": lookup_hash, "patient_id": patient_id,
                                                   "kind": kind})

    def add_consent(self, at, patient_id, channel, purpose, text_version) -> None:
        self.conn.execute(_INSERT_CONSENT, {"at": at, "patient_id": patient_id, "channel": channel,
                                            "purpose": purpose, "text_version": text_version})

    def consents(self, patient_id: str):
        return list(self.conn.execute(select(CONSENT).where(CONSENT.c.patient_id == patient_id)))


class CardCheckRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, *, id: str, patient_id: str, visit_id: str | None, card_kind: str, status: str, code: str,
            outcome: str, staff_flag: bool, alert_it: bool, attempts: int, next_attempt_at: datetime | None,
            request_enc: str | None, created_at: datetime, checked_at: datetime | None) -> None:
        self.conn.execute(_INSERT_CHECK, {
            "id": id, "patient_id": patient_id, "visit_id": visit_id, "card_kind": card_kind, "status": status,
            "code": code, "outcome": outcome, "staff_flag": staff_flag, "alert_it": alert_it,
            "attempts": attempts, "next_attempt_at": next_attempt_at, "request_enc": request_enc,
            "created_at": created_at, "checked_at": checked_at,
        })

    def get(self, check_id: str):
        return self.conn.execute(_CHECK, {"id": check_id}).first()

    def attach_visit(self, check_id: str, visit_id: str) -> None:
        self.conn.execute(_ATTACH_VISIT, {"check_id": check_id, "visit_id": visit_id})

    def due(self, now: datetime, limit: int):
        stmt = (select(CC).where(CC.c.status == "pending", CC.c.next_attempt_at <= now)
                .order_by(CC.c.next_attempt_at).limit(limit))
        return list(self.conn.execute(stmt))

    def retry_later(self, check_id: str, expected_attempts: int, next_attempt_at: datetime) -> bool:
        return self._record(check_id, expected_attempts, next_attempt_at=next_attempt_at)

    def decide(self, check_id: str, expected_attempts: int, *, status: str, code: str, outcome: str,
               staff_flag: bool, alert_it: bool, checked_at: datetime) -> bool:
        return self._record(check_id, expected_attempts, status=status, code=code, outcome=outcome,
                            staff_flag=staff_flag, alert_it=alert_it, next_attempt_at=None, request_enc=None,
                            checked_at=checked_at)

    def _record(self, check_id: str, expected_attempts: int, **values) -> bool:
        values["attempts"] = expected_attempts + 1
        res = self.conn.execute(update(CC).where(
            CC.c.id == check_id, CC.c.attempts == expected_attempts, CC.c.status == "pending"
        ).values(**values))
        return res.rowcount == 1

    def for_visits(self, visit_ids: list[str]):
        if not visit_ids:
            return []
        return list(self.conn.execute(select(CC).where(CC.c.visit_id.in_(visit_ids))))

    def update(self, check_id: str, **values) -> None:
        self.conn.execute(update(CC).where(CC.c.id == check_id).values(**values))

    def flagged_today(self, since: datetime):
        stmt = select(CC).where(CC.c.created_at >= since, CC.c.visit_id.is_not(None),
                                or_(CC.c.status == "pending", CC.c.staff_flag.is_(True)))
        return list(self.conn.execute(stmt.order_by(CC.c.created_at)))


class HisOutboxRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def enqueue(self, outbox_id: str, visit_id: str, at: datetime) -> None:
        self.conn.execute(_INSERT_OUTBOX, {"id": outbox_id, "visit_id": visit_id, "status": "pending",
                                           "attempts": 0, "next_attempt_at": at, "created_at": at})

    def due(self, now: datetime, limit: int):
        stmt = (select(OUT).where(OUT.c.status == "pending", OUT.c.next_attempt_at <= now,
                                  or_(OUT.c.claimed_until.is_(None), OUT.c.claimed_until < now))
                .order_by(OUT.c.next_attempt_at).limit(limit))
        return list(self.conn.execute(stmt))

    def claim(self, outbox_id: str, attempts: int, until: datetime) -> bool:
        """One process sends an item at a time: the claim is a compare-and-set on attempts."""
        res = self.conn.execute(update(OUT).where(
            OUT.c.id == outbox_id, OUT.c.attempts == attempts, OUT.c.status == "pending"
        ).values(claimed_until=until, attempts=attempts + 1))
        return res.rowcount == 1

    def retry_later(self, outbox_id: str, error: str, next_attempt_at: datetime) -> None:
        self._finish(outbox_id, last_error=error, next_attempt_at=next_attempt_at)

    def park(self, outbox_id: str, error: str) -> None:
        self._finish(outbox_id, status="parked", last_error=error)

    def sent(self, outbox_id: str, at: datetime, his_patient_id: str | None, his_encounter_id: str | None) -> None:
        self._finish(outbox_id, status="sent", sent_at=at, last_error=None, his_patient_id=his_patient_id,
                     his_encounter_id=his_encounter_id)

    def _finish(self, outbox_id: str, **values) -> None:
        self.conn.execute(update(OUT).where(OUT.c.id == outbox_id).values(claimed_until=None, **values))

    def not_sent(self):
        return list(self.conn.execute(select(OUT).where(OUT.c.status != "sent").order_by(OUT.c.created_at)))

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute(select(OUT.c.status, func.count()).group_by(OUT.c.status))
        return {r[0]: r[1] for r in rows}

    def get_for_visit(self, visit_id: str):
        return self.conn.execute(select(OUT).where(OUT.c.visit_id == visit_id)).first()

    def retry_now(self, outbox_id: str, now: datetime) -> bool:
        """A parked item back in the queue, or a pending one waiting out its back-off sent now."""
        res = self.conn.execute(update(OUT).where(OUT.c.id == outbox_id, OUT.c.status.in_(("parked", "pending")))
                                .values(status="pending", next_attempt_at=now))
        return res.rowcount == 1


class ManualLookupRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def take(self, channel: str, window_start: datetime, limit: int) -> bool:
        """Count one look-up in the channel's current window if fewer than ``limit`` were counted.
        One conditional UPDATE decides, so two processes can never both take the last one."""
        self.conn.execute(delete(ML).where(ML.c.channel == channel, ML.c.window_start < window_start))
        mine = and_(ML.c.channel == channel, ML.c.window_start == window_start)
        for _ in range(2):
            taken = self.conn.execute(update(ML).where(mine, ML.c.count < limit).values(count=ML.c.count + 1))
            if taken.rowcount:
                return True
            if self.conn.execute(select(ML.c.count).where(mine)).first() is not None or limit <= 0:
                return False
            try:
                with self.conn.begin_nested():
                    self.conn.execute(insert(ML).values(channel=channel, window_start=window_start, count=1))
                return True
            except IntegrityError:
                continue  # another process opened the window a moment ago: count in its row
        return False
