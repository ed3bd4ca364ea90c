"""Appointments in the patient app (tag "mobile"): free slots, book, cancel, reschedule, the check-in
QR, and check-in on arrival (phone in the hospital area or with the lobby code, or a kiosk scanning
the appointment QR). Routes join the "mobile" blueprint (mobile_blueprint.py).

A second check-in answers 409 APPOINTMENT_ALREADY_CHECKED_IN with the first check-in's ticket in the
problem document (`ticket`), so an app that retried after a lost answer still gets its ticket.
"""
from flask import Response, g, request
from flask.views import MethodView

from ..domain import actors
from ..domain.appointments import Arrival
from ..domain.hospital_time import hospital_day
from ..messages import pair
from ..services import appointments as appointment_service
from ..services.appointments import AppointmentView, Booking, CheckInProof
from ..services.idempotency import IdempotencyRequest
from .guards import bearer_account, bearer_device, deps, limit, patient_account_required, staff_required
from .mobile_blueprint import ACCOUNT, blp
from .mobile_schemas import (
    AppointmentCreateSchema,
    AppointmentSchema,
    AppointmentsSchema,
    CheckInConflictSchema,
    CheckInResultSchema,
    CheckInSchema,
    LobbyCodeSchema,
    RescheduleSchema,
    SlotsQuerySchema,
    SlotsSchema,
)
from .problems import ProblemException
from ..presenters.rest import free_slots_json, iso, link_json, service_ref, ticket_json

ARRIVAL_MESSAGES = {arrival: pair(f"arrival.{arrival.value}") for arrival in Arrival}


def appointment_json(view: AppointmentView) -> dict:
    d = deps()
    return {
        "id": view.id,
        "status": view.status.value,
        "service": service_ref(d.catalog.service(view.service_code)),
        "coverage": view.coverage,
        "start": iso(view.slot_start),
        "end": iso(view.slot_end),
        "patient": link_json(view.patient) if view.patient else None,
        "created_at": iso(view.created_at),
        "check_in_from": iso(view.check_in_from),
        "checked_in_at": iso(view.checked_in_at),
        "arrival": view.arrival,
        "ticket_id": view.ticket_id,
        "qr_payload": view.qr_payload,
        "qr_png_url": f"{d.public_url}/api/v1/appointments/{view.id}/qr.png",
    }


@blp.route("/appointments/slots")
class Slots(MethodView):
    @blp.arguments(SlotsQuerySchema(), location="query")
    @blp.alt_response(200, schema=SlotsSchema, success=True, description="Free slots of that day")
    def get(self, query):
        """Free appointment slots of a service on a day (public)"""
        limit("public", "rate_public")
        return free_slots_json(appointment_service.free_slots(deps(), query["service"], query["date"]))


@blp.route("/appointments")
class Appointments(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(200, schema=AppointmentsSchema, success=True, description="From yesterday on")
    @patient_account_required
    def get(self):
        """My appointments (booked by this account)"""
        return {"appointments": [appointment_json(v) for v in appointment_service.mine(deps(), g.account)]}

    @blp.doc(security=ACCOUNT, parameters=[{
        "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"},
        "description": "Same key + same body replays the first answer; another body → 422"}])
    @blp.arguments(AppointmentCreateSchema(), example={
        "service_code": "KHAM-NOI", "start": "2026-11-24T08:00:00+07:00",
        "patient_link_id": "TGlua0lkMDAwMDE", "coverage": "bhyt"})
    @blp.alt_response(201, schema=AppointmentSchema, success=True,
                      description="Booked; show qr_payload as a QR or fetch qr_png_url")
    @patient_account_required
    def post(self, body):
        """Book a slot for me or a followed relative (409 SLOT_FULL when the last seat just went)"""
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 128):
            raise ProblemException("VALIDATION_ERROR", extra={"errors": {"Idempotency-Key": ["1–128 characters"]}})
        raw = request.get_json(silent=True) or {}
        idem = (IdempotencyRequest.of(f"account:{g.account.id}", key, "POST", "/api/v1/appointments", raw)
                if key else None)
        cmd = Booking(account=g.account, link_id=body["patient_link_id"], service_code=body["service_code"],
                      start=body["start"], coverage=body["coverage"])
        booked = appointment_service.book(deps(), cmd, idem)
        return appointment_json(booked.result), 201, ({"Idempotency-Replayed": "true"} if booked.replayed else {})


@blp.route("/appointments/lobby-code")
class LobbyCode(MethodView):
    @blp.doc(security=[{"staffSession": []}])
    @blp.alt_response(200, schema=LobbyCodeSchema, success=True,
                      description="Today's code for the lobby poster / display (changes at midnight)")
    @staff_required("admin", "reception")
    def get(self):
        """Today's lobby check-in code (print it as a QR poster or show it on the lobby display)"""
        d = deps()
        day = hospital_day(d.clock())
        code = appointment_service.lobby_code_for(d, day)
        return {"date": day.isoformat(), "code": code, "qr_payload": f"{d.public_url}/checkin?lobby={code}"}


@blp.route("/appointments/<appointment_id>")
class AppointmentResource(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(200, schema=AppointmentSchema, success=True)
    @patient_account_required
    def get(self, appointment_id):
        """One of my appointments"""
        return appointment_json(appointment_service.get(deps(), g.account, appointment_id))


@blp.route("/appointments/<appointment_id>/cancel")
class AppointmentCancel(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(200, schema=AppointmentSchema, success=True, description="Cancelled; the seat is free again")
    @patient_account_required
    def post(self, appointment_id):
        """Cancel (until change_until_min before the slot)"""
        return appointment_json(appointment_service.cancel(deps(), g.account, appointment_id))


@blp.route("/appointments/<appointment_id>/reschedule")
class AppointmentReschedule(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.arguments(RescheduleSchema(), example={"start": "2026-11-24T09:00:00+07:00"})
    @blp.alt_response(200, schema=AppointmentSchema, success=True,
                      description="Moved; the QR stays the same. If the new slot is full, nothing changes")
    @patient_account_required
    def post(self, body, appointment_id):
        """Move to another slot of the same service"""
        return appointment_json(appointment_service.reschedule(deps(), g.account, appointment_id, body["start"]))


@blp.route("/appointments/<appointment_id>/qr.png")
class AppointmentQr(MethodView):
    @blp.doc(security=ACCOUNT)
    @blp.alt_response(200, success=True, content_type="image/png", description="The check-in QR")
    @patient_account_required
    def get(self, appointment_id):
        """The appointment's check-in QR as a PNG"""
        png = appointment_service.qr_png(deps(), g.account, appointment_id)
        return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=3600"})


@blp.route("/appointments/<appointment_id>/check-in")
class AppointmentCheckIn(MethodView):
    @blp.doc(security=[{"patientAccount": []}, {"device": []}])
    @blp.arguments(CheckInSchema(), examples={
        "phone in the hospital area": {"value": {"location": {"lat": 21.5943, "lon": 105.8483, "accuracy_m": 20}}},
        "phone with the lobby code": {"value": {"lobby_code": "48213907"}},
        "kiosk scanning the appointment QR": {"value": {"qr": "TDA1.Qm9vS2luZ0lkMTI.hQ3v…"}},
    })
    @blp.alt_response(201, schema=CheckInResultSchema, success=True,
                      description="Queued: on time → appointment priority, late → walk-in")
    @blp.alt_response(409, schema=CheckInConflictSchema, content_type="application/problem+json",
                      description="APPOINTMENT_ALREADY_CHECKED_IN (with the ticket), TOO_EARLY (with "
                                  "check_in_from), EXPIRED, CANCELLED")
    def post(self, body, appointment_id):
        """Check in on arrival: the appointment becomes a queue ticket"""
        proof = _proof(body)
        d = deps()
        result = appointment_service.check_in(d, appointment_id, proof)
        ticket = ticket_json(result.ticket, d.catalog, d.public_url)
        if result.appointment.patient is not None:
            ticket["patient"] = link_json(result.appointment.patient)
        vi, en = ARRIVAL_MESSAGES[result.arrival]
        return {"appointment": appointment_json(result.appointment), "ticket": ticket,
                "arrival": result.arrival.value, "message_vi": vi, "message_en": en}, 201


def _proof(body: dict) -> CheckInProof:
    """A phone (account token) proves presence by location or lobby code; a kiosk (device token) by
    the appointment QR it scanned."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer pa_"):
        account = bearer_account()
        if account is None:
            limit("auth-fail", "rate_public")
            raise ProblemException("UNAUTHORIZED")
        limit("check-in", "rate_otp", account.id)  # the lobby code is 8 digits: no guessing at speed
        location = body.get("location") or {}
        return CheckInProof(actor=actors.account(account.id), account=account, lat=location.get("lat"),
                            lon=location.get("lon"), accuracy_m=location.get("accuracy_m"),
                            lobby_code=body.get("lobby_code"))
    device = bearer_device()
    if device is None:
        limit("auth-fail", "rate_public")
        raise ProblemException("UNAUTHORIZED")
    limit("kiosk", "rate_kiosk", device.id)
    if not body.get("qr"):
        raise ProblemException("APPOINTMENT_QR_INVALID")
    return CheckInProof(actor=actors.device(device.id), qr=body["qr"])
