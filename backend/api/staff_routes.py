"""What staff do at a counter or exam room, and what they watch."""
import csv
import io
from datetime import date

from flask import Response, g
from flask.views import MethodView

from ..domain.hospital_time import hospital_day
from ..domain.priority import PriorityClass
from ..domain.tickets import Action
from ..services import calling
from ..services.auth import lane_of
from ..services.calling import StaffScope
from ..services.queues import overview_in
from ..services.room_current import current_patient
from ..services.stats import day_stats
from ..services.tickets import describe
from .blueprint import Blueprint
from .guards import deps, staff_required
from .schemas import (
    CallNextSchema,
    CurrentPatientSchema,
    ProblemSchema,
    PrioritySetSchema,
    QueuesSchema,
    StatsQuerySchema,
    StatsSchema,
    TicketSchema,
    TransferResultSchema,
    TransferSchema,
)
from ..presenters.rest import current_patient_json, queues_json, ticket_json

blp = Blueprint("staff", __name__, url_prefix="/api/v1", description="Staff: calling and queues")

STAFF_DOC = {"security": [{"staffSession": []}]}


def _scope() -> StaffScope:
    """The member's lane: room and cashier staff act on their points' services only (403 FORBIDDEN)."""
    return StaffScope.of(deps(), g.staff)


def _json(ticket):
    d = deps()
    with d.uow.read() as uow:
        view = describe(uow, d, ticket)
    return ticket_json(view, d.catalog, d.public_url)


@blp.route("/service-points/<point_code>/call-next")
class CallNext(MethodView):
    @blp.arguments(CallNextSchema(), required=False, example={"current": "no_show"})
    @blp.alt_response(200, schema=TicketSchema, success=True, description="The ticket now called")
    @blp.alt_response(204, description="Nobody is waiting for this service point")
    @blp.alt_response(409, schema=ProblemSchema, content_type="application/problem+json",
                      description="CURRENT_NOT_SERVED (with `ticket_id` and `display_number` of the "
                                  "point's patient who was called but never started): nothing changed")
    @blp.doc(**STAFF_DOC)
    @staff_required()
    def post(self, body, point_code):
        """Call the next patient at a service point (atomic across staff and processes).

        The point's current patient is closed first: one being served is finished; one only
        called (never started) is not finished — the call is refused with 409
        CURRENT_NOT_SERVED unless the body says {"current": "no_show"}, which marks them a
        no-show (skipped, may be re-queued once)."""
        ticket = calling.call_next(deps(), point_code, _scope(), no_show=body.get("current") == "no_show")
        if ticket is None:
            return Response(status=204)
        return _json(ticket)


def _action_view(action: Action):
    @blp.alt_response(200, schema=TicketSchema, success=True)
    @blp.doc(**STAFF_DOC)
    @staff_required()
    def post(self, ticket_id):
        return _json(calling.act(deps(), ticket_id, action, _scope()))

    post.__doc__ = f"Ticket transition: {action.value}"
    return type(f"Ticket{action.value.title()}", (MethodView,), {"post": post})


for _action in (Action.RECALL, Action.START, Action.FINISH, Action.SKIP, Action.REQUEUE):
    blp.route(f"/tickets/<ticket_id>/{_action.value}")(_action_view(_action))


@blp.route("/tickets/<ticket_id>/transfer")
class Transfer(MethodView):
    @blp.arguments(TransferSchema())
    @blp.alt_response(201, schema=TransferResultSchema, success=True)
    @blp.doc(**STAFF_DOC)
    @staff_required()
    def post(self, body, ticket_id):
        """Send the patient on to another service: a new ticket on the same visit.

        Only a patient who was seen (serving: finished now; or done) can be sent on, and a ticket
        once: 409 NOT_BEING_SERVED (only called), 409 ALREADY_TRANSFERRED (with `ticket_id` and
        `display_number` of its replacement). The old ticket then answers `replaced_by` and
        `current`; the patient's phone follows the new ticket on the same link."""
        source, new = calling.transfer(deps(), ticket_id, body["service_code"], _scope())
        return {"from_ticket": _json(source), "ticket": _json(new)}, 201


@blp.route("/tickets/<ticket_id>/priority")
class TicketPriority(MethodView):
    @blp.arguments(PrioritySetSchema(), example={"reason": "pregnant", "confirmed": True})
    @blp.alt_response(200, schema=TicketSchema, success=True,
                      description="The ticket with its priority now; its place in the queue follows")
    @blp.doc(**STAFF_DOC)
    @staff_required()
    def post(self, body, ticket_id):
        """Confirm, give or reject a ticket's legal priority (staff in their lane; audited).

        A reason a patient declared at a kiosk (pregnant, severe_disability, revolutionary_merit)
        shows as priority.status "declared" until staff confirm it here. It already counts in the
        queue while declared (the law owes it); rejecting it removes the boost at once. Staff also
        give reasons here, emergency included. The ticket keeps its arrival time. Errors: 403
        FORBIDDEN (outside the lane), 409 PRIORITY_NOT_DECLARED, 409 INVALID_TRANSITION (closed)."""
        ticket = calling.set_priority(deps(), ticket_id, PriorityClass(body["reason"]), body["confirmed"],
                                      _scope())
        return _json(ticket)


@blp.route("/service-points/<point_code>/current")
class CurrentPatient(MethodView):
    @blp.alt_response(200, schema=CurrentPatientSchema, success=True,
                      description="The patient called or being seen at this point now")
    @blp.alt_response(204, description="Nobody is called at this point")
    @blp.doc(**STAFF_DOC)
    @staff_required()
    def get(self, point_code):
        """Who walked in: masked name, age, priority, coverage and BHYT state, payment (the point's
        own staff only, 403 FORBIDDEN for anyone else; the read is audited as patient.read)"""
        d = deps()
        current = current_patient(d, point_code, g.staff)
        if current is None:
            return Response(status=204)
        return current_patient_json(current, d.catalog, d.public_url)


@blp.route("/queues")
class Queues(MethodView):
    @blp.alt_response(200, schema=QueuesSchema, success=True)
    @blp.doc(**STAFF_DOC)
    @staff_required()
    def get(self):
        """Every service and service point today: waiting, called, serving, longest wait (room and
        cashier staff: their points' services and the points serving them)"""
        return queues_json(overview_in(deps(), lane_of(deps(), g.staff)))


CSV_COLUMNS = ["date", "service_code", "issued", "done", "skipped", "cancelled", "waiting",
               "no_show_rate", "wait_p50_min", "wait_p90_min", "wait_p99_min",
               "service_p50_min", "service_p90_min"]


@blp.route("/stats")
class Stats(MethodView):
    @blp.arguments(StatsQuerySchema(), location="query")
    @blp.alt_response(200, schema=StatsSchema, success=True,
                      description="JSON, or text/csv with ?format=csv")
    @blp.doc(**STAFF_DOC, responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    @staff_required()
    def get(self, query):
        """Counts, wait and service time percentiles, tickets per hour (JSON or CSV; room and
        cashier staff: their points' services)"""
        d = deps()
        day: date = query.get("date") or hospital_day(d.clock())
        data = day_stats(d, day, query.get("service"), lane_of(d, g.staff))
        if query.get("format") == "csv":
            buf = io.StringIO()
            writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            for row in data["services"]:
                writer.writerow({"date": day.isoformat(), **row})
            return Response(buf.getvalue(), mimetype="text/csv",
                            headers={"Content-Disposition": f"attachment; filename=tiepdon-{day}.csv"})
        data["date"] = day.isoformat()
        return data
