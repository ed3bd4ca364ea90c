"""Appointments: free slots, booking (capacity kept by the database), cancel, reschedule, and the
check-in on arrival that turns a booking into a queue ticket.

Capacity: a slot row's `booked` counter moves only through `UPDATE … SET booked = booked + 1 WHERE
booked < capacity`, inside the write gate. The gate serialises one process; across processes on
PostgreSQL the conditional UPDATE is re-checked on the newest row version, so the count can never
pass the capacity however many phones press "book" at once.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from ..domain import actors
from ..domain import appointments as rules
from ..domain.appointments import AppointmentStatus, Arrival
from ..domain.assurance import Assurance
from ..domain.bhyt_check import CheckStatus, gateway_unavailable
from ..domain.catalog import Service
from ..domain.errors import DomainError
from ..domain.hospital_time import hospital_day, to_local
from ..domain.priority import PriorityClass, priority_from_age
from ..domain.tokens import new_id
from .accounts import Account, Link, link_of, link_view, mobile_of
from .context import Deps
from .idempotency import Answered, IdempotencyRequest, find_replay, remember
from .identification import RECHECK_BACKOFF_S, PatientIdentity
from .ports.bhxh import BhxhUnavailable
from .ports.uow import AlreadyExists, UnitOfWork
from .tickets import IssueTicket, create_ticket_row, view_ticket

log = logging.getLogger("tiepdon.appointments")


@dataclass(frozen=True)
class AppointmentView:
    id: str
    service_code: str
    coverage: str
    slot_start: datetime
    slot_end: datetime
    status: AppointmentStatus
    created_at: datetime
    patient: Link | None
    checked_in_at: datetime | None
    arrival: str | None
    ticket_id: str | None
    qr_payload: str
    check_in_from: datetime


def _view(deps: Deps, row, link: Link | None) -> AppointmentView:
    policy = mobile_of(deps).appointments
    return AppointmentView(
        id=row.id, service_code=row.service_code, coverage=row.coverage, slot_start=row.slot_start,
        slot_end=row.slot_end, status=rules.shown_status(row.status, row.slot_start, deps.clock()),
        created_at=row.created_at, patient=link, checked_in_at=row.checked_in_at, arrival=row.arrival,
        ticket_id=row.ticket_id, qr_payload=qr_payload(deps, row.id),
        check_in_from=rules.check_in_opens_at(row.slot_start, policy),
    )


def qr_payload(deps: Deps, appointment_id: str) -> str:
    return rules.appointment_qr(appointment_id, deps.signer.sign("appointment", appointment_id))


def _patient_link(uow: UnitOfWork, account: Account, patient_id: str) -> Link | None:
    row = uow.links.active(account.id, patient_id)
    return link_view(uow.links.get(row.id)) if row else None


def _owned(uow: UnitOfWork, account: Account, appointment_id: str):
    row = uow.appointments.get(appointment_id)
    # Someone else's appointment and no appointment look the same: ids cannot be probed.
    if row is None or row.account_id != account.id:
        raise DomainError("APPOINTMENT_NOT_FOUND")
    return row


# -- slots ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeSlot:
    start: datetime
    end: datetime
    capacity: int
    free: int


@dataclass(frozen=True)
class FreeSlots:
    """A service's bookable slots on a day with a free seat; `state` why there are none (DayState)."""

    service: Service
    date: date
    state: str
    slot_min: int
    slots: list[FreeSlot]


def free_slots(deps: Deps, service_code: str, day: date) -> FreeSlots:
    policy = mobile_of(deps).appointments
    service = deps.catalog.service(service_code)
    rule = policy.rule(service.code)
    now = deps.clock()
    state = rules.day_state(policy, rule, day, hospital_day(now))
    candidates = rules.bookable_slots(policy, rule, day, now)
    with deps.uow.read() as uow:
        booked = uow.slots.booked_on(service.code, day) if candidates else {}
    slots = []
    for slot in candidates:
        free = rule.capacity - booked.get(slot.start, 0)
        if free > 0:
            slots.append(FreeSlot(slot.start, slot.end, rule.capacity, free))
    return FreeSlots(service, day, state.value, rule.slot_min, slots)


# -- booking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    account: Account
    link_id: str
    service_code: str
    start: datetime
    coverage: str


def book(deps: Deps, cmd: Booking, idem: IdempotencyRequest | None = None) -> Answered[AppointmentView]:
    """Books the slot. A replay (the same Idempotency-Key and body) is the first booking as it was."""
    policy = mobile_of(deps).appointments
    service = deps.catalog.service(cmd.service_code)
    service.require_coverage(cmd.coverage)
    rule = policy.rule(service.code)
    now = deps.clock()
    with deps.uow.write() as uow:
        replay = find_replay(uow, idem, AppointmentView)
        if replay is not None:
            if replay.result is not None:
                return Answered(replay.result, replayed=True)
            row = _owned(uow, cmd.account, replay.first_id or "")  # a record from before results were kept
            return Answered(_view(deps, row, _patient_link(uow, cmd.account, row.patient_id)), replayed=True)
        slot = rules.find_slot(policy, service.code, cmd.start, now)
        link = link_of(uow, cmd.account, cmd.link_id)
        day = slot.start.date()
        if uow.appointments.count_booked(cmd.account.id, hospital_day(now)) >= policy.max_active_per_account:
            raise DomainError("APPOINTMENT_LIMIT")
        if uow.appointments.booked_for(link.patient_id, service.code, day) is not None:
            raise DomainError("APPOINTMENT_DUPLICATE")
        if not uow.slots.take(service.code, slot.start, day, rule.capacity):
            raise DomainError("SLOT_FULL")
        appointment_id = new_id()
        try:
            uow.appointments.add(id=appointment_id, account_id=cmd.account.id, patient_id=link.patient_id,
                                 service_code=service.code, coverage=cmd.coverage, day=day,
                                 slot_start=slot.start, slot_end=slot.end, status="booked", created_at=now)
        except AlreadyExists:
            raise DomainError("APPOINTMENT_DUPLICATE") from None  # the same patient, booked from two phones
        uow.audit.add(now, actors.account(cmd.account.id), "appointment.book", appointment_id)
        view = _view(deps, uow.appointments.get(appointment_id), link)
        remember(uow, idem, 201, view, now)
        uow.commit()
    log.info("appointment booked service=%s slot=%s", service.code, to_local(slot.start).isoformat())
    return Answered(view)


def get(deps: Deps, account: Account, appointment_id: str) -> AppointmentView:
    with deps.uow.read() as uow:
        row = _owned(uow, account, appointment_id)
        return _view(deps, row, _patient_link(uow, account, row.patient_id))


def mine(deps: Deps, account: Account) -> list[AppointmentView]:
    with deps.uow.read() as uow:
        rows = uow.appointments.for_account(account.id, hospital_day(deps.clock()) - timedelta(days=1))
        return [_view(deps, r, _patient_link(uow, account, r.patient_id)) for r in rows]


def cancel(deps: Deps, account: Account, appointment_id: str) -> AppointmentView:
    policy = mobile_of(deps).appointments
    now = deps.clock()
    with deps.uow.write() as uow:
        row = _owned(uow, account, appointment_id)
        if rules.shown_status(row.status, row.slot_start, now) is not AppointmentStatus.BOOKED:
            raise DomainError("APPOINTMENT_NOT_CHANGEABLE")
        rules.require_changeable(row.slot_start, now, policy)
        if not uow.appointments.cancel(row.id, now):
            raise DomainError("CONFLICT")
        uow.slots.release(row.service_code, row.slot_start)
        uow.audit.add(now, actors.account(account.id), "appointment.cancel", row.id)
        view = _view(deps, uow.appointments.get(row.id), _patient_link(uow, account, row.patient_id))
        uow.commit()
    return view


def reschedule(deps: Deps, account: Account, appointment_id: str, start: datetime) -> AppointmentView:
    policy = mobile_of(deps).appointments
    now = deps.clock()
    with deps.uow.write() as uow:
        row = _owned(uow, account, appointment_id)
        if rules.shown_status(row.status, row.slot_start, now) is not AppointmentStatus.BOOKED:
            raise DomainError("APPOINTMENT_NOT_CHANGEABLE")
        rules.require_changeable(row.slot_start, now, policy)
        slot = rules.find_slot(policy, row.service_code, start, now)
        if slot.start != row.slot_start:
            day = slot.start.date()
            other = uow.appointments.booked_for(row.patient_id, row.service_code, day)
            if other is not None and other.id != row.id:
                raise DomainError("APPOINTMENT_DUPLICATE")
            # The new seat first: if it is gone, the patient keeps the old one.
            if not uow.slots.take(row.service_code, slot.start, day, policy.rule(row.service_code).capacity):
                raise DomainError("SLOT_FULL")
            uow.slots.release(row.service_code, row.slot_start)
            if not uow.appointments.move(row.id, slot.start, slot.end, day):
                raise DomainError("CONFLICT")
            uow.audit.add(now, actors.account(account.id), "appointment.reschedule", row.id)
        view = _view(deps, uow.appointments.get(row.id), _patient_link(uow, account, row.patient_id))
        uow.commit()
    return view


def qr_png(deps: Deps, account: Account, appointment_id: str) -> bytes:
    view = get(deps, account, appointment_id)
    renderer = mobile_of(deps).qr
    if renderer is None:
        raise DomainError("SERVICE_UNAVAILABLE")
    return renderer.png(view.qr_payload)


# -- check-in on arrival ----------------------------------------------------------------------


def lobby_code_for(deps: Deps, day: date) -> str:
    return rules.lobby_code(deps.signer.sign("lobby", day.isoformat()))


@dataclass(frozen=True)
class CheckInProof:
    """How the patient shows they are in the hospital: a kiosk scanned the appointment QR, or the
    owner's phone sends a location inside the configured area or today's lobby code."""

    actor: str  # device:<id> | account:<id>
    account: Account | None = None
    qr: str | None = None
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    lobby_code: str | None = None


class AlreadyCheckedIn(DomainError):
    def __init__(self, ticket_view, appointment_id: str):
        super().__init__("APPOINTMENT_ALREADY_CHECKED_IN")
        self.ticket_view = ticket_view
        self.appointment_id = appointment_id


@dataclass(frozen=True)
class CheckInResult:
    appointment: AppointmentView
    ticket: object  # TicketView
    arrival: Arrival


def _authorise_check_in(deps: Deps, row, proof: CheckInProof, now: datetime) -> None:
    if proof.account is None:
        appointment_id, mac = rules.parse_appointment_qr(proof.qr or "")
        if appointment_id != row.id or not deps.signer.verify("appointment", appointment_id, mac):
            raise DomainError("APPOINTMENT_QR_INVALID")
        return
    if row.account_id != proof.account.id:
        raise DomainError("APPOINTMENT_NOT_FOUND")
    if proof.lobby_code is not None:
        code = rules.lobby_code_from_text(proof.lobby_code)
        if code is None or not secrets.compare_digest(code, lobby_code_for(deps, hospital_day(now))):
            raise DomainError("LOBBY_CODE_INVALID")
        return
    if proof.lat is None or proof.lon is None:
        raise DomainError("ARRIVAL_PROOF_REQUIRED")
    if not rules.inside_geofence(mobile_of(deps).appointments, proof.lat, proof.lon, proof.accuracy_m):
        raise DomainError("NOT_AT_HOSPITAL")


def _already(deps: Deps, row) -> AlreadyCheckedIn:
    return AlreadyCheckedIn(view_ticket(deps, row.ticket_id), row.id)


def _card_check(deps: Deps, record: dict):
    """Today's BHYT check for the visit, asked outside any transaction, as a kiosk scan would."""
    identifier = record.get("bhyt_code") or record.get("cccd")
    if record.get("dob_month") is None:
        dob = f"{record['dob_year']:04d}"
    else:
        dob = f"{record['dob_day']:02d}/{record['dob_month']:02d}/{record['dob_year']:04d}"
    request = {"code": identifier, "name": record["name"], "dob": dob}
    if deps.card_checker is None or not identifier:
        return gateway_unavailable(), request
    try:
        return deps.card_checker.check_card(identifier, record["name"], dob), request
    except BhxhUnavailable:
        return gateway_unavailable(), request


def check_in(deps: Deps, appointment_id: str, proof: CheckInProof) -> CheckInResult:
    policy = mobile_of(deps).appointments
    now = deps.clock()
    with deps.uow.read() as uow:
        row = uow.appointments.get(appointment_id)
        if row is None:
            raise DomainError("APPOINTMENT_NOT_FOUND")
        _authorise_check_in(deps, row, proof, now)
        if row.status == "checked_in":
            raise _already(deps, row)
        if row.status == "cancelled":
            raise DomainError("APPOINTMENT_CANCELLED")
        patient = uow.patients.get(row.patient_id)
    arrived = rules.arrival(row.slot_start, now, policy)
    service = deps.catalog.service(row.service_code)
    if not service.hours.is_open(now):
        raise DomainError("QUEUE_CLOSED", service=service.code)
    record = deps.pii.decrypt(patient.data_enc)
    check, request = _card_check(deps, record)
    if arrived is Arrival.ON_TIME:
        priority = PriorityClass.APPOINTMENT
    else:
        # Late: the slot's priority is gone, the legal ones (age) are not.
        birth = None
        if record.get("dob_month"):
            birth = date(record["dob_year"], record["dob_month"], record["dob_day"])
        priority = priority_from_age(birth, hospital_day(now))
    check_id = new_id()
    pending = check.status is CheckStatus.PENDING
    with deps.uow.write() as uow:
        current = uow.appointments.get(appointment_id)
        if current.status != "booked":
            if current.status == "checked_in":
                raise _already(deps, current)  # a second device won the race a moment ago
            raise DomainError("APPOINTMENT_CANCELLED")
        uow.card_checks.add(
            id=check_id, patient_id=row.patient_id, visit_id=None,
            card_kind="bhyt" if record.get("bhyt_code") else "cccd", status=check.status.value,
            code=check.code, outcome=check.outcome.value, staff_flag=check.staff_flag, alert_it=check.alert_it,
            attempts=1, next_attempt_at=now + timedelta(seconds=RECHECK_BACKOFF_S[0]) if pending else None,
            request_enc=deps.pii.encrypt(request) if pending else None, created_at=now,
            checked_at=None if pending else now,
        )
        ticket = create_ticket_row(uow, deps, IssueTicket(
            service_code=service.code, coverage=row.coverage, priority=priority, issued_by=proof.actor,
            # The booking account's link was made with the card at a kiosk or confirmed by BHXH.
            identity=PatientIdentity(row.patient_id, check_id, priority, Assurance.CONFIRMED)), now)
        if not uow.appointments.check_in(row.id, now, proof.actor, arrived.value, ticket.id):
            raise DomainError("CONFLICT")
        uow.audit.add(now, proof.actor, "appointment.check_in", row.id, arrived.value)
        uow.commit()
    deps.publisher.ticket_changed(ticket, "issue")
    if check.alert_it:
        deps.publisher.alert({"type": "bhxh_configuration", "code": check.code, "outcome": check.outcome.value})
    log.info("appointment checked in arrival=%s ticket=%s", arrived.value, ticket.display_number)
    with deps.uow.read() as uow:
        final = uow.appointments.get(appointment_id)
        link = _patient_link(uow, proof.account, final.patient_id) if proof.account else None
    return CheckInResult(_view(deps, final, link), view_ticket(deps, ticket.id), arrived)
