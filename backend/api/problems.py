"""RFC 9457 problem details with stable codes and Vietnamese / English titles."""
from flask import Response, json, request

from ..domain.cards import CardErrorCode
from ..messages import PROBLEM_TEXTS

# code -> HTTP status. The words are in backend/messages.py, keyed by the same code.
STATUS: dict[str, int] = {
    "VALIDATION_ERROR": 422,
    "INVALID_JSON": 400,
    "UNAUTHORIZED": 401,
    "INVALID_CREDENTIALS": 401,
    "FORBIDDEN": 403,
    "CSRF_FAILED": 403,
    "NOT_FOUND": 404,
    "TICKET_NOT_FOUND": 404,
    "SERVICE_NOT_FOUND": 404,
    "SERVICE_POINT_NOT_FOUND": 404,
    "DEVICE_NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "INVALID_TRANSITION": 409,
    "REQUEUE_LIMIT": 409,
    "NOT_BEING_SERVED": 409,
    "CURRENT_NOT_SERVED": 409,
    "ALREADY_TRANSFERRED": 409,
    "CONFLICT": 409,
    "VISIT_ALREADY_OPEN": 409,
    "ALREADY_EXISTS": 409,
    "QUEUE_CLOSED": 409,
    "COVERAGE_NOT_ALLOWED": 422,
    "IDEMPOTENCY_KEY_REUSED": 422,
    "PASSWORD_TOO_SHORT": 422,
    "PAYLOAD_TOO_LARGE": 413,
    "TOO_MANY_CONNECTIONS": 429,
    "REQUEST_TIMEOUT": 408,
    "RATE_LIMITED": 429,
    "CONSENT_REQUIRED": 422,
    "IDENTIFY_TOKEN_INVALID": 422,
    "CARD_REQUIRED": 422,
    "VISIT_OPEN_SEE_RECEPTION": 409,
    "IDENTITY_NOT_VERIFIED": 403,
    "MANUAL_LOOKUP_LIMIT": 429,
    "PRIORITY_NOT_DECLARABLE": 422,
    "PRIORITY_NOT_DECLARED": 409,
    "TRACK_TOKEN_EXPIRED": 410,
    "BHYT_REFUSED": 422,
    "INVOICE_NOT_FOUND": 404,
    "VISIT_NOT_FOUND": 404,
    "INVOICE_EXPIRED": 409,
    "INVOICE_ALREADY_PAID": 409,
    "INVOICE_REFUNDED": 409,
    "INVOICE_VOID": 409,
    "INVOICE_NOT_PENDING": 409,
    "CASHIER_NOT_OFFERED": 409,
    "PAYMENT_AMOUNT_MISMATCH": 409,
    "PAYMENT_AMOUNT_INVALID": 422,
    "PAYMENT_NOT_STARTED": 409,
    "PAYMENT_NOT_REFUNDABLE": 409,
    "PAYMENT_REFUND_REFUSED": 409,
    "PAYMENT_PROVIDER_NOT_CONFIGURED": 503,
    "PAYMENT_GATEWAY_UNAVAILABLE": 503,
    "PAYMENT_GATEWAY_INVALID_RESPONSE": 502,
    "PAYMENT_WEBHOOK_MALFORMED": 400,
    "RECONCILIATION_ITEM_NOT_FOUND": 404,
    "RECONCILIATION_ALREADY_RESOLVED": 409,
    "PHONE_INVALID": 422,
    "SMS_UNAVAILABLE": 503,
    "OTP_INVALID": 422,
    "OTP_EXPIRED": 422,
    "OTP_LOCKED": 429,
    "OTP_RESEND_TOO_SOON": 429,
    "OTP_TOO_MANY_REQUESTS": 429,
    "LINK_NOT_VERIFIED": 422,
    "LINK_CHECK_UNAVAILABLE": 503,
    "PATIENT_LINKED_ELSEWHERE": 409,
    "SELF_ALREADY_LINKED": 409,
    "PATIENT_NOT_LINKED": 409,
    "PATIENT_LINK_NOT_FOUND": 404,
    "SHARE_CODE_INVALID": 422,
    "SERVICE_NOT_BOOKABLE": 422,
    "SLOT_NOT_AVAILABLE": 422,
    "SLOT_FULL": 409,
    "APPOINTMENT_NOT_FOUND": 404,
    "APPOINTMENT_DUPLICATE": 409,
    "APPOINTMENT_LIMIT": 409,
    "APPOINTMENT_NOT_CHANGEABLE": 409,
    "APPOINTMENT_CHANGE_CLOSED": 409,
    "APPOINTMENT_CANCELLED": 409,
    "APPOINTMENT_ALREADY_CHECKED_IN": 409,
    "APPOINTMENT_TOO_EARLY": 409,
    "APPOINTMENT_EXPIRED": 409,
    "APPOINTMENT_QR_INVALID": 422,
    "LOBBY_CODE_INVALID": 422,
    "ARRIVAL_PROOF_REQUIRED": 422,
    "NOT_AT_HOSPITAL": 422,
    "LOCATION_CHECK_IN_DISABLED": 422,
    "INTERNAL_ERROR": 500,
    "XML0_SIGNING_UNAVAILABLE": 503,
    "SERVICE_UNAVAILABLE": 503,
    "STORAGE_UNAVAILABLE": 503,
}
STATUS.update({c.value: 422 for c in CardErrorCode})  # a card that cannot be used: the request is fine

# code -> (HTTP status, Vietnamese title, English title), as other modules have read it so far.
PROBLEMS: dict[str, tuple[int, str, str]] = {
    code: (status, *PROBLEM_TEXTS[code]) for code, status in STATUS.items()}


def language() -> str:
    try:
        return request.accept_languages.best_match(["vi", "en"], default="vi") or "vi"
    except RuntimeError:
        return "vi"


def problem(code: str, detail: str | None = None, status: int | None = None,
            extra: dict | None = None, headers: dict | None = None) -> Response:
    default_status, vi, en = PROBLEMS.get(code, PROBLEMS["INTERNAL_ERROR"])
    body = {
        "type": f"https://tiepdon.vn/problems/{code.lower().replace('_', '-')}",
        "title": en if language() == "en" else vi,
        "status": status or default_status,
        "detail": detail or (en if language() == "en" else vi),
        "code": code,
    }
    if extra:
        body.update(extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=body["status"],
                    mimetype="application/problem+json")
    resp.headers["Content-Language"] = language()
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


class ProblemException(Exception):
    """Raised by entry points to answer with a problem document."""

    def __init__(self, code: str, detail: str | None = None, extra: dict | None = None,
                 headers: dict | None = None):
        super().__init__(code)
        self.code, self.detail, self.extra, self.headers = code, detail, extra, headers
