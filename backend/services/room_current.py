"""Who is at the room now: the patient a room's own staff just called, so the doctor can confirm
who walked in (masked name, age, priority, coverage and BHYT state, payment). Reading it is a staff
read of personal data: audited. Only staff assigned to that point may read it."""
from dataclasses import dataclass
from datetime import date

from ..domain import actors
from ..domain.errors import DomainError
from ..domain.hospital_time import hospital_day
from ..domain.masking import age_on
from .context import Deps
from .tickets import TicketView, describe


@dataclass(frozen=True)
class CurrentPatient:
    view: TicketView
    name_masked: str | None  # None: a walk-in never identified (no card scanned)
    age: int | None
    gender: str | None
    bhyt_check: dict | None  # status, code, outcome of the visit's last BHYT check


def _age(record: dict, today: date) -> int | None:
    year = record.get("dob_year")
    if not year:
        return None
    month, day = record.get("dob_month"), record.get("dob_day")
    return age_on(date(year, month, day) if month and day else year, today)


def current_patient(deps: Deps, point_code: str, member) -> CurrentPatient | None:
    """`member`: services.auth.StaffMember. 403 FORBIDDEN unless the point is one of theirs."""
    if point_code not in deps.catalog.points:
        raise DomainError("SERVICE_POINT_NOT_FOUND")
    if point_code not in member.points:
        raise DomainError("FORBIDDEN")
    now = deps.clock()
    today = hospital_day(now)
    with deps.uow.write() as uow:
        at_point = sorted(uow.tickets.current_at_point(point_code, today), key=lambda t: t.called_at or now)
        if not at_point:
            return None
        ticket = at_point[-1]
        view = describe(uow, deps, ticket)
        visit = uow.visits.get(ticket.visit_id) if ticket.visit_id else None
        patient = uow.patients.get(visit.patient_id) if visit is not None and visit.patient_id else None
        record = deps.pii.decrypt(patient.data_enc) if patient is not None else {}
        checks = sorted(uow.card_checks.for_visits([ticket.visit_id]), key=lambda c: c.created_at) \
            if ticket.visit_id else []
        check = checks[-1] if checks else None
        if patient is not None:
            uow.audit.add(now, actors.staff(member.id), "patient.read", patient.id,
                          f"room_current point={point_code} ticket={ticket.id}")
            uow.commit()
    return CurrentPatient(
        view=view, name_masked=patient.name_masked if patient is not None else None,
        age=_age(record, today), gender=record.get("gender"),
        bhyt_check={"status": check.status, "code": check.code, "outcome": check.outcome} if check else None)
