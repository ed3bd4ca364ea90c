"""Kiosk identification and the staff lists of visits that need a look (BHYT pending, not in HIS)."""
from urllib.parse import quote

from flask import Response, g
from flask.views import MethodView
from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from ..domain import actors
from ..services import his_sync, identification, visit_exceptions
from ..services.auth import IDENTIFY_ROLES, audit_trail
from ..services.identification import IdentifyRequest
from ..services.tickets import describe_tickets
from ..services.ports.signing import SigningUnavailable
from .blueprint import Blueprint
from .guards import deps, device_or_staff, staff_required
from .problems import ProblemException
from .query_fields import DayOrDateTime, check_period
from .schemas import ProblemSchema
from ..presenters.identification import identify_json
from ..presenters.rest import bhyt_flag_json, his_item_json, iso, ticket_json

blp = Blueprint("identify", __name__, url_prefix="/api/v1", description="Patient identification")


class ManualIdSchema(Schema):
    id_type = fields.String(required=True, validate=validate.OneOf(["cccd", "bhyt"]))
    number = fields.String(required=True, validate=validate.Length(min=1, max=20))
    name = fields.String(validate=validate.Length(max=100), load_default="")
    dob = fields.String(validate=validate.Length(max=10), load_default="",
                        metadata={"description": "dd/mm/yyyy, or yyyy when only the year is known"})


class ConsentSchema(Schema):
    accepted = fields.Boolean(required=True)
    text_version = fields.String(validate=validate.Length(max=32),
                                 load_default=identification.CONSENT_TEXT_VERSION)


class IdentifySchema(Schema):
    scan = fields.String(validate=validate.Length(min=1, max=2000),
                         metadata={"description": "raw QR text of a CCCD or BHYT card"})
    manual = fields.Nested(ManualIdSchema)
    consent = fields.Nested(ConsentSchema, required=True, metadata={
        "description": "the patient's explicit consent (Nghị định 13/2023), asked before scanning"})

    @validates_schema
    def one_source(self, data, **_):
        if ("scan" in data) == ("manual" in data):
            raise ValidationError("give exactly one of scan or manual", "scan")


class IdentifyResultSchema(Schema):
    patient = fields.Dict(metadata={"example": {"name_masked": "Nguyễn V. A", "age": 36,
                                                "gender": "male", "id_masked": "0010******45"}})
    card = fields.Dict()
    bhyt_check = fields.Dict()
    priority = fields.Dict(allow_none=True)
    assurance = fields.Dict(metadata={
        "description": "How sure the identification is: `card` (card QR scanned), `confirmed` (typed number "
                       "whose name and birth date BHXH confirmed) or `typed` (typed number alone). A `typed` "
                       "identification gets no `open_visit`, cannot join or reprint today's tickets nor make "
                       "share codes; `message_vi`/`message_en` then say so, the same words every time.",
        "example": {"level": "typed", "message_vi": "Bạn đã nhập số giấy tờ bằng tay: …",
                    "message_en": "You typed your ID number: …"}})
    open_visit = fields.Dict(allow_none=True, metadata={
        "description": "Today's open visit and its tickets; always null for a `typed` identification"})
    identify_token = fields.String()
    expires_at = fields.DateTime()


@blp.route("/kiosk/identify")
class Identify(MethodView):
    @blp.arguments(IdentifySchema())
    @blp.alt_response(200, schema=IdentifyResultSchema, success=True)
    @blp.alt_response(429, schema=ProblemSchema, content_type="application/problem+json",
                      description="MANUAL_LOOKUP_LIMIT: this kiosk typed too many numbers we did not know "
                                  "(TIEPDON_MANUAL_LOOKUP_LIMIT); Retry-After and retry_after_s say when "
                                  "it may again. Card scans still work.")
    @blp.doc(security=[{"device": []}, {"staffSession": []}])
    def post(self, body):
        """Identify a patient from a CCCD/BHYT QR or typed number; checks BHYT with BHXH (kiosk, or
        reception and admin at a desk: 403 FORBIDDEN for room and cashier accounts)"""
        kind, who = device_or_staff(IDENTIFY_ROLES)
        if not body["consent"]["accepted"]:
            raise ProblemException("CONSENT_REQUIRED")
        result = identification.identify(deps(), IdentifyRequest(
            scan=body.get("scan"), manual=body.get("manual"),
            consent_version=body["consent"]["text_version"],
            channel=actors.device(who.id) if kind == "device" else actors.staff(who.id),
            card_in_hand=True))
        d = deps()
        open_tickets = None
        if result.open_visit is not None:
            open_tickets = [ticket_json(v, d.catalog, d.public_url) for v in describe_tickets(d, result.open_tickets)]
        return identify_json(result, open_tickets)


@blp.route("/visits/not-in-his")
class NotInHis(MethodView):
    @blp.doc(security=[{"staffSession": []}])
    @blp.alt_response(200, success=True, description="Visits whose HIS registration is pending or parked")
    @staff_required("admin", "reception")
    def get(self):
        """Visits not yet registered in the HIS"""
        return {"visits": [his_item_json(r) for r in his_sync.not_in_his(deps())]}


@blp.route("/visits/<visit_id>/his-retry")
class HisRetry(MethodView):
    @blp.doc(security=[{"staffSession": []}])
    @blp.alt_response(204, success=True, description="Queued again")
    @staff_required("admin", "reception")
    def post(self, visit_id):
        """Send a HIS registration now: a parked one again (after fixing it in the HIS), a pending one
        without waiting out its back-off (409 INVALID_TRANSITION once it is sent)"""
        his_sync.retry_parked(deps(), visit_id)
        return Response(status=204)


@blp.route("/visits/bhyt-flagged")
class BhytFlagged(MethodView):
    @blp.doc(security=[{"staffSession": []}])
    @blp.alt_response(200, success=True, description="Today's visits whose BHYT check is pending or needs staff")
    @staff_required("admin", "reception", "cashier")
    def get(self):
        """Today's visits with a BHYT check pending or flagged for staff: BHXH's code in words
        (meaning_vi/en), what staff do (todo_vi/en) and the action offered here (`recheck`: POST
        /visits/{id}/bhyt-recheck; `reviewed`: POST /visits/{id}/bhyt-reviewed)"""
        return {"visits": [bhyt_flag_json(r) for r in visit_exceptions.bhyt_flags(deps())]}


@blp.route("/visits/<visit_id>/bhyt-recheck")
class BhytRecheck(MethodView):
    @blp.doc(security=[{"staffSession": []}])
    @blp.alt_response(204, success=True, description="BHXH is asked again at the next pass (seconds)")
    @staff_required("admin", "reception")
    def post(self, visit_id):
        """Ask BHXH again now about a visit's pending BHYT check (audited; 409 INVALID_TRANSITION
        when none is pending, 404 VISIT_NOT_FOUND)"""
        visit_exceptions.recheck_now(deps(), visit_id, actors.staff(g.staff.id))
        return Response(status=204)


@blp.route("/visits/<visit_id>/bhyt-reviewed")
class BhytReviewed(MethodView):
    @blp.doc(security=[{"staffSession": []}])
    @blp.alt_response(204, success=True, description="Off the list of BHYT checks needing staff")
    @staff_required("admin", "reception")
    def post(self, visit_id):
        """Staff dealt with a visit's flagged BHYT check (card and papers seen; audited; 409
        INVALID_TRANSITION when nothing is flagged, 404 VISIT_NOT_FOUND)"""
        visit_exceptions.mark_reviewed(deps(), visit_id, actors.staff(g.staff.id))
        return Response(status=204)


@blp.route("/visits/<visit_id>/xml0")
class VisitXml0(MethodView):
    @blp.doc(security=[{"staffSession": []}])
    @blp.alt_response(200, success=True, content_type="application/xml",
                      description="QĐ 130 XML0 check-in record of the visit (the read is audited), signed by "
                                  "the hospital in CHUKYDONVI when a certificate is configured",
                      headers={"X-XML0-Signed": {"description": "true: CHUKYDONVI holds the hospital's "
                                                                "XML-DSig signature; false: left empty for "
                                                                "the HIS to sign",
                                                 "schema": {"type": "string", "enum": ["true", "false"]}},
                               "X-XML0-Signer": {"description": "Subject (RFC 4514, UTF-8 percent-encoded) "
                                                                "of the signing certificate, when signed",
                                                 "schema": {"type": "string"}}})
    @staff_required("admin", "reception")
    def get(self, visit_id):
        """Export a visit's XML0 check-in record (for a vendor HIS)"""
        try:
            document = his_sync.export_xml0(deps(), visit_id, actors.staff(g.staff.id))
        except SigningUnavailable:
            raise ProblemException("XML0_SIGNING_UNAVAILABLE") from None
        headers = {"Content-Disposition": f"attachment; filename=XML0_{visit_id}.xml",
                   "X-XML0-Signed": "true" if document.signed else "false"}
        if document.signer_subject:
            headers["X-XML0-Signer"] = quote(document.signer_subject, safe=" =,+")  # UTF-8 in a latin-1 header
        return Response(document.content, mimetype="application/xml", headers=headers)


class AuditQuerySchema(Schema):
    start = DayOrDateTime(required=True, data_key="from", metadata={"example": "2026-12-02"})
    end = DayOrDateTime(end=True, required=True, data_key="to", metadata={"example": "2026-12-03"})

    @validates_schema
    def ordered(self, data, **_):
        if "start" in data and "end" in data:
            check_period(data["start"], data["end"], "to")


@blp.route("/audit")
class Audit(MethodView):
    @blp.arguments(AuditQuerySchema(), location="query")
    @blp.doc(security=[{"staffSession": []}])
    @blp.alt_response(200, success=True, description="Who accessed or changed what, when")
    @staff_required("admin")
    def get(self, query):
        """Audit trail for a period (breach reports within 72 hours, Nghị định 13/2023)

        `from` and `to` are plain dates (YYYY-MM-DD: the hospital's local day; `to` includes its
        whole day, so from=2026-12-02&to=2026-12-02 is that one day) or ISO 8601 datetimes (without
        an offset: hospital-local time; `to` is then exclusive). 422 VALIDATION_ERROR for anything
        else, for dates outside 1900–9000, or when `to` is not after `from`."""
        entries = audit_trail(deps(), query["start"], query["end"])
        # detail holds field names and reason codes, never personal data
        return {"entries": [{"at": iso(e.at), "actor": e.actor, "actor_name": e.actor_name, "action": e.action,
                             "subject": e.subject, "detail": e.detail} for e in entries]}
