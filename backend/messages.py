"""Every word the backend process shows a person, Vietnamese first and English second, keyed by a
stable code (DESIGN rule 7). One place to read, review and translate them.

Why a Python module and not gettext .po files: the texts are keyed by the domain's codes, not by an
English msgid, there are exactly two languages and no plural forms, and a dict needs no compile step
(.mo) nor a new dependency; a test checks that every key has both words. The kiosk is another process
and keeps its own catalog (kiosk_client/i18n.py). Start-up and setting errors are console texts of the
CLI and stay next to the check that raises them.

Keys:
- problem codes (UPPER_SNAKE): the titles of RFC 9457 documents (api/problems.py adds the HTTP status),
  including the card error codes of ``domain.cards.CardErrorCode``;
- ``socket.<CODE>``: refusals of a Socket.IO connection (realtime/namespaces.py);
- ``bhyt.<outcome>``: what the kiosk says about a BHXH card check (``domain.bhyt_check`` rules);
- ``assurance.typed``: the hint shown after a typed ID number;
- ``priority.<reason>``, ``priority_status.<declared|confirmed>``: labels of a ticket's priority;
- ``arrival.<arrival>``: the answer to an appointment check-in;
- ``alert.long_wait``: the staff alert for a long wait;
- ``sms.<kind>``: SMS texts; they go out in the account's language only;
- ``vnpay.<table>.<code>``: VNPay's result codes in words (staff screens, the return page);
- ``payment_return.*``: the page the patient's browser lands on after paying online.

Texts with ``{fields}`` are filled in with ``str.format`` by ``text``.
"""
from __future__ import annotations

from typing import NamedTuple

LANGUAGES = ("vi", "en")  # the first is the default


class Text(NamedTuple):
    vi: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


# Problem titles, one per problem code. Card error codes: written for an elderly first-time user
# standing at a kiosk: what happened, what to do next.
PROBLEM_TEXTS: dict[str, Text] = {
    "VALIDATION_ERROR": Text(
        "Dữ liệu gửi lên không hợp lệ",
        "The request data is not valid"),
    "INVALID_JSON": Text(
        "Nội dung không phải JSON hợp lệ",
        "The request body is not valid JSON"),
    "UNAUTHORIZED": Text(
        "Cần đăng nhập hoặc mã thiết bị hợp lệ",
        "Authentication required"),
    "INVALID_CREDENTIALS": Text(
        "Tên đăng nhập hoặc mật khẩu không đúng",
        "Wrong username or password"),
    "FORBIDDEN": Text(
        "Bạn không có quyền thực hiện thao tác này",
        "You are not allowed to do this"),
    "CSRF_FAILED": Text(
        "Phiên làm việc không hợp lệ, hãy tải lại trang",
        "Session check failed: reload the page"),
    "NOT_FOUND": Text(
        "Không tìm thấy",
        "Not found"),
    "TICKET_NOT_FOUND": Text(
        "Không tìm thấy số thứ tự",
        "Ticket not found"),
    "SERVICE_NOT_FOUND": Text(
        "Không có dịch vụ này",
        "Unknown service"),
    "SERVICE_POINT_NOT_FOUND": Text(
        "Không có quầy/phòng này",
        "Unknown service point"),
    "DEVICE_NOT_FOUND": Text(
        "Không tìm thấy thiết bị",
        "Device not found"),
    "METHOD_NOT_ALLOWED": Text(
        "Phương thức không được hỗ trợ",
        "Method not allowed"),
    "INVALID_TRANSITION": Text(
        "Số thứ tự đang ở trạng thái không cho phép thao tác này",
        "The ticket's state does not allow this action"),
    "NOT_BEING_SERVED": Text(
        "Người bệnh chưa vào khám: bấm Bắt đầu khi người bệnh đến, hoặc Vắng mặt nếu không đến",
        "The patient has not been seen: press Start when they come in, or No-show if they do not"),
    "CURRENT_NOT_SERVED": Text(
        "Người bệnh vừa mời chưa vào khám: xác nhận vắng mặt trước khi gọi số tiếp",
        "The patient just called has not come in: confirm the no-show before calling the next one"),
    "ALREADY_TRANSFERRED": Text(
        "Số này đã được chuyển tiếp sang một số mới",
        "This ticket has already been sent on to a new ticket"),
    "REQUEUE_LIMIT": Text(
        "Số này đã được xếp lại hàng đợi một lần",
        "This ticket has already been re-queued"),
    "CONFLICT": Text(
        "Số thứ tự vừa được người khác thay đổi, hãy thử lại",
        "Someone else changed this ticket first: try again"),
    "VISIT_ALREADY_OPEN": Text(
        "Bạn đã có lượt khám hôm nay",
        "You already have a visit today"),
    "ALREADY_EXISTS": Text(
        "Đã tồn tại",
        "Already exists"),
    "QUEUE_CLOSED": Text(
        "Dịch vụ hiện đã hết giờ nhận bệnh",
        "This service is closed now"),
    "COVERAGE_NOT_ALLOWED": Text(
        "Dịch vụ không áp dụng hình thức thanh toán này",
        "This service does not accept that coverage"),
    "IDEMPOTENCY_KEY_REUSED": Text(
        "Mã Idempotency-Key đã dùng cho một yêu cầu khác",
        "This Idempotency-Key was used for a different request"),
    "PASSWORD_TOO_SHORT": Text(
        "Mật khẩu phải có ít nhất 10 ký tự",
        "The password must have at least 10 characters"),
    "PAYLOAD_TOO_LARGE": Text(
        "Dữ liệu gửi lên quá lớn",
        "The request is too large"),
    "TOO_MANY_CONNECTIONS": Text(
        "Quá nhiều kết nối từ cùng một địa chỉ, vui lòng thử lại sau",
        "Too many open connections from one address: try again later"),
    "REQUEST_TIMEOUT": Text(
        "Dữ liệu gửi lên quá chậm, vui lòng thử lại",
        "The request was sent too slowly: try again"),
    "RATE_LIMITED": Text(
        "Quá nhiều yêu cầu, vui lòng thử lại sau giây lát",
        "Too many requests: try again shortly"),
    "CONSENT_REQUIRED": Text(
        "Cần bạn đồng ý cho bệnh viện dùng thông tin thẻ trước khi tiếp tục",
        "Your consent to use the card's information is needed to continue"),
    "IDENTIFY_TOKEN_INVALID": Text(
        "Phiên tiếp đón đã hết hạn, vui lòng quét thẻ lại",
        "The check-in session expired: please scan your card again"),
    "CARD_REQUIRED": Text(
        "Khám bảo hiểm y tế cần quét thẻ CCCD hoặc thẻ BHYT trước",
        "An insurance visit needs your CCCD or BHYT card scanned first"),
    "VISIT_OPEN_SEE_RECEPTION": Text(
        "Số giấy tờ này đã có lượt khám hôm nay. Vui lòng quét thẻ, hoặc ra quầy tiếp đón để được giúp",
        "A visit is already open today for this ID number: please scan your card, or go to the "
        "reception desk for help"),
    "IDENTITY_NOT_VERIFIED": Text(
        "Cần quét thẻ CCCD hoặc BHYT của bạn tại máy để làm việc này",
        "Please scan your CCCD or BHYT card at the kiosk to do this"),
    "MANUAL_LOOKUP_LIMIT": Text(
        "Máy này đã tra cứu quá nhiều số nhập tay. Vui lòng quét thẻ, hoặc ra quầy tiếp đón để được giúp",
        "This kiosk has looked up too many typed numbers: please scan your card, or go to the "
        "reception desk for help"),
    "PRIORITY_NOT_DECLARABLE": Text(
        "Lý do ưu tiên này chỉ nhân viên mới ghi nhận được (cấp cứu; tuổi lấy theo thẻ); vui lòng báo "
        "nhân viên tiếp đón",
        "Only staff can record this priority reason (emergency; age comes from the card): please ask "
        "reception"),
    "PRIORITY_NOT_DECLARED": Text(
        "Số này không có lý do ưu tiên tự khai nào đang chờ xác nhận",
        "This ticket has no declared priority reason waiting to be confirmed"),
    "TRACK_TOKEN_EXPIRED": Text(
        "Mã theo dõi của số thứ tự này đã hết hạn; vui lòng hỏi nhân viên",
        "This ticket's tracking link has expired: please ask a member of staff"),
    "BHYT_REFUSED": Text(
        "Thẻ BHYT không dùng được cho lượt khám này; bạn có thể tự trả tiền",
        "The health insurance card cannot be used for this visit; you can pay yourself"),
    # -- payments --
    "INVOICE_NOT_FOUND": Text(
        "Không tìm thấy hoá đơn",
        "Invoice not found"),
    "VISIT_NOT_FOUND": Text(
        "Không tìm thấy lượt khám",
        "Visit not found"),
    "INVOICE_EXPIRED": Text(
        "Hoá đơn đã hết hạn thanh toán, vui lòng đến quầy thu ngân",
        "The invoice has expired: please go to the cashier"),
    "INVOICE_ALREADY_PAID": Text(
        "Hoá đơn đã được thanh toán",
        "The invoice is already paid"),
    "INVOICE_REFUNDED": Text(
        "Hoá đơn đã được hoàn tiền",
        "The invoice has been refunded"),
    "INVOICE_VOID": Text(
        "Hoá đơn đã bị huỷ cùng số thứ tự, không thể thanh toán",
        "The invoice was cancelled with its ticket and cannot be paid"),
    "INVOICE_NOT_PENDING": Text(
        "Hoá đơn không còn chờ thanh toán",
        "The invoice is no longer waiting for payment"),
    "CASHIER_NOT_OFFERED": Text(
        "Bệnh viện không nhận thanh toán tại quầy thu ngân cho hoá đơn này",
        "This hospital does not take this payment at the cashier desk"),
    "PAYMENT_AMOUNT_MISMATCH": Text(
        "Số tiền không khớp với hoá đơn",
        "The amount does not match the invoice"),
    "PAYMENT_AMOUNT_INVALID": Text(
        "Số tiền không hợp lệ cho hình thức thanh toán này",
        "The amount is not valid for this payment method"),
    "PAYMENT_NOT_STARTED": Text(
        "Chưa tạo giao dịch VNPay cho hoá đơn này",
        "No VNPay payment has been started for this invoice"),
    "PAYMENT_NOT_REFUNDABLE": Text(
        "Không có khoản tiền nào của hoá đơn này để hoàn",
        "There is no payment on this invoice to refund this way"),
    "PAYMENT_REFUND_REFUSED": Text(
        "Cổng thanh toán từ chối hoàn tiền",
        "The payment gateway refused the refund"),
    "PAYMENT_PROVIDER_NOT_CONFIGURED": Text(
        "Hình thức thanh toán này chưa được cấu hình",
        "This payment method is not configured"),
    "PAYMENT_GATEWAY_UNAVAILABLE": Text(
        "Cổng thanh toán tạm thời không liên lạc được, vui lòng thử lại",
        "The payment gateway cannot be reached: try again shortly"),
    "PAYMENT_GATEWAY_INVALID_RESPONSE": Text(
        "Cổng thanh toán trả lời không hợp lệ",
        "The payment gateway's answer could not be trusted"),
    "PAYMENT_WEBHOOK_MALFORMED": Text(
        "Thông báo chuyển khoản không đúng định dạng",
        "The transfer notification is malformed"),
    "RECONCILIATION_ITEM_NOT_FOUND": Text(
        "Không tìm thấy khoản cần đối soát",
        "Reconciliation item not found"),
    "RECONCILIATION_ALREADY_RESOLVED": Text(
        "Khoản này đã được xử lý",
        "This item has already been resolved"),
    # -- patient mobile: accounts, appointments --
    "PHONE_INVALID": Text(
        "Số điện thoại di động không hợp lệ",
        "This is not a valid Vietnamese mobile number"),
    "SMS_UNAVAILABLE": Text(
        "Chưa gửi được tin nhắn, vui lòng thử lại sau ít phút",
        "The text message could not be sent: try again in a few minutes"),
    "OTP_INVALID": Text(
        "Mã xác thực không đúng hoặc đã được dùng",
        "The code is wrong or was already used"),
    "OTP_EXPIRED": Text(
        "Mã xác thực đã hết hạn, vui lòng lấy mã mới",
        "The code has expired: ask for a new one"),
    "OTP_LOCKED": Text(
        "Nhập sai quá nhiều lần, vui lòng thử lại sau",
        "Too many wrong codes: try again later"),
    "OTP_RESEND_TOO_SOON": Text(
        "Vui lòng đợi một chút trước khi lấy mã mới",
        "Please wait a moment before asking for a new code"),
    "OTP_TOO_MANY_REQUESTS": Text(
        "Số điện thoại này đã nhận quá nhiều mã, vui lòng thử lại sau",
        "Too many codes were sent to this number: try again later"),
    "LINK_NOT_VERIFIED": Text(
        "Thông tin thẻ không khớp với dữ liệu BHXH; hãy kiểm tra họ tên, ngày sinh hoặc liên kết tại "
        "máy tiếp đón",
        "The card details do not match BHXH records: check the name and date of birth, or link at a kiosk"),
    "LINK_CHECK_UNAVAILABLE": Text(
        "Chưa xác minh được thẻ lúc này; thử lại sau hoặc liên kết tại máy tiếp đón",
        "The card cannot be verified right now: try later or link at a kiosk"),
    "PATIENT_LINKED_ELSEWHERE": Text(
        "Hồ sơ này đã liên kết với số điện thoại khác; vui lòng liên kết lại tại máy tiếp đón với thẻ "
        "của bạn",
        "This record is linked to another phone: link it again at a kiosk with your card"),
    "SELF_ALREADY_LINKED": Text(
        "Tài khoản đã liên kết với hồ sơ của bạn",
        "This account is already linked to your own record"),
    "PATIENT_NOT_LINKED": Text(
        "Hãy liên kết thẻ CCCD hoặc BHYT của bạn trước",
        "Link your CCCD or BHYT card first"),
    "PATIENT_LINK_NOT_FOUND": Text(
        "Không tìm thấy người bệnh đã liên kết",
        "Linked patient not found"),
    "SHARE_CODE_INVALID": Text(
        "Mã chia sẻ không đúng, đã dùng hoặc đã hết hạn",
        "The share code is wrong, used or expired"),
    "SERVICE_NOT_BOOKABLE": Text(
        "Dịch vụ này không nhận đặt lịch hẹn",
        "This service does not take appointments"),
    "SLOT_NOT_AVAILABLE": Text(
        "Khung giờ này không đặt được",
        "This time cannot be booked"),
    "SLOT_FULL": Text(
        "Khung giờ này đã kín chỗ, vui lòng chọn giờ khác",
        "This time is fully booked: please choose another"),
    "APPOINTMENT_NOT_FOUND": Text(
        "Không tìm thấy lịch hẹn",
        "Appointment not found"),
    "APPOINTMENT_DUPLICATE": Text(
        "Người bệnh đã có lịch hẹn khám dịch vụ này trong ngày",
        "This patient already has an appointment for this service that day"),
    "APPOINTMENT_LIMIT": Text(
        "Bạn đã có quá nhiều lịch hẹn chưa khám",
        "You have too many open appointments"),
    "APPOINTMENT_NOT_CHANGEABLE": Text(
        "Lịch hẹn này không còn thay đổi được",
        "This appointment can no longer be changed"),
    "APPOINTMENT_CHANGE_CLOSED": Text(
        "Đã quá thời hạn huỷ hoặc đổi lịch hẹn",
        "It is too late to cancel or move this appointment"),
    "APPOINTMENT_CANCELLED": Text(
        "Lịch hẹn đã bị huỷ",
        "The appointment was cancelled"),
    "APPOINTMENT_ALREADY_CHECKED_IN": Text(
        "Lịch hẹn đã được xác nhận đến khám; đây là số thứ tự của bạn",
        "Already checked in: here is your ticket"),
    "APPOINTMENT_TOO_EARLY": Text(
        "Chưa đến giờ xác nhận lịch hẹn",
        "It is too early to check in"),
    "APPOINTMENT_EXPIRED": Text(
        "Lịch hẹn đã qua; vui lòng lấy số tại máy tiếp đón",
        "The appointment is over: please take a ticket at a kiosk"),
    "APPOINTMENT_QR_INVALID": Text(
        "Mã QR lịch hẹn không hợp lệ",
        "The appointment QR code is not valid"),
    "LOBBY_CODE_INVALID": Text(
        "Mã tại sảnh không đúng hoặc không phải của hôm nay",
        "The lobby code is wrong or not today's"),
    "ARRIVAL_PROOF_REQUIRED": Text(
        "Hãy bật định vị hoặc quét mã QR tại sảnh bệnh viện",
        "Turn on location or scan the QR code in the hospital lobby"),
    "NOT_AT_HOSPITAL": Text(
        "Bạn chưa ở bệnh viện; hãy quét mã QR tại sảnh khi đến nơi",
        "You do not seem to be at the hospital: scan the lobby QR code on arrival"),
    "LOCATION_CHECK_IN_DISABLED": Text(
        "Bệnh viện chưa bật xác nhận bằng vị trí; hãy quét mã QR tại sảnh",
        "Check-in by location is off here: scan the lobby QR code"),
    "INTERNAL_ERROR": Text(
        "Lỗi hệ thống, vui lòng báo nhân viên",
        "Internal error: please tell a member of staff"),
    "XML0_SIGNING_UNAVAILABLE": Text(
        "Chứng thư số của bệnh viện đã hết hạn, chưa ký được hồ sơ XML0",
        "The hospital's signing certificate has expired: the XML0 record cannot be signed"),
    "SERVICE_UNAVAILABLE": Text(
        "Hệ thống tạm thời không sẵn sàng",
        "Temporarily unavailable"),
    "STORAGE_UNAVAILABLE": Text(
        "Hệ thống tạm thời không lưu được dữ liệu, vui lòng thử lại sau ít phút",
        "Nothing can be stored right now: try again in a few minutes"),
    # -- cards (domain.cards.CardErrorCode), answered as 422 --
    "CARD_UNREADABLE": Text(
        "Không đọc được thẻ. Vui lòng quét lại, giữ thẻ yên trước máy quét.",
        "The card could not be read. Please scan it again and hold it still in front of the scanner."),
    "CARD_EXPIRED": Text(
        "Thẻ BHYT đã hết hạn. Bạn vẫn có thể khám và tự trả tiền, hoặc ra quầy tiếp đón.",
        "This health insurance card has expired. You can still see a doctor and pay yourself, or go to "
        "the reception desk."),
    "CARD_NOT_YET_VALID": Text(
        "Thẻ BHYT chưa đến ngày sử dụng. Bạn có thể tự trả tiền, hoặc ra quầy tiếp đón.",
        "This health insurance card cannot be used yet. You can pay yourself, or go to the reception desk."),
    "CARD_INVALID_NUMBER": Text(
        "Số thẻ không đúng. Vui lòng kiểm tra lại số trên thẻ.",
        "The card number is not correct. Please check the number on your card."),
    "CARD_INVALID_DATE": Text(
        "Ngày tháng trên thẻ không đúng. Vui lòng kiểm tra lại hoặc ra quầy tiếp đón.",
        "A date on the card is not correct. Please check it or go to the reception desk."),
    "CARD_NAME_INVALID": Text(
        "Không đọc đúng được họ tên trên thẻ. Vui lòng quét lại hoặc ra quầy tiếp đón.",
        "The name on the card could not be read correctly. Please scan again or go to the reception desk."),
    "CARD_DOB_MISMATCH": Text(
        "Số CCCD và năm sinh không khớp nhau. Vui lòng kiểm tra lại.",
        "The ID card number and the year of birth do not match. Please check them again."),
    "CARD_UNKNOWN_TYPE": Text(
        "Vui lòng chọn loại thẻ: CCCD hoặc thẻ BHYT.",
        "Please choose the card type: citizen ID card or health insurance card."),
}

# A refused Socket.IO connection: CONNECT_ERROR data {"code", "title_vi", "title_en"}.
SOCKET_REFUSALS: dict[str, Text] = {
    "UNAUTHORIZED": PROBLEM_TEXTS["UNAUTHORIZED"],
    "TICKET_NOT_FOUND": PROBLEM_TEXTS["TICKET_NOT_FOUND"],
    "DISPLAY_NOT_FOUND": Text("Không có màn hình khu vực này", "Unknown display area"),
    "SERVICE_UNAVAILABLE": PROBLEM_TEXTS["SERVICE_UNAVAILABLE"],
    "TRACK_TOKEN_EXPIRED": Text("Mã theo dõi của số thứ tự này đã hết hạn", "This ticket's tracking link has expired"),
}

_SELF_PAY_HINT = Text("Bạn vẫn có thể khám và tự trả tiền, hoặc ra quầy tiếp đón để được giúp.",
                      "You can still see a doctor and pay yourself, or go to the reception desk for help.")


def _refuse(vi: str, en: str) -> Text:
    # The card itself is in doubt: send the patient to a person rather than steering them to pay.
    return Text(f"{vi} Lần khám này không dùng được thẻ BHYT. Vui lòng ra quầy tiếp đón nếu cần giúp.",
                f"{en} It cannot be used for this visit. Please go to the reception desk if you need help.")


def _see_reception(vi: str, en: str) -> Text:
    return Text(f"{vi} Vui lòng ra quầy tiếp đón để nhân viên giúp bạn.",
                f"{en} Please go to the reception desk; staff will help you.")


# What the kiosk shows after a BHXH card check, keyed by the rule's message code (domain.bhyt_check).
BHYT_CHECK_TEXTS: dict[str, Text] = {
    "bhyt.ok": Text("Thẻ BHYT hợp lệ.", "Your health insurance card is valid."),
    "bhyt.ok_show_staff": Text(
        "Thẻ BHYT hợp lệ. Khi được gọi, vui lòng đưa thẻ và giấy tờ tùy thân cho nhân viên xem.",
        "Your health insurance card is valid. When you are called, please show your card and ID papers to the "
        "staff."),
    "bhyt.new_card": Text(
        "Thẻ cũ của bạn đã hết hạn nhưng bạn đã được cấp thẻ BHYT mới. Lần khám này dùng thẻ mới.",
        "Your old card has expired, but a new health insurance card has been issued. This visit uses the new "
        "card."),
    "bhyt.new_card_issued": Text(
        "Thẻ BHYT hợp lệ. Bạn đã được cấp thẻ mới, lần sau hãy mang thẻ mới.",
        "Your health insurance card is valid. A new card has been issued for you; please bring it next time."),
    "bhyt.expired": Text(f"Thẻ BHYT đã hết hạn. {_SELF_PAY_HINT.vi}",
                         f"Your health insurance card has expired. {_SELF_PAY_HINT.en}"),
    "bhyt.not_found": _refuse("Không tìm thấy thông tin thẻ BHYT này.",
                              "No information was found for this health insurance card."),
    "bhyt.card_code_wrong": _refuse("Mã thẻ BHYT không đúng.", "The health insurance card number is not correct."),
    "bhyt.name_mismatch": _see_reception("Họ tên không khớp với thông tin thẻ BHYT.",
                                         "The name does not match the health insurance card records."),
    "bhyt.dob_mismatch": _see_reception("Ngày sinh không khớp với thông tin thẻ BHYT.",
                                        "The date of birth does not match the health insurance card records."),
    "bhyt.withdrawn": _refuse("Thẻ BHYT này đã bị thu hồi.", "This health insurance card has been withdrawn."),
    "bhyt.reduced": _refuse("Thẻ BHYT này đã bị báo giảm hoặc ngừng sử dụng.",
                            "This health insurance card has been stopped or moved and cannot be used."),
    "bhyt.child_no_card": Text(
        "Cháu chưa có thẻ BHYT. Vui lòng mang giấy khai sinh ra quầy tiếp đón để nhân viên giúp.",
        "This child has no health insurance card yet. Please take the birth certificate to the reception desk."),
    "bhyt.pending": Text(
        "Chưa kiểm tra được thẻ BHYT lúc này. Bạn vẫn được lấy số khám bình thường; "
        "nhân viên sẽ kiểm tra thẻ sau.",
        "We could not check your health insurance card just now. You still get your queue number; "
        "staff will check the card later."),
}

OTHER_TEXTS: dict[str, Text] = {
    # The same neutral words for every typed number, whether or not anything is open today.
    "assurance.typed": Text(
        "Bạn đã nhập số giấy tờ bằng tay: bạn vẫn lấy được số mới. Để xem hoặc in lại số đã lấy hôm nay, "
        "vui lòng quét thẻ, hoặc ra quầy tiếp đón để được giúp.",
        "You typed your ID number: you can still get a new number. To see or reprint a number you already "
        "have today, please scan your card, or go to the reception desk for help."),
    # Priority reasons (domain.priority.PriorityClass) and whether staff confirmed a declared one.
    "priority.emergency": Text("Cấp cứu", "Emergency"),
    "priority.child_under_6": Text("Trẻ em dưới 6 tuổi", "Child under 6"),
    "priority.pregnant": Text("Phụ nữ có thai", "Pregnant woman"),
    "priority.severe_disability": Text("Người khuyết tật nặng", "Severe disability"),
    "priority.elderly_75": Text("Người từ 75 tuổi", "Aged 75 or over"),
    "priority.revolutionary_merit": Text("Người có công với cách mạng", "Person with revolutionary merit"),
    "priority.appointment": Text("Có lịch hẹn", "Appointment"),
    "priority_status.declared": Text("Tự khai, chờ xác nhận", "Declared, to be confirmed"),
    "priority_status.confirmed": Text("Đã xác nhận", "Confirmed"),
    # Check-in of an appointment (POST .../check-in), keyed by domain.appointments.Arrival.
    "arrival.on_time": Text("Đã xác nhận lịch hẹn. Bạn được ưu tiên trong hàng đợi theo giờ hẹn.",
                            "Checked in. You are queued with your appointment's priority."),
    "arrival.late": Text("Bạn đến muộn so với giờ hẹn nên được xếp hàng như người đến khám trực tiếp.",
                         "You are late for your slot, so you are queued as a walk-in."),
    # The BHYT checks list of the reception dashboard: what BHXH's answer (maKetQua, specs/bhxh.md)
    # means, in words, and what staff do about it. Keyed by code, then by the outcome it led to.
    "bhxh_code.001": Text("Thẻ do BHXH Bộ Quốc phòng quản lý", "Card managed by the Ministry of Defence's BHXH"),
    "bhxh_code.002": Text("Thẻ do BHXH Bộ Công an quản lý", "Card managed by the Ministry of Public Security's BHXH"),
    "bhxh_code.054": Text("CCCD của cán bộ tra cứu chưa được đăng ký với BHXH",
                          "The look-up officer's CCCD is not registered with BHXH"),
    "bhxh_code.055": Text("Họ tên cán bộ tra cứu không khớp CCCD đã đăng ký",
                          "The look-up officer's name does not match the registered CCCD"),
    "bhxh_code.060": Text("Họ tên không khớp thông tin thẻ", "The name does not match the card"),
    "bhxh_code.061": Text("Họ tên không khớp thông tin thẻ (đúng chữ cái đầu)",
                          "The name does not match the card (first letter right)"),
    "bhxh_code.070": Text("Ngày sinh không khớp thông tin thẻ", "The date of birth does not match the card"),
    "bhxh_code.100": Text("BHXH lỗi khi đọc dữ liệu thẻ", "BHXH failed to read the card data"),
    "bhxh_code.101": Text("Máy chủ BHXH gặp lỗi", "BHXH server error"),
    "bhxh_code.130": Text("Trẻ em chưa có thẻ BHYT", "Child without a health insurance card"),
    "bhxh_code.205": Text("Bệnh viện gửi yêu cầu sai định dạng", "The hospital sent a malformed request"),
    "bhxh_code.401": Text("BHXH từ chối đăng nhập của bệnh viện", "BHXH refused the hospital's sign-in"),
    "bhxh_code.UNAVAILABLE": Text("Cổng BHXH không trả lời", "The BHXH gateway did not answer"),
    "bhxh_code.unknown": Text("Mã trả lời lạ từ BHXH ({code})", "Unknown answer code from BHXH ({code})"),
    "bhyt_todo.ok_flag_staff": Text(
        "Xem thẻ BHYT và giấy tờ tuỳ thân của người bệnh khi họ đến quầy/phòng, rồi bấm “Đã xử lý”.",
        "Look at the patient's card and ID papers when they come to the desk or room, then press “Done”."),
    "bhyt_todo.refuse_see_reception": Text(
        "Mời người bệnh đến quầy, đối chiếu họ tên và ngày sinh với CCCD. Nếu thẻ ghi sai, hướng dẫn khám "
        "dịch vụ và liên hệ BHXH để sửa thẻ. Xong bấm “Đã xử lý”.",
        "Ask the patient to the desk and compare name and birth date with their CCCD. If the card is wrong, "
        "offer a self-pay visit and refer them to BHXH to correct it. Then press “Done”."),
    "bhyt_todo.child_see_reception": Text(
        "Xem giấy khai sinh hoặc giấy chứng sinh của trẻ để khám BHYT trẻ dưới 6 tuổi theo quy định, ghi "
        "nhận trong HIS. Xong bấm “Đã xử lý”.",
        "See the child's birth certificate to register the under-6 BHYT visit as the rules allow, and record "
        "it in the HIS. Then press “Done”."),
    "bhyt_todo.config_error_pending": Text(
        "Báo bộ phận CNTT sửa tài khoản tra cứu BHXH. Người bệnh vẫn khám bình thường; sau khi sửa, bấm "
        "“Kiểm tra lại ngay”.",
        "Tell IT to fix the BHXH look-up account. The patient goes on as usual; once fixed, press "
        "“Check again now”."),
    "bhyt_todo.auth_error_pending": Text(
        "Báo bộ phận CNTT (tài khoản cổng BHXH). Người bệnh vẫn khám bình thường; sau khi sửa, bấm "
        "“Kiểm tra lại ngay”.",
        "Tell IT (the BHXH gateway account). The patient goes on as usual; once fixed, press "
        "“Check again now”."),
    "bhyt_todo.bug_alert_it": Text(
        "Báo bộ phận CNTT. Người bệnh vẫn khám bình thường; có thể bấm “Kiểm tra lại ngay”.",
        "Tell IT. The patient goes on as usual; you may press “Check again now”."),
    "bhyt_todo.unknown_code_pending": Text(
        "Báo bộ phận CNTT mã này. Người bệnh vẫn khám bình thường; có thể bấm “Kiểm tra lại ngay”.",
        "Tell IT this code. The patient goes on as usual; you may press “Check again now”."),
    "bhyt_todo.retry_pending": Text(
        "Không cần làm gì: hệ thống tự hỏi lại BHXH. Có thể bấm “Kiểm tra lại ngay”.",
        "Nothing to do: the system asks BHXH again by itself. You may press “Check again now”."),
    "bhyt_todo.gateway_unavailable_pending": Text(
        "Không cần làm gì: hệ thống tự hỏi lại khi cổng BHXH hoạt động. Có thể bấm “Kiểm tra lại ngay”.",
        "Nothing to do: the system asks again when the BHXH gateway is back. You may press “Check again now”."),
    "bhyt_todo.other": Text("Xem thẻ và giấy tờ của người bệnh, rồi bấm “Đã xử lý”.",
                            "Look at the patient's card and papers, then press “Done”."),
    "his_state.pending": Text(
        "HIS chưa nhận hồ sơ; hệ thống tự gửi lại (đã thử {attempts} lần). Bấm “Gửi ngay” để thử lại ngay.",
        "The HIS has not taken the record yet; it is resent by itself ({attempts} tries). Press “Send now” "
        "to try at once."),
    "his_state.parked": Text(
        "HIS từ chối hồ sơ sau {attempts} lần gửi. Sửa thông tin trong HIS (hoặc báo CNTT), rồi bấm “Gửi lại”.",
        "The HIS refused the record after {attempts} tries. Fix it in the HIS (or tell IT), then press "
        "“Send again”."),
    # Words for one query-string field a client got wrong (VALIDATION_ERROR's `errors`).
    "field.day_or_datetime": Text(
        "Cần một ngày (YYYY-MM-DD) hoặc thời điểm ISO 8601, ví dụ 2026-12-02 hoặc 2026-12-02T08:00+07:00",
        "A date (YYYY-MM-DD) or an ISO 8601 datetime is needed, e.g. 2026-12-02 or 2026-12-02T08:00+07:00"),
    "field.range_order": Text("Thời điểm kết thúc phải sau thời điểm bắt đầu",
                              "The end must come after the start"),
    "alert.long_wait": Text("Số {number} ({service_vi}) đã chờ {minutes} phút",
                            "Ticket {number} ({service_en}) has waited {minutes} min"),
    # SMS: one language per message, the account's. Short: a Vietnamese SMS is UCS-2 (70 characters a
    # segment). Never a name or an ID number.
    "sms.otp": Text("Mã xác thực Tiếp Đón của bạn là {code}, hiệu lực {minutes} phút. Không chia sẻ mã này cho ai.",
                    "Your Tiếp Đón code is {code}, valid for {minutes} min. Do not share it."),
    "sms.next": Text("Tiếp Đón: số {number} ({service_vi}) sắp đến lượt. Vui lòng có mặt tại {room_vi}.",
                     "Number {number} ({service_en}): you are next. Please be at {room_en}."),
    "sms.places": Text("Tiếp Đón: số {number} ({service_vi}) còn {ahead} người nữa là đến lượt. "
                       "Vui lòng có mặt gần {room_vi}.",
                       "Number {number} ({service_en}): {ahead} ahead of you. Please stay near {room_en}."),
    "sms.called": Text("Tiếp Đón: mời số {number} đến {point_vi}.", "Number {number}, please go to {point_en}."),
    "sms.reminder": Text("Tiếp Đón: nhắc lịch khám {service_vi} lúc {time} ngày {date}, {room_vi}. "
                         "Đến nơi, hãy xác nhận trên ứng dụng hoặc quét mã tại máy tiếp đón.",
                         "Reminder: {service_en} appointment at {time} on {date}, {room_en}. "
                         "On arrival, check in on the app or scan your code at a kiosk."),
}

# VNPay's codes in words (adapters/payments/vnpay/codes.py), for staff screens and the patient's return
# page: ``vnpay.response.<vnp_ResponseCode>`` (return URL and IPN), ``vnpay.transaction.<vnp_TransactionStatus>``
# (return URL, IPN, querydr), ``vnpay.api.<code>`` (querydr and refund answers), ``vnpay.unknown``.
VNPAY_TEXTS: dict[str, Text] = {
    "vnpay.response.00": Text("Giao dịch thành công", "Transaction successful"),
    "vnpay.response.07": Text(
        "Trừ tiền thành công, giao dịch bị nghi ngờ (liên quan tới lừa đảo, giao dịch bất thường)",
        "Money debited, transaction flagged as suspicious (possible fraud or unusual activity)"),
    "vnpay.response.09": Text("Thẻ/Tài khoản chưa đăng ký dịch vụ Internet Banking tại ngân hàng",
                              "Card/account is not registered for internet banking"),
    "vnpay.response.10": Text("Xác thực thông tin thẻ/tài khoản không đúng quá 3 lần",
                              "Card/account authentication failed more than 3 times"),
    "vnpay.response.11": Text("Đã hết hạn chờ thanh toán", "Payment window timed out"),
    "vnpay.response.12": Text("Thẻ/Tài khoản bị khoá", "Card/account is locked"),
    "vnpay.response.24": Text("Khách hàng huỷ giao dịch", "Customer cancelled the transaction"),
    "vnpay.response.51": Text("Tài khoản không đủ số dư", "Insufficient balance"),
    "vnpay.response.65": Text("Tài khoản đã vượt quá hạn mức giao dịch trong ngày", "Daily transaction limit exceeded"),
    "vnpay.response.75": Text("Ngân hàng thanh toán đang bảo trì", "Paying bank is under maintenance"),
    "vnpay.response.99": Text("Lỗi khác", "Other error"),
    "vnpay.transaction.00": Text("Giao dịch thành công", "Transaction successful"),
    "vnpay.transaction.01": Text("Giao dịch chưa hoàn tất", "Transaction not completed"),
    "vnpay.transaction.02": Text("Giao dịch bị lỗi", "Transaction failed"),
    "vnpay.transaction.04": Text("Giao dịch đảo (đã trừ tiền tại ngân hàng nhưng chưa thành công ở VNPAY)",
                                 "Transaction reversed"),
    "vnpay.transaction.05": Text("VNPAY đang xử lý hoàn tiền", "Refund being processed by VNPAY"),
    "vnpay.transaction.06": Text("VNPAY đã gửi yêu cầu hoàn tiền sang ngân hàng", "Refund sent to the bank"),
    "vnpay.transaction.07": Text("Giao dịch bị nghi ngờ gian lận", "Transaction suspected of fraud"),
    "vnpay.transaction.09": Text("Giao dịch hoàn trả bị từ chối", "Refund rejected"),
    "vnpay.api.00": Text("Yêu cầu thành công", "Request succeeded"),
    "vnpay.api.02": Text("Mã định danh kết nối (TmnCode) không hợp lệ", "Invalid TmnCode"),
    "vnpay.api.03": Text("Dữ liệu gửi sang không đúng định dạng", "Malformed request"),
    "vnpay.api.91": Text("Không tìm thấy giao dịch yêu cầu", "Transaction not found"),
    "vnpay.api.94": Text("Yêu cầu bị trùng lặp", "Duplicate request"),
    "vnpay.api.95": Text("Giao dịch này không thành công bên VNPAY, VNPAY từ chối xử lý yêu cầu", "Refund refused"),
    "vnpay.api.97": Text("Checksum không hợp lệ", "Invalid checksum"),
    "vnpay.api.99": Text("Lỗi khác", "Other error"),
    "vnpay.unknown": Text("Mã không xác định", "Unknown code"),
}

# The page the patient's browser lands on after paying (GET /payments/vnpay/return): it only shows.
PAYMENT_RETURN_TEXTS: dict[str, Text] = {
    "payment_return.title": Text("Kết quả thanh toán", "Payment result"),
    "payment_return.unverified": Text("Không xác minh được kết quả thanh toán. Vui lòng hỏi nhân viên thu ngân.",
                                      "The payment result could not be verified. Please ask the cashier."),
    "payment_return.reported_paid": Text("VNPAY báo giao dịch thành công.", "VNPAY reports the payment as successful."),
    "payment_return.recorded": Text("Bệnh viện đã ghi nhận thanh toán của bạn.",
                                    "The hospital has recorded your payment."),
    "payment_return.waiting": Text("Bệnh viện đang chờ VNPAY xác nhận; số thứ tự sẽ tự cập nhật.",
                                   "The hospital is waiting for VNPAY's confirmation; your ticket updates by itself."),
    "payment_return.failed": Text("Thanh toán không thành công: {message_vi}",
                                  "The payment did not go through: {message_en}"),
    "payment_return.amount": Text("Số tiền", "Amount"),
}

MESSAGES: dict[str, Text] = {
    **PROBLEM_TEXTS,
    **{f"socket.{code}": t for code, t in SOCKET_REFUSALS.items()},
    **BHYT_CHECK_TEXTS,
    **OTHER_TEXTS,
    **VNPAY_TEXTS,
    **PAYMENT_RETURN_TEXTS,
}


def pair(key: str, **fields) -> Text:
    """Both words for ``key`` (KeyError if the catalog has none: a missing text is a bug)."""
    t = MESSAGES[key]
    return Text(t.vi.format(**fields), t.en.format(**fields)) if fields else t


def text(key: str, lang: str = "vi", **fields) -> str:
    """The words for ``key`` in ``lang`` (anything but "en" is Vietnamese)."""
    return pair(key, **fields).get(lang)
