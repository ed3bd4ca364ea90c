"""Request validation and the response shapes the OpenAPI document publishes."""
from marshmallow import INCLUDE, Schema, fields, validate

from ..domain.priority import STAFF_SETTABLE

COVERAGE = validate.OneOf(["bhyt", "self_pay"])


class ProblemSchema(Schema):
    """RFC 9457 problem details. Extension members are allowed (`errors` per field, a `ticket`…)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String(metadata={"example": "VALIDATION_ERROR"})
    errors = fields.Dict(metadata={"description": "field → messages, for VALIDATION_ERROR"})


class NamedSchema(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()


class ServiceRefSchema(NamedSchema):
    room_vi = fields.String()
    room_en = fields.String()
    directions_vi = fields.String()
    directions_en = fields.String()


class ServiceBriefSchema(NamedSchema):
    prefix = fields.String()
    kind = fields.String()


class ServiceSchema(ServiceRefSchema):
    prefix = fields.String(metadata={"example": "N"})
    kind = fields.String(metadata={"example": "clinic"})
    coverages = fields.List(fields.String(), metadata={"example": ["bhyt", "self_pay"]})
    fee_vnd = fields.Integer(metadata={"description": "self-pay exam fee, integer VND"})
    open_now = fields.Boolean()
    kiosk = fields.Boolean()
    waiting = fields.Integer()
    estimated_wait_min = fields.Integer()
    payment_before_call = fields.Boolean()


class PaymentMethodSchema(Schema):
    method = fields.String(metadata={"example": "vietqr", "description": "POST /invoices/{id}/pay with it"})
    label_vi = fields.String(metadata={"example": "Chuyển khoản (VietQR)"})
    label_en = fields.String(metadata={"example": "Bank transfer (VietQR)"})


class ServicesSchema(Schema):
    date = fields.Date()
    hospital = fields.Dict()
    services = fields.List(fields.Nested(ServiceSchema))
    payment_methods = fields.List(fields.Nested(PaymentMethodSchema), metadata={
        "description": "cashless payment methods configured now, in the order kiosks offer them"})


class PrioritySchema(Schema):
    code = fields.String(metadata={"example": "elderly_75"})
    label_vi = fields.String()
    label_en = fields.String()
    status = fields.String(metadata={
        "enum": ["declared", "confirmed"],
        "description": "declared: a reason the patient declared at a kiosk, to be confirmed by staff "
                       "(POST /tickets/{id}/priority); confirmed: confirmed or given by staff, or "
                       "verified (age from the card's birth date, appointment)"})
    status_vi = fields.String(metadata={"example": "Tự khai, chờ xác nhận"})
    status_en = fields.String(metadata={"example": "Declared, to be confirmed"})


class PointRefSchema(NamedSchema):
    room_vi = fields.String()
    room_en = fields.String()


class CashierPlaceSchema(Schema):
    vi = fields.String(metadata={"example": "Quầy thu ngân số 3, Sảnh A"})
    en = fields.String(metadata={"example": "Cashier desk 3, Hall A"})


class CashierOfferSchema(Schema):
    allowed = fields.Boolean(metadata={"description": "patients may pay this at the cashier's desk"})
    where = fields.Nested(CashierPlaceSchema)
    on_timeout = fields.String(metadata={"enum": ["cashier", "cancel"], "description":
                                         "what a kiosk does when its payment deadline passes: keep the number "
                                         "and send the patient to the cashier, or cancel the number"})


class ReceiptSchema(Schema):
    number = fields.String(metadata={"description": "the receipt's number: the cashier's printed one, else "
                                                    "the invoice's reference"})
    amount = fields.Integer(metadata={"description": "integer VND"})
    method = fields.String(metadata={"enum": ["vnpay", "vietqr", "cash", "card", "manual"]})
    reference = fields.String(metadata={"description": "the payment's reference: VNPay transaction number, "
                                                       "bank transaction id, or the invoice's reference"})
    paid_at = fields.DateTime()


class InvoiceBriefSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"enum": ["pending", "paid", "expired", "refunded", "void"],
                                     "description": "void: its ticket was cancelled before it was paid"})
    needs_refund = fields.Boolean(metadata={"description": "money arrived that must be handed back"})
    amount = fields.Integer(metadata={"description": "integer VND", "example": 39000})
    currency = fields.String(metadata={"example": "VND"})
    kind = fields.String(metadata={"enum": ["exam_fee", "charge"]})
    description = fields.String()
    reference = fields.String(metadata={"example": "TD7K3M9QX2", "description": "bank transfer reference"})
    due_before_call = fields.Boolean(metadata={"description": "the ticket is not called until this is paid"})
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    paid_at = fields.DateTime(allow_none=True)
    provider = fields.String(allow_none=True, metadata={"enum": ["vnpay", "vietqr", "manual", "cash", "card"]})
    at_cashier = fields.Boolean(metadata={"description": "to be paid at the cashier: no QR window closes it"})
    cashier = fields.Nested(CashierOfferSchema)
    receipt = fields.Nested(ReceiptSchema, allow_none=True, metadata={"description": "once paid"})


class LinkedTicketSchema(Schema):
    id = fields.String()
    number = fields.String(metadata={"example": "X001", "description": "the number printed on it"})
    display_number = fields.String(metadata={"example": "X001"})
    status = fields.String(metadata={"example": "waiting"})
    service_code = fields.String()
    service_name_vi = fields.String()
    service_name_en = fields.String()
    room_vi = fields.String()
    room_en = fields.String()
    track_token = fields.String()
    track_url = fields.String()


class TicketSchema(Schema):
    id = fields.String()
    display_number = fields.String(metadata={"example": "N012"})
    number = fields.Integer()
    date = fields.Date()
    status = fields.String(metadata={"example": "waiting"})
    service = fields.Nested(ServiceRefSchema)
    coverage = fields.String()
    priority = fields.Nested(PrioritySchema, allow_none=True)
    position = fields.Integer(allow_none=True)
    people_ahead = fields.Integer(allow_none=True)
    estimated_wait_min = fields.Integer(allow_none=True)
    estimated_wait_at_issue_min = fields.Integer()
    issued_at = fields.DateTime()
    called_at = fields.DateTime(allow_none=True)
    service_point = fields.Nested(PointRefSchema, allow_none=True)
    visit_id = fields.String()
    payment_required = fields.Boolean()
    paid = fields.Boolean()
    transferred_from = fields.String(allow_none=True)
    recall_count = fields.Integer()
    requeue_allowed = fields.Boolean(metadata={
        "description": "a no-show (skipped) that may still go back in the queue (re-queue limit)"})
    track_token = fields.String()
    track_url = fields.String()
    invoice = fields.Nested(InvoiceBriefSchema, allow_none=True,
                            metadata={"description": "self-pay tickets: the exam-fee invoice"})
    replaced_by = fields.Nested(LinkedTicketSchema, allow_none=True, metadata={
        "description": "the ticket a transfer replaced this one with (null: never sent on)"})
    current = fields.Nested(LinkedTicketSchema, metadata={
        "description": "the visit's current ticket along this ticket's transfers (itself when not "
                       "replaced): what the patient should follow"})


class TicketCreateSchema(Schema):
    service_code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    coverage = fields.String(required=True, validate=COVERAGE)
    priority_reason = fields.String(
        validate=validate.OneOf([p.value for p in STAFF_SETTABLE]),
        allow_none=True,
        metadata={"description": "kiosk: only pregnant, severe_disability, revolutionary_merit (declared, "
                                 "to be confirmed by staff; others: 422 PRIORITY_NOT_DECLARABLE); "
                                 "staff: any legal reason, emergency included"},
    )
    identify_token = fields.String(allow_none=True, validate=validate.Length(max=512))
    appointment_id = fields.String(allow_none=True, validate=validate.Length(max=64))


class CallNextSchema(Schema):
    current = fields.String(validate=validate.OneOf(["no_show"]), metadata={
        "description": "what to do with the point's current patient when they were called but never "
                       "started (not being served): \"no_show\" makes them a no-show (skipped; "
                       "re-queue allowed once). Without it such a call is refused with 409 "
                       "CURRENT_NOT_SERVED and nothing changes. A patient being served is finished "
                       "either way."})


class TransferSchema(Schema):
    service_code = fields.String(required=True, validate=validate.Length(min=1, max=32))


class PrioritySetSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf([p.value for p in STAFF_SETTABLE]),
                           metadata={"description": "the legal reason staff confirm, give or reject"})
    confirmed = fields.Boolean(required=True, metadata={
        "description": "true: the ticket has this reason, confirmed (a declared one confirmed, or one "
                       "staff give, emergency included); false: reject the patient's declared reason "
                       "(409 PRIORITY_NOT_DECLARED when the ticket has no such declared reason)"})


class TokenQuerySchema(Schema):
    token = fields.String(validate=validate.Length(max=128))


class TransferResultSchema(Schema):
    from_ticket = fields.Nested(TicketSchema)
    ticket = fields.Nested(TicketSchema)


class QueueServiceSchema(Schema):
    service = fields.Nested(ServiceBriefSchema)
    open_now = fields.Boolean()
    waiting = fields.Integer()
    called = fields.Integer()
    serving = fields.Integer()
    priority_waiting = fields.Integer()
    unpaid_waiting = fields.Integer()
    longest_wait_min = fields.Integer()
    estimated_wait_min = fields.Integer()
    average_service_s = fields.Integer()


class TicketBriefSchema(Schema):
    id = fields.String()
    display_number = fields.String()
    status = fields.String()
    service = fields.Dict(metadata={"example": {"code": "KHAM-NOI"}})
    called_at = fields.DateTime(allow_none=True)
    priority = fields.Nested(PrioritySchema, allow_none=True)


class QueuePointSchema(Schema):
    service_point = fields.Nested(PointRefSchema)
    services = fields.List(fields.String())
    current = fields.Nested(TicketBriefSchema, allow_none=True)


class QueuesSchema(Schema):
    at = fields.DateTime()
    services = fields.List(fields.Nested(QueueServiceSchema))
    service_points = fields.List(fields.Nested(QueuePointSchema))


class StatsQuerySchema(Schema):
    date = fields.Date()
    service = fields.String(validate=validate.Length(max=32))
    format = fields.String(validate=validate.OneOf(["json", "csv"]))


class StatsServiceSchema(Schema):
    service_code = fields.String()
    issued = fields.Integer()
    done = fields.Integer()
    skipped = fields.Integer()
    cancelled = fields.Integer()
    waiting = fields.Integer()
    no_show_rate = fields.Float()
    wait_p50_min = fields.Float(allow_none=True)
    wait_p90_min = fields.Float(allow_none=True)
    wait_p99_min = fields.Float(allow_none=True)
    service_p50_min = fields.Float(allow_none=True)
    service_p90_min = fields.Float(allow_none=True)


class StatsSchema(Schema):
    date = fields.Date()
    total_issued = fields.Integer()
    services = fields.List(fields.Nested(StatsServiceSchema))
    per_hour = fields.List(fields.Dict())


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256),
                             load_only=True)


class StaffSchema(Schema):
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    service_points = fields.List(fields.String())


class SessionSchema(Schema):
    staff = fields.Nested(StaffSchema)
    csrf_token = fields.String()


class HeartbeatSchema(Schema):
    printer_status = fields.String(
        required=True,
        validate=validate.OneOf(["ok", "paper_low", "paper_out", "cover_open", "offline"]),
    )
    app_version = fields.String(validate=validate.Length(max=32), allow_none=True)


class HeartbeatResultSchema(Schema):
    device = fields.String()
    printer_status = fields.String()
    app_version = fields.String(allow_none=True)
    last_seen_at = fields.DateTime()


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    version = fields.String()
    checks = fields.Dict()


class CurrentPatientSchema(Schema):
    ticket = fields.Nested(TicketSchema)
    patient = fields.Dict(allow_none=True, metadata={
        "description": "null for a walk-in never identified", "example": {
            "name_masked": "Nguyễn V. A", "age": 36, "gender": "male"}})
    coverage = fields.Dict(metadata={"example": {"kind": "bhyt", "bhyt_check": {
        "status": "ok", "code": "000", "outcome": "ok"}}})
    payment = fields.Dict(metadata={"example": {"required": True, "paid": False, "invoice_status": "pending",
                                                "amount": 39000}})


# -- the cashier's desk ----------------------------------------------------------------------


class PendingServiceSchema(Schema):
    code = fields.String()
    name_vi = fields.String()
    name_en = fields.String()


class PendingItemSchema(Schema):
    invoice_id = fields.String()
    ticket_id = fields.String(allow_none=True)
    ticket_number = fields.String(allow_none=True, metadata={"example": "N012"})
    service = fields.Nested(PendingServiceSchema, allow_none=True)
    amount = fields.Integer(metadata={"description": "integer VND"})
    description = fields.String()
    reference = fields.String()
    status = fields.String(metadata={"enum": ["pending", "expired"]})
    at_cashier = fields.Boolean(metadata={"description": "the patient was sent to the cashier"})
    name_masked = fields.String(allow_none=True, metadata={"example": "Nguyễn V. A",
                                                            "description": "null for a walk-in without papers"})
    since = fields.DateTime(metadata={"description": "when the invoice was created"})


class PendingListSchema(Schema):
    items = fields.List(fields.Nested(PendingItemSchema))
