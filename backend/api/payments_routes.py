"""Invoices and cashless payment: VNPay, VietQR, the bank webhook, the cashier's reconciliation list.

Who may call:
  kiosk    device bearer token
  phone    ?token=<the ticket's track token> (the invoice's ticket, or any ticket of its visit)
  staff    session cookie (+ X-CSRF-Token on writes); charges, refunds, reconciliation: cashier, admin.
           Reads and payments: cashier and admin every invoice (the hospital's money); reception
           every invoice; a room only the invoices of its points' services (403 FORBIDDEN)
  VNPay    the IPN is authenticated by its signature; the bank webhook by HMAC or API key
"""
import logging

from flask import Response, g, request
from flask.views import MethodView
from markupsafe import escape
from marshmallow import Schema, ValidationError, fields, validate

from ..domain import actors
from ..domain.masking import mask_account, mask_digit_runs, mask_name
from ..messages import Text, pair
# The VNPay route's schema documents VNPay's own choices (the OpenAPI enums); the provider checks them too.
from ..adapters.payments.vnpay.payment import BANK_CODES, LOCALES
from ..services import payments as payment_service
from ..services.ports.payments import (
    CallbackAction,
    CallbackRequest,
    PaymentGatewayResponseInvalid,
    PaymentGatewayUnavailable,
)
from ..services.auth import MONEY_ROLES, invoice_lane_of
from ..web import asset
from .blueprint import Blueprint
from .guards import client_ip, deps, device_or_staff, limit, staff_required
from .problems import ProblemException
from ..presenters.rest import invoice_brief, iso
from .schemas import InvoiceBriefSchema, PendingListSchema

log = logging.getLogger("tiepdon.api.payments")

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Invoices and cashless payment")

CASHIER_ROLES = MONEY_ROLES
STAFF_DOC = {"security": [{"staffSession": []}]}
PAYER_DOC = {"security": [{"device": []}, {"staffSession": []}, {}]}
TOKEN_PARAM_HELP = "The ticket's track token, when a phone asks"


# -- schemas ----------------------------------------------------------------------------------


class AttemptSchema(Schema):
    txn_ref = fields.String()
    status = fields.String(metadata={"enum": ["pending", "paid", "failed", "late", "refunded"]})
    response_code = fields.String(allow_none=True)
    message_vi = fields.String(allow_none=True)
    message_en = fields.String(allow_none=True)
    created_at = fields.DateTime()
    settled_at = fields.DateTime(allow_none=True)


class ReconciliationItemSchema(Schema):
    id = fields.String()
    source = fields.String(metadata={"enum": ["vnpay", "vietqr"]})
    reason = fields.String(metadata={"example": "wrong_amount", "description": "unknown_reference, "
                                     "ambiguous_reference, wrong_account, wrong_amount, late, already_paid, "
                                     "void (money for an invoice whose ticket was cancelled)"})
    category = fields.String(metadata={"enum": ["unmatched", "wrong_amount", "late", "duplicate", "void"]})
    status = fields.String(metadata={"enum": ["open", "resolved"]})
    amount = fields.Integer()
    expected_amount = fields.Integer(allow_none=True)
    invoice_id = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    bank_transaction_id = fields.String(allow_none=True)
    txn_ref = fields.String(allow_none=True)
    content = fields.String(allow_none=True, metadata={
        "description": "transfer content as the bank sent it, runs of 4+ digits masked (the reference kept)"})
    sender_name = fields.String(allow_none=True, metadata={"description": "masked"})
    sender_account = fields.String(allow_none=True, metadata={"description": "masked: last 4 digits only"})
    transferred_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class InvoiceSchema(InvoiceBriefSchema):
    ticket_id = fields.String(allow_none=True)
    visit_id = fields.String(allow_none=True)
    refunded_at = fields.DateTime(allow_none=True)
    attempts = fields.List(fields.Nested(AttemptSchema))
    reconciliation = fields.List(fields.Nested(ReconciliationItemSchema),
                                 metadata={"description": "why needs_refund is set (staff: every item)"})
    events = fields.List(fields.Dict(), metadata={"description": "full history (staff only)"})


class InvoiceQuerySchema(Schema):
    token = fields.String(validate=validate.Length(max=128), metadata={"description": TOKEN_PARAM_HELP})


def _registered_method(method: str) -> None:
    """Any payment method of the provider registry (a third one too), checked when the request comes."""
    registered = [provider.method for provider in payment_service.providers_of(deps())]
    if method not in registered:
        raise ValidationError(f"Must be one of: {', '.join(registered)}.")


class QrQuerySchema(InvoiceQuerySchema):
    provider = fields.String(load_default="vietqr", validate=_registered_method, metadata={
        "description": "the payment method whose QR to draw: vietqr, vnpay, or any other registered method "
                       "whose payer instructions carry a QR payload"})


class VnpayStartSchema(Schema):
    bank_code = fields.String(load_default="VNPAYQR", allow_none=True, validate=validate.OneOf(BANK_CODES),
                              metadata={"description": "VNPAYQR (QR in a banking app), VNBANK, INTCARD, "
                                                       "or null to let the patient choose on VNPay's page"})
    locale = fields.String(load_default="vn", validate=validate.OneOf(LOCALES))


class VnpayPaymentSchema(Schema):
    invoice_id = fields.String()
    txn_ref = fields.String()
    amount = fields.Integer()
    payment_url = fields.String()
    qr_payload = fields.String(metadata={"description": "what the kiosk renders as a QR (the payment URL)"})
    expires_at = fields.DateTime()


class PayStartSchema(Schema):
    method = fields.String(required=True, validate=validate.Length(min=1, max=16),
                           metadata={"description": "one of GET /services payment_methods, e.g. vietqr, vnpay"})
    # Checked by the method's provider (VALIDATION_ERROR with field): each method has its own choices.
    bank_code = fields.String(allow_none=True, validate=validate.Length(max=20),
                              metadata={"description": "VNPay: as for /vnpay (default VNPAYQR)"})
    locale = fields.String(validate=validate.Length(max=8), metadata={"description": "VNPay: vn or en"})


class PaymentAccountSchema(Schema):
    bank_bin = fields.String()
    bank_name = fields.String(allow_none=True)
    account = fields.String()
    account_name = fields.String(allow_none=True)
    reference = fields.String(metadata={"description": "must stay in the transfer content"})


class PaymentStartSchema(Schema):
    invoice_id = fields.String()
    method = fields.String()
    amount = fields.Integer()
    reference = fields.String()
    expires_at = fields.DateTime()
    txn_ref = fields.String(allow_none=True, metadata={"description": "the payment attempt, for methods that have one"})
    payment_url = fields.String(allow_none=True, metadata={"description": "a page the payer opens"})
    qr_payload = fields.String(allow_none=True, metadata={"description": "what the kiosk renders as a QR"})
    account = fields.Nested(PaymentAccountSchema, allow_none=True,
                            metadata={"description": "account fields to type when not scanning"})


class VietQrSchema(Schema):
    invoice_id = fields.String()
    qr_payload = fields.String(metadata={"description": "EMVCo VietQR payload (NAPAS 247)"})
    bank_bin = fields.String(metadata={"example": "970436"})
    bank_name = fields.String(allow_none=True)
    account = fields.String()
    account_name = fields.String(allow_none=True)
    amount = fields.Integer()
    reference = fields.String(metadata={"description": "must stay in the transfer content"})
    expires_at = fields.DateTime()


class ChargeCreateSchema(Schema):
    ticket_id = fields.String(validate=validate.Length(max=32), allow_none=True)
    visit_id = fields.String(validate=validate.Length(max=32), allow_none=True)
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=999_999_999),
                            metadata={"description": "integer VND"})
    description = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RefundSchema(Schema):
    method = fields.String(load_default="gateway", validate=validate.OneOf(["gateway", "manual"]),
                           metadata={"description": "gateway: refund through VNPay; manual: the cashier "
                                                    "handed the money back (cash, bank transfer)"})
    reason = fields.String(validate=validate.Length(max=200), allow_none=True)


class CounterPaymentSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(["cash", "card"]),
                           metadata={"description": "cash, or the cashier's card terminal"})
    # Checked by the domain (1–32 visible characters, trimmed): VALIDATION_ERROR field receipt_no.
    receipt_no = fields.String(required=True, validate=validate.Length(max=64),
                               metadata={"description": "the number on the printed receipt or card slip",
                                         "example": "BL-000123"})


class IpnAnswerSchema(Schema):
    RspCode = fields.String(metadata={"example": "00"})
    Message = fields.String(metadata={"example": "Confirm Success"})


class TransferAckSchema(Schema):
    ok = fields.Boolean()
    decision = fields.String(metadata={"enum": ["settle", "reconcile", "duplicate"]})
    reason = fields.String(allow_none=True)


class ReconciliationQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "resolved", "all"]))


class ReconciliationListSchema(Schema):
    items = fields.List(fields.Nested(ReconciliationItemSchema))


class ResolveSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(list(payment_service.RESOLUTIONS)),
                           metadata={"description": "apply: settle invoice_id with this money; returned: "
                                                    "money handed back; dismiss: nothing to do (note required)"})
    invoice_id = fields.String(validate=validate.Length(max=32), allow_none=True)
    note = fields.String(validate=validate.Length(max=500), allow_none=True)


# -- JSON -------------------------------------------------------------------------------------


def _attempt_json(a) -> dict:
    return {
        "txn_ref": a.txn_ref, "status": a.status, "response_code": a.response_code,
        "message_vi": payment_service.describe_code(deps(), a.provider, a.response_code, "vi"),
        "message_en": payment_service.describe_code(deps(), a.provider, a.response_code, "en"),
        "created_at": iso(a.created_at), "settled_at": iso(a.settled_at),
    }


def _item_json(r) -> dict:
    return {
        "id": r.id, "source": r.source, "reason": r.reason,
        "category": payment_service.CATEGORIES.get(r.reason, "unmatched"), "status": r.status,
        "amount": r.amount, "expected_amount": r.expected_amount, "invoice_id": r.invoice_id,
        "reference": r.reference, "bank_transaction_id": r.bank_transaction_id, "txn_ref": r.txn_ref,
        # People type ID card and phone numbers into the note: digit runs are starred out, the
        # reference (ours) stays readable.
        "content": mask_digit_runs(getattr(r, "content", None), keep=(r.reference or "",)) or None,
        "sender_name": mask_name(getattr(r, "sender_name", None)) or None,
        "sender_account": mask_account(getattr(r, "sender_account", None)) or None,
        "transferred_at": iso(getattr(r, "transferred_at", None)), "created_at": iso(r.created_at),
        "resolved_at": iso(r.resolved_at), "resolved_by": r.resolved_by, "resolution": r.resolution,
        "note": r.note,
    }


def _invoice_json(details: payment_service.InvoiceDetails, staff: bool) -> dict:
    invoice = details.invoice
    body = invoice_brief(invoice, deps().catalog.cashier)
    body.update({
        "ticket_id": invoice.ticket_id,
        "visit_id": invoice.visit_id,
        "refunded_at": iso(invoice.refunded_at),
        "attempts": [_attempt_json(a) for a in details.attempts],
        "reconciliation": [_item_json(r) for r in details.reconciliation],
    })
    if staff:
        body["events"] = [
            {"at": iso(e["at"]), "action": e["action"], "from_status": e["from_status"],
             "to_status": e["to_status"], "actor": e["actor"], "provider": e["provider"], "detail": e["detail"]}
            for e in details.events
        ]
    return body


# -- who is asking ----------------------------------------------------------------------------


def _payer(invoice_id: str, token: str | None) -> tuple[str, str | None, str]:
    """(kind, device id, actor) of a kiosk, a phone holding the ticket's token, or staff."""
    if token and not request.headers.get("Authorization"):
        limit("public", "rate_public")
        payment_service.require_patient_access(deps(), invoice_id, token)
        return "patient", None, "patient"
    kind, who = device_or_staff()
    if kind == "device":
        return kind, who.id, actors.device(who.id)
    # Staff: inside their invoice lane only (a room its services' invoices; cashier, admin: all).
    payment_service.require_staff_access(deps(), invoice_id, invoice_lane_of(deps(), who))
    return kind, None, actors.staff(who.id)


def _gateway_errors(fn):
    try:
        return fn()
    except PaymentGatewayUnavailable:
        raise ProblemException("PAYMENT_GATEWAY_UNAVAILABLE", headers={"Retry-After": "30"}) from None
    except PaymentGatewayResponseInvalid:
        raise ProblemException("PAYMENT_GATEWAY_INVALID_RESPONSE") from None


# -- invoices ---------------------------------------------------------------------------------


@blp.route("/invoices")
class Invoices(MethodView):
    @blp.arguments(ChargeCreateSchema())
    @blp.alt_response(201, schema=InvoiceSchema, success=True, description="The new pending invoice")
    @blp.doc(**STAFF_DOC)
    @staff_required(*CASHIER_ROLES)
    def post(self, body):
        """Push a charge onto a visit (cashier, admin): by ticket_id (preferred) or visit_id"""
        invoice = payment_service.create_charge(
            deps(), amount=body["amount"], description=body["description"], actor=actors.staff(g.staff.id),
            ticket_id=body.get("ticket_id"), visit_id=body.get("visit_id"))
        return _invoice_json(payment_service.InvoiceDetails(invoice), staff=True), 201


@blp.route("/invoices/<invoice_id>")
class InvoiceResource(MethodView):
    @blp.arguments(InvoiceQuerySchema(), location="query")
    @blp.alt_response(200, schema=InvoiceSchema, success=True,
                      description="Status as of now: a pending invoice past its expiry reads as expired")
    @blp.doc(**PAYER_DOC)
    def get(self, query, invoice_id):
        """An invoice: status, amount, paid_at, provider, needs_refund (kiosk, phone with token, staff)"""
        kind, _, _ = _payer(invoice_id, query.get("token"))
        details = payment_service.invoice_details(deps(), invoice_id, with_history=kind == "staff")
        return _invoice_json(details, staff=kind == "staff")


@blp.route("/invoices/<invoice_id>/vnpay")
class InvoiceVnpay(MethodView):
    @blp.arguments(InvoiceQuerySchema(), location="query")
    @blp.arguments(VnpayStartSchema(), required=False)
    @blp.alt_response(200, schema=VnpayPaymentSchema, success=True,
                      description="A signed VNPay payment URL; asking again returns the same open payment")
    @blp.doc(**PAYER_DOC)
    def post(self, query, body, invoice_id):
        """Pay with VNPay: payment URL and the QR payload for VNPAYQR (kiosk, phone with token, staff)"""
        _, device_id, actor = _payer(invoice_id, query.get("token"))
        body = body or {}
        start = payment_service.start(deps(), invoice_id, "vnpay", options=body, ip_addr=client_ip(),
                                      device_id=device_id, actor=actor)
        return {"invoice_id": start.invoice_id, "txn_ref": start.txn_ref, "amount": start.amount,
                "payment_url": start.payment_url, "qr_payload": start.qr_payload,
                "expires_at": iso(start.expires_at)}


@blp.route("/invoices/<invoice_id>/vietqr")
class InvoiceVietQr(MethodView):
    @blp.arguments(InvoiceQuerySchema(), location="query")
    @blp.alt_response(200, schema=VietQrSchema, success=True,
                      description="A dynamic VietQR for the exact amount, with the reference in the purpose")
    @blp.doc(**PAYER_DOC)
    def post(self, query, invoice_id):
        """Pay by bank transfer: VietQR payload to the hospital's account (kiosk, phone with token, staff)"""
        _, device_id, _ = _payer(invoice_id, query.get("token"))
        qr = payment_service.start(deps(), invoice_id, "vietqr", device_id=device_id)
        account = qr.instructions.account
        return {"invoice_id": qr.invoice_id, "qr_payload": qr.qr_payload, "bank_bin": account.bank_bin,
                "bank_name": account.bank_name, "account": account.account, "account_name": account.account_name,
                "amount": qr.amount, "reference": account.reference, "expires_at": iso(qr.expires_at)}


@blp.route("/invoices/<invoice_id>/pay")
class InvoicePay(MethodView):
    @blp.arguments(InvoiceQuerySchema(), location="query")
    @blp.arguments(PayStartSchema())
    @blp.alt_response(200, schema=PaymentStartSchema, success=True,
                      description="What the payer needs for the chosen method (URL, QR payload, account "
                                  "fields); asking again returns the same open payment. 503 "
                                  "PAYMENT_PROVIDER_NOT_CONFIGURED for a method not on offer")
    @blp.doc(**PAYER_DOC)
    def post(self, query, body, invoice_id):
        """Pay with any configured method (kiosk, phone with token, staff); /vnpay and /vietqr stay"""
        _, device_id, actor = _payer(invoice_id, query.get("token"))
        options = {k: body[k] for k in ("bank_code", "locale") if k in body}
        start = payment_service.start(deps(), invoice_id, body["method"], options=options, ip_addr=client_ip(),
                                      device_id=device_id, actor=actor)
        account = start.instructions.account
        return {"invoice_id": start.invoice_id, "method": start.method, "amount": start.amount,
                "reference": start.reference, "expires_at": iso(start.expires_at), "txn_ref": start.txn_ref,
                "payment_url": start.payment_url, "qr_payload": start.qr_payload,
                "account": None if account is None else {
                    "bank_bin": account.bank_bin, "bank_name": account.bank_name, "account": account.account,
                    "account_name": account.account_name, "reference": account.reference}}


def _qr_view(fmt: str, mimetype: str):
    @blp.arguments(QrQuerySchema(), location="query")
    @blp.alt_response(200, content_type=mimetype, success=True, schema={"type": "string", "format": "binary"},
                      description=f"{fmt.upper()} image of the method's QR payload: VietQR's, or the open "
                                  "payment's (VNPay's payment URL, or another registered method's)")
    @blp.doc(**PAYER_DOC)
    def get(self, query, invoice_id):
        _payer(invoice_id, query.get("token"))
        image = payment_service.qr_image(deps(), invoice_id, query["provider"], fmt)
        # The QR carries a payable amount for a limited time: never from a cache.
        return Response(image, mimetype=mimetype, headers={"Cache-Control": "no-store"})

    get.__doc__ = f"QR image for screens ({fmt.upper()}), ?provider=vietqr|vnpay|… (kiosk, phone, staff)"
    return type(f"InvoiceQr{fmt.title()}", (MethodView,), {"get": get})


blp.route("/invoices/<invoice_id>/qr.png")(_qr_view("png", "image/png"))
blp.route("/invoices/<invoice_id>/qr.svg")(_qr_view("svg", "image/svg+xml"))


@blp.route("/invoices/<invoice_id>/refund")
class InvoiceRefund(MethodView):
    @blp.arguments(RefundSchema())
    @blp.alt_response(200, schema=InvoiceSchema, success=True,
                      description="Held money (late or duplicate payment) is returned first; otherwise "
                                  "the payment that settled the invoice, which becomes refunded")
    @blp.doc(**STAFF_DOC)
    @staff_required(*CASHIER_ROLES)
    def post(self, body, invoice_id):
        """Refund (cashier, admin): through VNPay, or record money handed back by hand"""
        actor = actors.staff(g.staff.id)
        _gateway_errors(lambda: payment_service.refund_invoice(
            deps(), invoice_id, actor, method=body["method"], reason=body.get("reason")))
        return _invoice_json(payment_service.invoice_details(deps(), invoice_id, with_history=True), staff=True)


@blp.route("/invoices/<invoice_id>/pay-at-cashier")
class InvoicePayAtCashier(MethodView):
    @blp.arguments(InvoiceQuerySchema(), location="query")
    @blp.alt_response(200, schema=InvoiceSchema, success=True,
                      description="The invoice stays pending, to be paid at the cashier: no QR window closes "
                                  "it and the ticket keeps its number. 409 CASHIER_NOT_OFFERED when the "
                                  "hospital takes no payments at the desk, INVOICE_NOT_PENDING when paid, "
                                  "refunded or void")
    @blp.doc(**PAYER_DOC)
    def post(self, query, invoice_id):
        """Pay at the cashier instead (kiosk, phone with token, staff)"""
        kind, _, actor = _payer(invoice_id, query.get("token"))
        payment_service.send_to_cashier(deps(), invoice_id, actor)
        details = payment_service.invoice_details(deps(), invoice_id, with_history=kind == "staff")
        return _invoice_json(details, staff=kind == "staff")


@blp.route("/invoices/<invoice_id>/cash")
class InvoiceCash(MethodView):
    @blp.arguments(CounterPaymentSchema())
    @blp.alt_response(200, schema=InvoiceSchema, success=True,
                      description="Paid at the desk: the receipt carries the printed number; audited with the "
                                  "cashier. An invoice past its QR window is still taken; 409 INVOICE_VOID, "
                                  "INVOICE_ALREADY_PAID, INVOICE_REFUNDED")
    @blp.doc(**STAFF_DOC)
    @staff_required(*CASHIER_ROLES)
    def post(self, body, invoice_id):
        """Record cash or a card-terminal payment taken at the cashier's desk (cashier, admin)"""
        payment_service.record_counter_payment(deps(), invoice_id, body["method"], body["receipt_no"],
                                               actors.staff(g.staff.id))
        return _invoice_json(payment_service.invoice_details(deps(), invoice_id, with_history=True), staff=True)


@blp.route("/cashier/pending")
class CashierPending(MethodView):
    @blp.alt_response(200, schema=PendingListSchema, success=True,
                      description="Today's unpaid invoices (waiting for payment, sent to the cashier, or past "
                                  "their QR window), oldest first; the read is audited")
    @blp.doc(**STAFF_DOC)
    @staff_required(*CASHIER_ROLES)
    def get(self):
        """What patients still owe today, for the cashier's desk (cashier, admin)"""
        d = deps()
        rows = payment_service.cashier_pending(d, invoice_lane_of(d, g.staff), actors.staff(g.staff.id))
        return {"items": [_pending_json(d, r) for r in rows]}


def _pending_json(d, r) -> dict:
    invoice = r.invoice
    service = d.catalog.services.get(r.service_code) if r.service_code else None
    return {
        "invoice_id": invoice.id, "ticket_id": invoice.ticket_id, "ticket_number": r.ticket_number,
        "service": None if service is None else {"code": service.code, "name_vi": service.name_vi,
                                                 "name_en": service.name_en},
        "amount": invoice.amount, "description": invoice.description, "reference": invoice.reference,
        "status": invoice.status.value, "at_cashier": invoice.at_cashier, "name_masked": r.name_masked,
        "since": iso(invoice.created_at),
    }


# -- callbacks --------------------------------------------------------------------------------

_VNP_PARAMS = ["vnp_TmnCode", "vnp_Amount", "vnp_BankCode", "vnp_BankTranNo", "vnp_CardType", "vnp_PayDate",
               "vnp_OrderInfo", "vnp_TransactionNo", "vnp_ResponseCode", "vnp_TransactionStatus",
               "vnp_TxnRef", "vnp_SecureHash"]


@blp.route("/payments/vnpay/ipn")
class VnpayIpn(MethodView):
    @blp.alt_response(200, schema=IpnAnswerSchema, success=True,
                      description="Always HTTP 200. RspCode, checked in this order: 97 bad signature, "
                                  "01 order not found, 04 wrong amount, 02 already confirmed, 00 recorded "
                                  "(paid only when vnp_ResponseCode and vnp_TransactionStatus are 00), "
                                  "99 unexpected error (VNPay retries)")
    @blp.doc(security=[], parameters=[{"in": "query", "name": name, "required": False,
                                       "schema": {"type": "string"}} for name in _VNP_PARAMS])
    def get(self):
        """VNPay IPN (server to server, VNPay 2.1.0): the only call that records a VNPay payment"""
        return payment_service.handle_callback(deps(), "vnpay", CallbackRequest(params=request.args)).answer


def _return_page(view: payment_service.ReturnView) -> str:
    def both(cls: str, words: Text) -> str:
        return f'<p class="{cls}">{escape(words.vi)}</p><p class="en">{escape(words.en)}</p>'

    if not view.signature_ok:
        body = both("bad", pair("payment_return.unverified"))
    elif view.reported_paid:
        body = both("ok", pair("payment_return.reported_paid"))
        if view.invoice is not None and view.invoice.status.value == "paid":
            body += both("ok", pair("payment_return.recorded"))
        else:
            body += both("", pair("payment_return.waiting"))
    else:
        body = both("bad", pair("payment_return.failed", message_vi=view.message_vi or "",
                                message_en=view.message_en or ""))
    title, amount_words = pair("payment_return.title"), pair("payment_return.amount")
    if view.invoice is not None:
        amount = f"{view.invoice.amount:,}".replace(",", ".")
        body += (f"<p>{escape(amount_words.vi)} / {escape(amount_words.en)}: {escape(amount)} ₫ — "
                 f"{escape(view.invoice.reference)}</p>")
    return ('<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            # A stylesheet, not inline style: the page has the pages' CSP (style-src 'self').
            f'<title>{escape(title.vi)} / {escape(title.en)}</title><link rel="stylesheet" '
            f'href="{escape(asset("css/payment-return.css"))}"></head>'
            f"<body><h1>{escape(title.vi)} <small>/ {escape(title.en)}</small></h1>{body}</body></html>")


@blp.route("/payments/vnpay/return")
class VnpayReturn(MethodView):
    @blp.alt_response(200, content_type="text/html", success=True, schema={"type": "string"},
                      description="Display-only page (Vietnamese, then English); never changes state")
    @blp.doc(security=[], parameters=[{"in": "query", "name": name, "required": False,
                                       "schema": {"type": "string"}} for name in _VNP_PARAMS])
    def get(self):
        """Where VNPay sends the patient's browser after paying: shows the result, records nothing"""
        limit("public", "rate_public")
        view = payment_service.payment_return(deps(), "vnpay", request.args)
        return Response(_return_page(view), mimetype="text/html",
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@blp.route("/payments/bank-webhook")
class BankWebhook(MethodView):
    @blp.alt_response(200, schema=TransferAckSchema, success=True,
                      description="Recorded: settled once per bank transaction id, or put on the "
                                  "reconciliation list; a repeated delivery answers duplicate")
    @blp.doc(security=[], requestBody={"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["transaction_id", "account", "amount", "content", "transferred_at"],
        "properties": {
            "transaction_id": {"type": "string"}, "account": {"type": "string"},
            "amount": {"type": "integer", "description": "integer VND"}, "content": {"type": "string"},
            "transferred_at": {"type": "string", "format": "date-time"}, "bank_bin": {"type": "string"},
            "sender_account": {"type": "string"}, "sender_name": {"type": "string"}}}}},
        "description": "Signed with HMAC-SHA256 of the raw body (X-Signature) or an API key (X-API-Key)"})
    def post(self):
        """Incoming bank transfer (bank or aggregator): matched by reference and exact amount"""
        result = payment_service.handle_callback(
            deps(), "vietqr", CallbackRequest(headers=request.headers, body=request.get_data()))
        if result.outcome.action is CallbackAction.REJECT:
            if result.outcome.reason == "malformed":
                raise ProblemException("PAYMENT_WEBHOOK_MALFORMED", detail=result.outcome.detail)
            log.warning("bank webhook rejected from %s", client_ip())
            limit("auth-fail", "rate_public")
            raise ProblemException("UNAUTHORIZED")
        return {"ok": True, "decision": result.transfer.decision, "reason": result.transfer.reason}


# -- reconciliation ---------------------------------------------------------------------------


@blp.route("/payments/reconciliation")
class Reconciliation(MethodView):
    @blp.arguments(ReconciliationQuerySchema(), location="query")
    @blp.alt_response(200, schema=ReconciliationListSchema, success=True)
    @blp.doc(**STAFF_DOC)
    @staff_required(*CASHIER_ROLES)
    def get(self, query):
        """Money the system could not apply: unmatched, wrong amount, late, duplicate (cashier, admin)"""
        status = None if query["status"] == "all" else query["status"]
        rows = payment_service.reconciliation_list(deps(), status, actors.staff(g.staff.id))
        return {"items": [_item_json(r) for r in rows]}


@blp.route("/payments/reconciliation/<item_id>/resolve")
class ReconciliationResolve(MethodView):
    @blp.arguments(ResolveSchema())
    @blp.alt_response(200, schema=ReconciliationItemSchema, success=True)
    @blp.doc(**STAFF_DOC)
    @staff_required(*CASHIER_ROLES)
    def post(self, body, item_id):
        """Resolve an item (cashier, admin): apply it to an invoice, record it returned, or dismiss it"""
        item = payment_service.resolve_reconciliation(
            deps(), item_id, body["action"], actors.staff(g.staff.id),
            invoice_id=body.get("invoice_id"), note=body.get("note"))
        return _item_json(item)
