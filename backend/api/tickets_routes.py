"""Services on offer and the patient's ticket: issue, follow, cancel."""
from flask import g, request, session
from flask.views import MethodView

from ..domain import actors
from ..presenters.rest import services_json, ticket_json
from ..services import tickets as ticket_service
from ..services.auth import lane_of
from ..services.idempotency import IdempotencyRequest
from ..services.payments import method_choices
from ..services.queues import overview
from ..services.tickets import TicketRequest, TrackAccess
from .blueprint import Blueprint
from .guards import current_staff, deps, device_or_staff, limit, session_staff
from .problems import ProblemException
from .schemas import ProblemSchema, ServicesSchema, TicketCreateSchema, TicketSchema, TokenQuerySchema

blp = Blueprint("tickets", __name__, url_prefix="/api/v1", description="Services and tickets")


@blp.route("/services")
class Services(MethodView):
    @blp.alt_response(200, schema=ServicesSchema, success=True,
                      description="Services with today's waiting count and estimated wait")
    def get(self):
        """Services on offer today (kiosk, phone)"""
        limit("public", "rate_public")
        d = deps()
        return services_json(overview(d), d.catalog, method_choices(d))


def _render(view):
    d = deps()
    return ticket_json(view, d.catalog, d.public_url)


@blp.route("/tickets")
class Tickets(MethodView):
    @blp.arguments(TicketCreateSchema())
    @blp.alt_response(201, schema=TicketSchema, success=True, description="The new ticket")
    @blp.alt_response(409, schema=ProblemSchema, content_type="application/problem+json",
                      description="VISIT_ALREADY_OPEN (with the `ticket_id` held for this service; card or "
                                  "BHXH-confirmed identification only), VISIT_OPEN_SEE_RECEPTION (a typed "
                                  "number whose patient has a visit today: no ids), QUEUE_CLOSED")
    @blp.doc(security=[{"device": []}, {"staffSession": []}], parameters=[{
        "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"},
        "description": "Same key + same body replays the first answer; another body → 422"}])
    def post(self, body):
        """Issue a ticket (kiosk, staff). Walk-ins without papers: only service_code and coverage.

        priority_reason: a kiosk may only declare pregnant, severe_disability or
        revolutionary_merit (the ticket shows it as declared until staff confirm it); age comes from
        the identified card; staff may give any legal reason, emergency included. Anything else from
        a kiosk: 422 PRIORITY_NOT_DECLARABLE, nothing issued. Staff of a room or cashier desk issue
        tickets for their own points' services only (403 FORBIDDEN)."""
        kind, who = device_or_staff()
        actor = f"{kind}:{who.id}"
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 128):
            raise ProblemException("VALIDATION_ERROR", extra={"errors": {"Idempotency-Key": ["1–128 characters"]}})
        idem = IdempotencyRequest.of(actor, key, "POST", "/api/v1/tickets", body) if key else None
        req = TicketRequest(
            service_code=body["service_code"], coverage=body["coverage"], issued_by=actor,
            priority_reason=body.get("priority_reason"), identify_token=body.get("identify_token"),
            lane=lane_of(deps(), who) if kind == "staff" else None,
        )
        issued = ticket_service.request_ticket(deps(), req, idem)
        headers = {"Idempotency-Replayed": "true"} if issued.replayed else {}
        return _render(issued.result), 201, headers


def _patient_token(ticket_id: str, token: str | None) -> bool:
    """True when the track token proves the ticket; 410 when it did, but its lifetime is over."""
    access = ticket_service.check_track_token(deps(), ticket_id, token)
    if access is TrackAccess.EXPIRED:
        raise ProblemException("TRACK_TOKEN_EXPIRED")
    return access is TrackAccess.VALID


@blp.route("/tickets/<ticket_id>")
class TicketResource(MethodView):
    @blp.arguments(TokenQuerySchema(), location="query")
    @blp.alt_response(200, schema=TicketSchema, success=True)
    def get(self, query, ticket_id):
        """Follow a ticket: status, position, people ahead, estimated wait (phone with token, staff)"""
        limit("public", "rate_public")
        view = ticket_service.follow_ticket(deps(), ticket_id, query.get("token"))
        if view is not None:
            return _render(view)
        staff = session_staff()
        if staff is None:
            raise ProblemException("TICKET_NOT_FOUND")
        return _render(ticket_service.view_ticket(deps(), ticket_id, lane_of(deps(), staff)))


@blp.route("/tickets/<ticket_id>/cancel")
class TicketCancel(MethodView):
    @blp.arguments(TokenQuerySchema(), location="query")
    @blp.alt_response(200, schema=TicketSchema, success=True)
    def post(self, query, ticket_id):
        """The patient leaves the queue (phone with token, or staff in their lane)"""
        limit("public", "rate_public")
        token = query.get("token") or (request.get_json(silent=True) or {}).get("token")
        if _patient_token(ticket_id, token if isinstance(token, str) else None):
            return _render(ticket_service.cancel_ticket(deps(), ticket_id, "patient"))
        staff = current_staff()
        return _render(ticket_service.cancel_ticket(deps(), ticket_id, actors.staff(staff.id),
                                                    lane_of(deps(), staff)))
