"""What the staff dashboard reads besides the queues: kiosk and printer health, and today's tickets
(a number typed at the reception desk, the waiting list of a room)."""
import re

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ..services import auth as auth_service
from ..services.auth import lane_of
from ..services.tickets import tickets_today
from .blueprint import Blueprint
from .guards import deps, staff_required
from .problems import ProblemException
from .schemas import TicketSchema
from ..presenters.rest import device_json, ticket_json

blp = Blueprint("staff_lists", __name__, url_prefix="/api/v1", description="Staff: devices and ticket look-up")

STAFF_DOC = {"security": [{"staffSession": []}]}
STATUSES = ("waiting", "called", "serving", "done", "skipped", "cancelled")
MAX_TICKETS = 500


class DeviceSchema(Schema):
    name = fields.String(metadata={"example": "kiosk-sanh-a-1"})
    kind = fields.String(metadata={"example": "kiosk"})
    last_seen_at = fields.DateTime(allow_none=True, metadata={"description": "last heartbeat"})
    printer_status = fields.String(allow_none=True, metadata={
        "enum": ["ok", "paper_low", "paper_out", "cover_open", "offline"]})
    app_version = fields.String(allow_none=True)
    revoked = fields.Boolean()
    responding = fields.Boolean(metadata={
        "description": "false once 3 heartbeats in a row were missed (or none ever came)"})
    heartbeat_s = fields.Float(metadata={"description": "the kiosks' heartbeat period the server expects",
                                         "example": 30.0})


class DevicesSchema(Schema):
    devices = fields.List(fields.Nested(DeviceSchema))


@blp.route("/devices")
class Devices(MethodView):
    @blp.alt_response(200, schema=DevicesSchema, success=True)
    @blp.doc(**STAFF_DOC)
    @staff_required("admin", "reception")
    def get(self):
        """Kiosks and their printers: last heartbeat, paper state, app version (admin, reception)"""
        return {"devices": [device_json(d) for d in auth_service.list_devices(deps())]}


class TicketSearchSchema(Schema):
    number = fields.String(validate=validate.Length(min=1, max=12), metadata={
        "description": "ticket number as printed, e.g. A012 (case and a missing zero padding forgiven)"})
    service = fields.String(validate=validate.Length(min=1, max=32))
    status = fields.String(validate=validate.OneOf(STATUSES))


class TicketListSchema(Schema):
    tickets = fields.List(fields.Nested(TicketSchema))
    truncated = fields.Boolean()


def _normalise_number(raw: str) -> str:
    """"a12" and "A012" are the same ticket to a clerk reading it off a crumpled slip."""
    m = re.fullmatch(r"\s*([A-Za-z]*)\s*0*(\d+)\s*", raw)
    if not m:
        raise ProblemException("VALIDATION_ERROR", extra={"errors": {"number": ["letters then digits"]}})
    return f"{m.group(1).upper()}{int(m.group(2)):03d}"


@blp.route("/tickets")
class TicketList(MethodView):
    @blp.arguments(TicketSearchSchema(), location="query")
    @blp.alt_response(200, schema=TicketListSchema, success=True,
                      description="Today's tickets in call order (waiting) or issue order")
    @blp.doc(**STAFF_DOC)
    @staff_required()
    def get(self, query):
        """Today's tickets by number, service or status (staff; room and cashier staff see only the
        services of their own points)"""
        d = deps()
        number = _normalise_number(query["number"]) if query.get("number") else None
        views, truncated = tickets_today(d, lane_of(d, g.staff), number=number, service=query.get("service"),
                                         status=query.get("status"), limit=MAX_TICKETS)
        return {"tickets": [ticket_json(v, d.catalog, d.public_url) for v in views],
                "truncated": truncated}
