"""Request and response shapes of the patient app (tag "mobile"), with examples for the app team."""
from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from ..services.accounts import LINK_CONSENT_VERSION
from .schemas import COVERAGE, ProblemSchema, ServiceRefSchema, TicketSchema, InvoiceBriefSchema

PHONE = fields.String(required=True, validate=validate.Length(min=9, max=20), metadata={
    "description": "Vietnamese mobile number, national (0912345678) or international (+84912345678); "
                   "spaces, dots and dashes are ignored", "example": "0912345678"})


LANG = fields.String(validate=validate.OneOf(["vi", "en"]), metadata={
    "description": "language of the app: the SMS is sent in it (default: the account's language, else vi)",
    "example": "vi"})


class OtpRequestSchema(Schema):
    phone = PHONE
    lang = LANG


class OtpSentSchema(Schema):
    phone_masked = fields.String(metadata={"example": "09******78"})
    expires_in_s = fields.Integer(metadata={"example": 300})
    resend_after_s = fields.Integer(metadata={"example": 60})


class OtpVerifySchema(Schema):
    phone = PHONE
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$"),
                         metadata={"example": "123456", "description": "the 6 digits from the SMS"})
    lang = fields.String(validate=validate.OneOf(["vi", "en"]), metadata={
        "description": "language of a new account (its SMS are sent in it; default vi); an existing "
                       "account keeps its own (PATCH /api/v1/me)", "example": "vi"})


class AccountSchema(Schema):
    id = fields.String(metadata={"example": "Qm9vS2luZ0lkMTI"})
    phone_masked = fields.String(metadata={"example": "09******78"})
    notifications = fields.Boolean(metadata={"example": True})
    language = fields.String(metadata={"example": "vi"})
    created_at = fields.DateTime()


class SessionTokenSchema(Schema):
    token = fields.String(metadata={"example": "pa_Vq3…", "description": "send as Authorization: Bearer <token>"})
    token_type = fields.String(metadata={"example": "Bearer"})
    expires_at = fields.DateTime()
    account = fields.Nested(AccountSchema)


class LinkSchema(Schema):
    id = fields.String(metadata={"example": "TGlua0lkMDAwMDE", "description": "patient_link_id"})
    relation = fields.String(metadata={"example": "self", "description": "self | family"})
    name_masked = fields.String(metadata={"example": "Nguyễn V. A"})
    since = fields.DateTime()


class MeSchema(Schema):
    account = fields.Nested(AccountSchema)
    patients = fields.List(fields.Nested(LinkSchema))


class MePatchSchema(Schema):
    notifications = fields.Boolean(metadata={"example": False,
                                             "description": "false: no more SMS about tickets or appointments"})
    language = fields.String(validate=validate.OneOf(["vi", "en"]), metadata={"example": "vi"})


class LinkConsentSchema(Schema):
    accepted = fields.Boolean(required=True, metadata={"example": True})
    text_version = fields.String(validate=validate.Length(max=32), load_default=LINK_CONSENT_VERSION)


class PhoneManualIdSchema(Schema):
    id_type = fields.String(required=True, validate=validate.OneOf(["cccd", "bhyt"]), metadata={"example": "cccd"})
    number = fields.String(required=True, validate=validate.Length(min=1, max=20),
                           metadata={"example": "001090012345"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"example": "Nguyễn Văn An"})
    dob = fields.String(required=True, validate=validate.Length(min=4, max=10),
                        metadata={"example": "15/08/1990", "description": "dd/mm/yyyy, or yyyy if only the year"})


class LinkCreateSchema(Schema):
    scan = fields.String(validate=validate.Length(min=1, max=2000),
                         metadata={"description": "raw text of the card's QR, read by the phone camera"})
    manual = fields.Nested(PhoneManualIdSchema)
    consent = fields.Nested(LinkConsentSchema, required=True)

    @validates_schema
    def one_source(self, data, **_):
        if ("scan" in data) == ("manual" in data):
            raise ValidationError("give exactly one of scan or manual", "scan")


class ShareConsentSchema(Schema):
    consent = fields.Nested(LinkConsentSchema, required=True, metadata={
        "description": "the record holder's consent to let a relative follow their tickets"})


class KioskShareCodeSchema(Schema):
    identify_token = fields.String(required=True, validate=validate.Length(min=1, max=512))
    relation = fields.String(required=True, validate=validate.OneOf(["self", "family"]),
                             metadata={"example": "family",
                                       "description": "self: link my phone; family: let a relative follow me"})
    consent = fields.Nested(LinkConsentSchema, required=True)


class ShareCodeSchema(Schema):
    code = fields.String(metadata={"example": "KQ7M-3XWD"})
    relation = fields.String(metadata={"example": "family"})
    expires_at = fields.DateTime()


class RedeemSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=16), metadata={"example": "KQ7M-3XWD"})


class FollowerSchema(Schema):
    id = fields.String()
    phone_masked = fields.String(metadata={"example": "09******78"})
    since = fields.DateTime()


class FollowersSchema(Schema):
    followers = fields.List(fields.Nested(FollowerSchema))


class LinksSchema(Schema):
    patients = fields.List(fields.Nested(LinkSchema))


class MyTicketSchema(TicketSchema):
    patient = fields.Nested(LinkSchema)


class MyTicketsSchema(Schema):
    date = fields.Date()
    tickets = fields.List(fields.Nested(MyTicketSchema))


class MyInvoiceSchema(InvoiceBriefSchema):
    ticket_id = fields.String(allow_none=True)
    visit_id = fields.String(allow_none=True)
    track_token = fields.String(allow_none=True, metadata={
        "description": "a ticket token of the same visit: pass it as ?token= to the invoice and payment routes"})
    patient = fields.Nested(LinkSchema)


class MyInvoicesSchema(Schema):
    date = fields.Date()
    invoices = fields.List(fields.Nested(MyInvoiceSchema))


class SlotsQuerySchema(Schema):
    service = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata={"example": "KHAM-NOI"})
    date = fields.Date(required=True, metadata={"example": "2026-11-24"})


class SlotSchema(Schema):
    start = fields.DateTime(metadata={"example": "2026-11-24T08:00:00+07:00"})
    end = fields.DateTime(metadata={"example": "2026-11-24T08:30:00+07:00"})
    capacity = fields.Integer(metadata={"example": 10})
    free = fields.Integer(metadata={"example": 7})


class SlotsSchema(Schema):
    service = fields.Nested(ServiceRefSchema)
    date = fields.Date()
    state = fields.String(metadata={"example": "open", "description": "open | holiday | closed | out_of_range"})
    slot_min = fields.Integer(metadata={"example": 30})
    slots = fields.List(fields.Nested(SlotSchema))


class AppointmentCreateSchema(Schema):
    service_code = fields.String(required=True, validate=validate.Length(min=1, max=32),
                                 metadata={"example": "KHAM-NOI"})
    start = fields.AwareDateTime(required=True, metadata={"example": "2026-11-24T08:00:00+07:00",
                                                           "description": "a slot's start from /appointments/slots"})
    patient_link_id = fields.String(required=True, validate=validate.Length(min=1, max=32),
                                    metadata={"description": "id from GET /api/v1/me (self or family)"})
    coverage = fields.String(required=True, validate=COVERAGE, metadata={"example": "bhyt"})


class RescheduleSchema(Schema):
    start = fields.AwareDateTime(required=True, metadata={"example": "2026-11-24T09:00:00+07:00"})


class AppointmentSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"example": "booked",
                                     "description": "booked | cancelled | checked_in | missed"})
    service = fields.Nested(ServiceRefSchema)
    coverage = fields.String(metadata={"example": "bhyt"})
    start = fields.DateTime(metadata={"example": "2026-11-24T08:00:00+07:00"})
    end = fields.DateTime(metadata={"example": "2026-11-24T08:30:00+07:00"})
    patient = fields.Nested(LinkSchema, allow_none=True)
    created_at = fields.DateTime()
    check_in_from = fields.DateTime(metadata={"example": "2026-11-24T07:00:00+07:00"})
    checked_in_at = fields.DateTime(allow_none=True)
    arrival = fields.String(allow_none=True, metadata={"example": "on_time", "description": "on_time | late"})
    ticket_id = fields.String(allow_none=True)
    qr_payload = fields.String(metadata={"example": "TDA1.Qm9vS2luZ0lkMTI.hQ3v…",
                                         "description": "show as a QR; a kiosk scans it to check in"})
    qr_png_url = fields.String(metadata={"description": "the same QR as a PNG (needs the account token)"})


class AppointmentsSchema(Schema):
    appointments = fields.List(fields.Nested(AppointmentSchema))


class LocationSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90), metadata={"example": 21.5943})
    lon = fields.Float(required=True, validate=validate.Range(-180, 180), metadata={"example": 105.8483})
    accuracy_m = fields.Float(validate=validate.Range(0, 100000), allow_none=True, metadata={"example": 20})


class CheckInSchema(Schema):
    qr = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "kiosk (device token): the scanned appointment QR text"})
    location = fields.Nested(LocationSchema, metadata={
        "description": "phone (account token): the phone's position inside the hospital area"})
    lobby_code = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "example": "48213907", "description": "phone: today's code from the QR poster in the lobby"})


class CheckInResultSchema(Schema):
    appointment = fields.Nested(AppointmentSchema)
    ticket = fields.Nested(MyTicketSchema)
    arrival = fields.String(metadata={"example": "on_time"})
    message_vi = fields.String()
    message_en = fields.String()


class CheckInConflictSchema(ProblemSchema):
    appointment_id = fields.String()
    ticket = fields.Nested(TicketSchema, metadata={"description": "the ticket of the first check-in"})


class LobbyCodeSchema(Schema):
    date = fields.Date()
    code = fields.String(metadata={"example": "48213907"})
    qr_payload = fields.String(metadata={"example": "http://localhost:8000/checkin?lobby=48213907"})


class OutboxMessageSchema(Schema):
    id = fields.String()
    to_masked = fields.String(metadata={"example": "09******78"})
    kind = fields.String(metadata={"example": "otp"})
    text = fields.String()
    at = fields.DateTime()


class OutboxSchema(Schema):
    messages = fields.List(fields.Nested(OutboxMessageSchema))
