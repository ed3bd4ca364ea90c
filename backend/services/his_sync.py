"""Drains the HIS outbox: every new visit reaches the HIS exactly once, whenever the HIS is up.

An item is claimed with a compare-and-set (so two processes never send it twice at the same time),
sent outside any transaction, then marked sent, retried later with back-off, or parked for staff
when the HIS says it will never accept it. The HIS side is idempotent on the visit id as well.
"""
import logging
import random
from datetime import date, timedelta

from ..domain.errors import DomainError
from ..domain.his_record import VisitRegistration
from .context import Deps
from .ports.his import HisRejected, HisUnavailable
from .ports.signing import SignedDocument
from .ports.uow import UnitOfWork

log = logging.getLogger("tiepdon.his")

CLAIM_S = 60
MAX_BACKOFF_S = 300


def backoff_s(attempts: int) -> float:
    base = min(MAX_BACKOFF_S, 2 ** min(attempts, 9))
    return base * (0.75 + random.random() / 2)  # jitter: a recovering HIS is not hit all at once


def registration_for(uow: UnitOfWork, deps: Deps, visit_id: str) -> VisitRegistration:
    visit = uow.visits.get(visit_id)
    patient = uow.patients.get(visit.patient_id)
    data = deps.pii.decrypt(patient.data_enc)
    tickets = uow.tickets.for_visit(visit_id)
    first = tickets[0]
    service = deps.catalog.service(first.service_code)
    year_only = data.get("dob_month") is None
    dob = date(data["dob_year"], data.get("dob_month") or 1, data.get("dob_day") or 1)
    return VisitRegistration(
        visit_id=visit_id,
        seq=first.number,
        patient_id=visit.patient_id,
        full_name=data["name"],
        arrived_at=visit.created_at,
        hospital_code=deps.catalog.hospital_code,
        service_code=service.code,
        service_name=service.name_vi,
        gender=data.get("gender", "unknown"),
        cccd=data.get("cccd"),
        dob=dob,
        dob_year_only=year_only,
        bhyt_codes=(data["bhyt_code"],) if data.get("bhyt_code") else (),
        ma_dkbd=data.get("ma_dkbd"),
        card_valid_from=date.fromisoformat(data["valid_from"]) if data.get("valid_from") else None,
        card_valid_to=date.fromisoformat(data["valid_to"]) if data.get("valid_to") else None,
    )


def sync_outbox(deps: Deps, limit: int = 50) -> dict:
    """One pass. Returns counts of sent / retry / parked."""
    counts = {"sent": 0, "retry": 0, "parked": 0}
    if deps.his is None:
        return counts
    now = deps.clock()
    with deps.uow.read() as uow:
        due = uow.his_outbox.due(now, limit)
    for item in due:
        with deps.uow.write() as uow:
            if not uow.his_outbox.claim(item.id, item.attempts, now + timedelta(seconds=CLAIM_S)):
                continue  # another process took it
            registration = registration_for(uow, deps, item.visit_id)
            uow.commit()
        try:
            receipt = deps.his.register_visit(registration)
        except HisUnavailable as exc:
            with deps.uow.write() as uow:
                uow.his_outbox.retry_later(item.id, getattr(exc, "reason", "unavailable"),
                                           deps.clock() + timedelta(seconds=backoff_s(item.attempts + 1)))
                uow.commit()
            counts["retry"] += 1
            continue
        except HisRejected as exc:
            with deps.uow.write() as uow:
                uow.his_outbox.park(item.id, getattr(exc, "reason", "rejected"))
                uow.commit()
            log.warning("HIS refused a registration (%s): parked for staff", getattr(exc, "reason", "?"))
            counts["parked"] += 1
            continue
        with deps.uow.write() as uow:
            uow.his_outbox.sent(item.id, deps.clock(), receipt.his_patient_id, receipt.his_encounter_id)
            uow.commit()
        counts["sent"] += 1
    if any(counts.values()):
        log.info("HIS outbox pass: %s", counts)
    return counts


def not_in_his(deps: Deps) -> list[dict]:
    """Visits not yet registered in the HIS, for reception (masked names only)."""
    with deps.uow.read() as uow:
        rows = uow.his_outbox.not_sent()
        out = []
        for r in rows:
            visit = uow.visits.get(r.visit_id)
            patient = uow.patients.get(visit.patient_id)
            tickets = uow.tickets.for_visit(r.visit_id)
            out.append({
                "visit_id": r.visit_id, "status": r.status, "attempts": r.attempts,
                "last_error": r.last_error, "queued_at": r.created_at,
                "next_attempt_at": r.next_attempt_at, "name_masked": patient.name_masked,
                "tickets": [t.display_number for t in tickets],
            })
    return out


def retry_parked(deps: Deps, visit_id: str) -> None:
    with deps.uow.write() as uow:
        row = uow.his_outbox.get_for_visit(visit_id)
        if row is None or not uow.his_outbox.retry_now(row.id, deps.clock()):
            raise DomainError("INVALID_TRANSITION")
        uow.commit()


def xml0_for_visit(deps: Deps, visit_id: str, actor: str) -> "VisitRegistration":
    """The registration of one visit, for export. Reading it is a read of personal data: audited."""
    with deps.uow.write() as uow:
        if uow.visits.get(visit_id) is None or uow.his_outbox.get_for_visit(visit_id) is None:
            raise DomainError("NOT_FOUND")
        registration = registration_for(uow, deps, visit_id)
        uow.audit.add(deps.clock(), actor, "visit.xml0_export", visit_id)
        uow.commit()
    return registration


def export_xml0(deps: Deps, visit_id: str, actor: str) -> SignedDocument:
    """One visit's XML0 check-in record, signed by the hospital when a certificate is configured
    (the read is audited first). Raises SigningUnavailable when the certificate cannot sign."""
    registration = xml0_for_visit(deps, visit_id, actor)
    return deps.xml0_signer.sign(deps.xml0_format(registration))


def his_health(deps: Deps) -> dict:
    """Readiness of the HIS link, judged from the outbox: a backlog means the HIS is not taking
    registrations (the check-in itself keeps working either way)."""
    if deps.his is None:
        return {"status": "ok", "configured": False}
    with deps.uow.read() as uow:
        counts = uow.his_outbox.counts()
    pending, parked = counts.get("pending", 0), counts.get("parked", 0)
    status = "ok" if pending < 20 and parked == 0 else "degraded"
    return {"status": status, "configured": True, "pending": pending, "parked": parked}
