"""Services on offer and the patient's ticket: issue, follow, cancel."""
from flask import g, request, session
from flask.views import MethodView

from ..domain.hospital_time import hospital_day
from ..domain.priority import parse_priority
from ..services import tickets as ticket_service
from ..services.idempotency import IdempotencyRequest
from ..services.tickets import IssueTicket
from .blueprint import Blueprint
from .guards import deps, device_or_staff, limit, session_staff
from .problems import ProblemException
from .schemas import ServicesSchema, TicketCreateSchema, TicketSchema, TokenQuerySchema
from .views import service_ref, ticket_json

blp = Blueprint("tickets", __name__, url_prefix="/api/v1", description="Services and tickets")


@blp.route("/services")
class Services(MethodView):
    @blp.alt_response(200, schema=ServicesSchema, success=True,
                      description="Services with today's waiting count and estimated wait")
    def get(self):
        """Services on offer today (kiosk, phone)"""
        limit("public", "rate_public")
        from ..services.queues import overview

        d = deps()
        data = overview(d)
        services = []
        for row in data["services"]:
            s = row["service"]
            services.append({
                **service_ref(s), "prefix": s.prefix, "kind": s.kind,
                "coverages": list(s.coverages), "fee_vnd": s.fee_vnd, "open_now": row["open"],
                "kiosk": s.kiosk, "waiting": row["waiting"],
                "estimated_wait_min": row["estimated_wait_min"],
                "payment_before_call": s.payment_before_call,
            })
        return {"date": hospital_day(data["at"]).isoformat(),
                "hospital": {"code": d.catalog.hospital_code, "name_vi": d.catalog.hospital_name_vi,
                             "name_en": d.catalog.hospital_name_en},
                "services": services}


def _render(view):
    d = deps()
    return ticket_json(view, d.catalog, d.public_url)


@blp.route("/tickets")
class Tickets(MethodView):
    @blp.arguments(TicketCreateSchema())
    @blp.alt_response(201, schema=TicketSchema, success=True, description="The new ticket")
    @blp.doc(security=[{"device": []}, {"staffSession": []}], parameters=[{
        "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"},
        "description": "Same key + same body replays the first answer; another body → 422"}])
    def post(self, body):
        """Issue a ticket (kiosk, staff). Walk-ins without papers: only service_code and coverage."""
        kind, who = device_or_staff()
        actor = f"{kind}:{who.id}"
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 128):
            raise ProblemException("VALIDATION_ERROR", extra={"errors": {"Idempotency-Key": ["1–128 characters"]}})
        idem = IdempotencyRequest.of(actor, key, "POST", "/api/v1/tickets", body) if key else None
        identity = None
        if body.get("identify_token"):
            from ..services.identification import read_identify_token

            identity = read_identify_token(deps(), body["identify_token"])
        elif body["coverage"] == "bhyt":
            # BHYT needs a checked card; only self-pay walk-ins may come without papers.
            raise ProblemException("CARD_REQUIRED")
        declared = parse_priority(body.get("priority_reason"))
        cmd = IssueTicket(
            service_code=body["service_code"],
            coverage=body["coverage"],
            priority=declared or (identity.priority if identity else None),
            issued_by=actor,
            identity=identity,
        )
        rendered, replayed = ticket_service.issue_ticket(deps(), cmd, _render, idem)
        headers = {"Idempotency-Replayed": "true"} if replayed else {}
        return rendered, 201, headers


def _authorised_for_ticket(ticket_id: str, token: str | None) -> str:
    """A patient proves the ticket with its track token; staff with their session."""
    if token and deps().signer.verify("track", ticket_id, token):
        return "patient"
    if session_staff() is not None:
        return "staff"
    raise ProblemException("TICKET_NOT_FOUND")


@blp.route("/tickets/<ticket_id>")
class TicketResource(MethodView):
    @blp.arguments(TokenQuerySchema(), location="query")
    @blp.alt_response(200, schema=TicketSchema, success=True)
    def get(self, query, ticket_id):
        """Follow a ticket: status, position, people ahead, estimated wait (phone with token, staff)"""
        limit("public", "rate_public")
        _authorised_for_ticket(ticket_id, query.get("token"))
        return _render(ticket_service.view_ticket(deps(), ticket_id))


@blp.route("/tickets/<ticket_id>/cancel")
class TicketCancel(MethodView):
    @blp.arguments(TokenQuerySchema(), location="query")
    @blp.alt_response(200, schema=TicketSchema, success=True)
    def post(self, query, ticket_id):
        """The patient leaves the queue (phone with token, or staff)"""
        limit("public", "rate_public")
        token = query.get("token") or (request.get_json(silent=True) or {}).get("token")
        if token and deps().signer.verify("track", ticket_id, token):
            actor = "patient"
        else:
            from .guards import current_staff

            actor = f"staff:{current_staff().id}"
        return _render(ticket_service.cancel_ticket(deps(), ticket_id, actor))
