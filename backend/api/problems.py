"""RFC 9457 problem details with stable codes and Vietnamese / English titles."""
from flask import Response, json, request

from ..domain.cards import CardErrorCode

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
    "TOO_MANY_CONNECTIONS": (429, "Quá nhiều kết nối từ cùng một địa chỉ, vui lòng thử lại sau",
                             "Too many open connections from one address: try again later"),
    "REQUEST_TIMEOUT": (408, "Dữ liệu gửi lên quá chậm, vui lòng thử lại", "The request was sent too slowly: try again"),
    "RATE_LIMITED": (429, "Quá nhiều yêu cầu, vui lòng thử lại sau giây lát",
                     "Too many requests: try again shortly"),
    "CONSENT_REQUIRED": (422, "Cần bạn đồng ý cho bệnh viện dùng thông tin thẻ trước khi tiếp tục",
                         "Your consent to use the card's information is needed to continue"),
    "IDENTIFY_TOKEN_INVALID": (422, "Phiên tiếp đón đã hết hạn, vui lòng quét thẻ lại",
                               "The check-in session expired: please scan your card again"),
    "CARD_REQUIRED": (422, "Khám bảo hiểm y tế cần quét thẻ CCCD hoặc thẻ BHYT trước",
                      "An insurance visit needs your CCCD or BHYT card scanned first"),
    "VISIT_OPEN_SEE_RECEPTION": (409, "Số giấy tờ này đã có lượt khám hôm nay. Vui lòng quét thẻ, hoặc ra "
                                 "quầy tiếp đón để được giúp", "A visit is already open today for this ID "
                                 "number: please scan your card, or go to the reception desk for help"),
    "IDENTITY_NOT_VERIFIED": (403, "Cần quét thẻ CCCD hoặc BHYT của bạn tại máy để làm việc này",
                              "Please scan your CCCD or BHYT card at the kiosk to do this"),
    "MANUAL_LOOKUP_LIMIT": (429, "Máy này đã tra cứu quá nhiều số nhập tay. Vui lòng quét thẻ, hoặc ra quầy "
                            "tiếp đón để được giúp", "This kiosk has looked up too many typed numbers: please "
                            "scan your card, or go to the reception desk for help"),
    "PRIORITY_NOT_DECLARABLE": (422, "Lý do ưu tiên này chỉ nhân viên mới ghi nhận được (cấp cứu; tuổi lấy "
                                "theo thẻ); vui lòng báo nhân viên tiếp đón",
                                "Only staff can record this priority reason (emergency; age comes from the "
                                "card): please ask reception"),
    "PRIORITY_NOT_DECLARED": (409, "Số này không có lý do ưu tiên tự khai nào đang chờ xác nhận",
                              "This ticket has no declared priority reason waiting to be confirmed"),
    "TRACK_TOKEN_EXPIRED": (410, "Mã theo dõi của số thứ tự này đã hết hạn; vui lòng hỏi nhân viên",
                            "This ticket's tracking link has expired: please ask a member of staff"),
    "BHYT_REFUSED": (422, "Thẻ BHYT không dùng được cho lượt khám này; bạn có thể tự trả tiền",
                     "The health insurance card cannot be used for this visit; you can pay yourself"),
    # -- payments --
    "INVOICE_NOT_FOUND": (404, "Không tìm thấy hoá đơn", "Invoice not found"),
    "VISIT_NOT_FOUND": (404, "Không tìm thấy lượt khám", "Visit not found"),
    "INVOICE_EXPIRED": (409, "Hoá đơn đã hết hạn thanh toán, vui lòng đến quầy thu ngân",
                        "The invoice has expired: please go to the cashier"),
    "INVOICE_ALREADY_PAID": (409, "Hoá đơn đã được thanh toán", "The invoice is already paid"),
    "INVOICE_REFUNDED": (409, "Hoá đơn đã được hoàn tiền", "The invoice has been refunded"),
    "PAYMENT_AMOUNT_MISMATCH": (409, "Số tiền không khớp với hoá đơn",
                                "The amount does not match the invoice"),
    "PAYMENT_AMOUNT_INVALID": (422, "Số tiền không hợp lệ cho hình thức thanh toán này",
                               "The amount is not valid for this payment method"),
    "PAYMENT_NOT_STARTED": (409, "Chưa tạo giao dịch VNPay cho hoá đơn này",
                            "No VNPay payment has been started for this invoice"),
    "PAYMENT_NOT_REFUNDABLE": (409, "Không có khoản tiền nào của hoá đơn này để hoàn",
                               "There is no payment on this invoice to refund this way"),
    "PAYMENT_REFUND_REFUSED": (409, "Cổng thanh toán từ chối hoàn tiền",
                               "The payment gateway refused the refund"),
    "PAYMENT_PROVIDER_NOT_CONFIGURED": (503, "Hình thức thanh toán này chưa được cấu hình",
                                        "This payment method is not configured"),
    "PAYMENT_GATEWAY_UNAVAILABLE": (503, "Cổng thanh toán tạm thời không liên lạc được, vui lòng thử lại",
                                    "The payment gateway cannot be reached: try again shortly"),
    "PAYMENT_GATEWAY_INVALID_RESPONSE": (502, "Cổng thanh toán trả lời không hợp lệ",
                                         "The payment gateway's answer could not be trusted"),
    "PAYMENT_WEBHOOK_MALFORMED": (400, "Thông báo chuyển khoản không đúng định dạng",
                                  "The transfer notification is malformed"),
    "RECONCILIATION_ITEM_NOT_FOUND": (404, "Không tìm thấy khoản cần đối soát",
                                      "Reconciliation item not found"),
    "RECONCILIATION_ALREADY_RESOLVED": (409, "Khoản này đã được xử lý",
                                        "This item has already been resolved"),
    # -- patient mobile: accounts, appointments --
    "PHONE_INVALID": (422, "Số điện thoại di động không hợp lệ", "This is not a valid Vietnamese mobile number"),
    "SMS_UNAVAILABLE": (503, "Chưa gửi được tin nhắn, vui lòng thử lại sau ít phút",
                        "The text message could not be sent: try again in a few minutes"),
    "OTP_INVALID": (422, "Mã xác thực không đúng hoặc đã được dùng", "The code is wrong or was already used"),
    "OTP_EXPIRED": (422, "Mã xác thực đã hết hạn, vui lòng lấy mã mới", "The code has expired: ask for a new one"),
    "OTP_LOCKED": (429, "Nhập sai quá nhiều lần, vui lòng thử lại sau",
                   "Too many wrong codes: try again later"),
    "OTP_RESEND_TOO_SOON": (429, "Vui lòng đợi một chút trước khi lấy mã mới",
                            "Please wait a moment before asking for a new code"),
    "OTP_TOO_MANY_REQUESTS": (429, "Số điện thoại này đã nhận quá nhiều mã, vui lòng thử lại sau",
                              "Too many codes were sent to this number: try again later"),
    "LINK_NOT_VERIFIED": (422, "Thông tin thẻ không khớp với dữ liệu BHXH; hãy kiểm tra họ tên, ngày sinh "
                          "hoặc liên kết tại máy tiếp đón", "The card details do not match BHXH records: check "
                          "the name and date of birth, or link at a kiosk"),
    "LINK_CHECK_UNAVAILABLE": (503, "Chưa xác minh được thẻ lúc này; thử lại sau hoặc liên kết tại máy tiếp đón",
                               "The card cannot be verified right now: try later or link at a kiosk"),
    "PATIENT_LINKED_ELSEWHERE": (409, "Hồ sơ này đã liên kết với số điện thoại khác; vui lòng liên kết lại "
                                 "tại máy tiếp đón với thẻ của bạn", "This record is linked to another phone: "
                                 "link it again at a kiosk with your card"),
    "SELF_ALREADY_LINKED": (409, "Tài khoản đã liên kết với hồ sơ của bạn", "This account is already linked to "
                            "your own record"),
    "PATIENT_NOT_LINKED": (409, "Hãy liên kết thẻ CCCD hoặc BHYT của bạn trước",
                           "Link your CCCD or BHYT card first"),
    "PATIENT_LINK_NOT_FOUND": (404, "Không tìm thấy người bệnh đã liên kết", "Linked patient not found"),
    "SHARE_CODE_INVALID": (422, "Mã chia sẻ không đúng, đã dùng hoặc đã hết hạn",
                           "The share code is wrong, used or expired"),
    "SERVICE_NOT_BOOKABLE": (422, "Dịch vụ này không nhận đặt lịch hẹn", "This service does not take appointments"),
    "SLOT_NOT_AVAILABLE": (422, "Khung giờ này không đặt được", "This time cannot be booked"),
    "SLOT_FULL": (409, "Khung giờ này đã kín chỗ, vui lòng chọn giờ khác",
                  "This time is fully booked: please choose another"),
    "APPOINTMENT_NOT_FOUND": (404, "Không tìm thấy lịch hẹn", "Appointment not found"),
    "APPOINTMENT_DUPLICATE": (409, "Người bệnh đã có lịch hẹn khám dịch vụ này trong ngày",
                              "This patient already has an appointment for this service that day"),
    "APPOINTMENT_LIMIT": (409, "Bạn đã có quá nhiều lịch hẹn chưa khám", "You have too many open appointments"),
    "APPOINTMENT_NOT_CHANGEABLE": (409, "Lịch hẹn này không còn thay đổi được",
                                   "This appointment can no longer be changed"),
    "APPOINTMENT_CHANGE_CLOSED": (409, "Đã quá thời hạn huỷ hoặc đổi lịch hẹn",
                                  "It is too late to cancel or move this appointment"),
    "APPOINTMENT_CANCELLED": (409, "Lịch hẹn đã bị huỷ", "The appointment was cancelled"),
    "APPOINTMENT_ALREADY_CHECKED_IN": (409, "Lịch hẹn đã được xác nhận đến khám; đây là số thứ tự của bạn",
                                       "Already checked in: here is your ticket"),
    "APPOINTMENT_TOO_EARLY": (409, "Chưa đến giờ xác nhận lịch hẹn", "It is too early to check in"),
    "APPOINTMENT_EXPIRED": (409, "Lịch hẹn đã qua; vui lòng lấy số tại máy tiếp đón",
                            "The appointment is over: please take a ticket at a kiosk"),
    "APPOINTMENT_QR_INVALID": (422, "Mã QR lịch hẹn không hợp lệ", "The appointment QR code is not valid"),
    "LOBBY_CODE_INVALID": (422, "Mã tại sảnh không đúng hoặc không phải của hôm nay",
                           "The lobby code is wrong or not today's"),
    "ARRIVAL_PROOF_REQUIRED": (422, "Hãy bật định vị hoặc quét mã QR tại sảnh bệnh viện",
                               "Turn on location or scan the QR code in the hospital lobby"),
    "NOT_AT_HOSPITAL": (422, "Bạn chưa ở bệnh viện; hãy quét mã QR tại sảnh khi đến nơi",
                        "You do not seem to be at the hospital: scan the lobby QR code on arrival"),
    "LOCATION_CHECK_IN_DISABLED": (422, "Bệnh viện chưa bật xác nhận bằng vị trí; hãy quét mã QR tại sảnh",
                                   "Check-in by location is off here: scan the lobby QR code"),
    "INTERNAL_ERROR": (500, "Lỗi hệ thống, vui lòng báo nhân viên",
                       "Internal error: please tell a member of staff"),
    "XML0_SIGNING_UNAVAILABLE": (503, "Chứng thư số của bệnh viện đã hết hạn, chưa ký được hồ sơ XML0",
                                 "The hospital's signing certificate has expired: the XML0 record cannot be "
                                 "signed"),
    "SERVICE_UNAVAILABLE": (503, "Hệ thống tạm thời không sẵn sàng", "Temporarily unavailable"),
    "STORAGE_UNAVAILABLE": (503, "Hệ thống tạm thời không lưu được dữ liệu, vui lòng thử lại sau ít phút",
                            "Nothing can be stored right now: try again in a few minutes"),
}


def _card_problems() -> dict[str, tuple[int, str, str]]:
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
