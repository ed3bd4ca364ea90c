"""RFC 9457 problem details with stable codes and Vietnamese / English titles."""
from flask import Response, json, request

# code -> (HTTP status, Vietnamese title, English title)
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "VALIDATION_ERROR": (422, "Dữ liệu gửi lên không hợp lệ", "The request data is not valid"),
    "INVALID_JSON": (400, "Nội dung không phải JSON hợp lệ", "The request body is not valid JSON"),
    "UNAUTHORIZED": (401, "Cần đăng nhập hoặc mã thiết bị hợp lệ", "Authentication required"),
    "INVALID_CREDENTIALS": (401, "Tên đăng nhập hoặc mật khẩu không đúng", "Wrong username or password"),
    "FORBIDDEN": (403, "Bạn không có quyền thực hiện thao tác này", "You are not allowed to do this"),
    "CSRF_FAILED": (403, "Phiên làm việc không hợp lệ, hãy tải lại trang",
                    "Session check failed: reload the page"),
    "NOT_FOUND": (404, "Không tìm thấy", "Not found"),
    "TICKET_NOT_FOUND": (404, "Không tìm thấy số thứ tự", "Ticket not found"),
    "SERVICE_NOT_FOUND": (404, "Không có dịch vụ này", "Unknown service"),
    "SERVICE_POINT_NOT_FOUND": (404, "Không có quầy/phòng này", "Unknown service point"),
    "DEVICE_NOT_FOUND": (404, "Không tìm thấy thiết bị", "Device not found"),
    "METHOD_NOT_ALLOWED": (405, "Phương thức không được hỗ trợ", "Method not allowed"),
    "INVALID_TRANSITION": (409, "Số thứ tự đang ở trạng thái không cho phép thao tác này",
                           "The ticket's state does not allow this action"),
    "REQUEUE_LIMIT": (409, "Số này đã được xếp lại hàng đợi một lần",
                      "This ticket has already been re-queued"),
    "CONFLICT": (409, "Số thứ tự vừa được người khác thay đổi, hãy thử lại",
                 "Someone else changed this ticket first: try again"),
    "VISIT_ALREADY_OPEN": (409, "Bạn đã có lượt khám hôm nay", "You already have a visit today"),
    "ALREADY_EXISTS": (409, "Đã tồn tại", "Already exists"),
    "QUEUE_CLOSED": (409, "Dịch vụ hiện đã hết giờ nhận bệnh", "This service is closed now"),
    "COVERAGE_NOT_ALLOWED": (422, "Dịch vụ không áp dụng hình thức thanh toán này",
                             "This service does not accept that coverage"),
    "IDEMPOTENCY_KEY_REUSED": (422, "Mã Idempotency-Key đã dùng cho một yêu cầu khác",
                               "This Idempotency-Key was used for a different request"),
    "PASSWORD_TOO_SHORT": (422, "Mật khẩu phải có ít nhất 10 ký tự",
                           "The password must have at least 10 characters"),
    "PAYLOAD_TOO_LARGE": (413, "Dữ liệu gửi lên quá lớn", "The request is too large"),
    "RATE_LIMITED": (429, "Quá nhiều yêu cầu, vui lòng thử lại sau giây lát",
                     "Too many requests: try again shortly"),
    "CONSENT_REQUIRED": (422, "Cần bạn đồng ý cho bệnh viện dùng thông tin thẻ trước khi tiếp tục",
                         "Your consent to use the card's information is needed to continue"),
    "IDENTIFY_TOKEN_INVALID": (422, "Phiên tiếp đón đã hết hạn, vui lòng quét thẻ lại",
                               "The check-in session expired: please scan your card again"),
    "CARD_REQUIRED": (422, "Khám bảo hiểm y tế cần quét thẻ CCCD hoặc thẻ BHYT trước",
                      "An insurance visit needs your CCCD or BHYT card scanned first"),
    "BHYT_REFUSED": (422, "Thẻ BHYT không dùng được cho lượt khám này; bạn có thể tự trả tiền",
                     "The health insurance card cannot be used for this visit; you can pay yourself"),
    "INTERNAL_ERROR": (500, "Lỗi hệ thống, vui lòng báo nhân viên",
                       "Internal error: please tell a member of staff"),
    "SERVICE_UNAVAILABLE": (503, "Hệ thống tạm thời không sẵn sàng", "Temporarily unavailable"),
}


def _card_problems() -> dict[str, tuple[int, str, str]]:
    from ..domain.cards import CardErrorCode

    return {c.value: (422, c.message_vi, c.message_en) for c in CardErrorCode}


PROBLEMS.update(_card_problems())


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
