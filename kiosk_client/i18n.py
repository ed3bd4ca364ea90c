"""Every word the kiosk says, Vietnamese first and English second, and the number formats.

Messages are kept as (vi, en) pairs until the moment a screen is drawn, so one tap on the language
button re-draws whatever is on screen — an error included — in the other language.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Text:
    vi: str
    en: str

    def __post_init__(self) -> None:
        # Stored NFC (DESIGN rule 7): a decomposed accent can render as a separate floating mark.
        object.__setattr__(self, "vi", unicodedata.normalize("NFC", self.vi))
        object.__setattr__(self, "en", unicodedata.normalize("NFC", self.en))

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi

    def __add__(self, other: "Text") -> "Text":
        return Text(f"{self.vi} {other.vi}", f"{self.en} {other.en}")


def pick(vi: str | None, en: str | None, lang: str) -> str:
    """A field the backend sends in both languages (service names, BHXH messages)."""
    if lang == "en" and en:
        return en
    return vi or en or ""


def vnd(amount: int | None) -> str:
    """39000 → "39.000 đ": Vietnamese groups thousands with dots; the same on both languages."""
    if amount is None:
        return ""
    return f"{int(amount):,}".replace(",", ".") + " đ"


def wait_text(minutes: int | None, lang: str) -> str:
    if minutes is None:
        return ""
    if minutes <= 0:
        return S["wait_none"].get(lang)
    if lang == "en":
        return f"about {minutes} min"
    return f"khoảng {minutes} phút"


def short_wait(minutes: int | None, lang: str) -> str:
    """For a clinic button: "15 phút" / "15 min"; nothing when there is no wait to speak of."""
    if not minutes:
        return ""
    return f"{minutes} min" if lang == "en" else f"{minutes} phút"


def people_text(count: int | None, lang: str) -> str:
    if count is None:
        return ""
    if lang == "en":
        return "1 person" if count == 1 else f"{count} people"
    return f"{count} người"


def pay_later_text(amount: int | None) -> Text:
    return Text(f"Phí khám {vnd(amount)}: thanh toán tại quầy thu ngân, hoặc quét mã trên vé bằng điện thoại.",
                f"Consultation fee {vnd(amount)}: pay at the cashier, or scan the ticket's code with your phone.")


def where_to_pay(invoice: dict) -> Text:
    """Where the cashier is, as the hospital file says (invoice `cashier.where`), else generic."""
    where = ((invoice or {}).get("cashier") or {}).get("where") or {}
    if where.get("vi"):
        return Text(where["vi"], where.get("en") or where["vi"])
    return S["cashier_generic"]


def cashier_text(invoice: dict, timed_out: bool) -> Text:
    """The number is kept; the fee is paid at the cashier (after the patient chose it, or after the
    payment deadline when the hospital keeps numbers). The amount and the place are on the ticket
    screen's amber band and on paper (`ticket_due`), so this stays short enough to fit above them."""
    if timed_out:
        return Text("Đã hết thời gian thanh toán bằng mã QR. Số của bạn vẫn được giữ: vui lòng trả tiền "
                    "tại quầy thu ngân.",
                    "The time to pay by QR code has run out. Your number is kept: please pay at the "
                    "cashier.")
    return Text("Số của bạn vẫn được giữ. Vui lòng trả tiền tại quầy thu ngân trước khi vào khám.",
                "Your number is kept. Please pay at the cashier before your consultation.")


def timeout_cancelled_text(number: str) -> Text:
    return Text(f"Đã hết thời gian thanh toán nên số {number} đã bị huỷ. Bạn chưa bị trừ tiền cho lượt "
                f"này. Vui lòng lấy số lại, hoặc ra quầy thu ngân.",
                f"The time to pay has run out, so number {number} was cancelled. You have not been "
                f"charged for it. Please start again, or go to the cashier.")


def age_text(age: int | None, lang: str) -> str:
    if age is None:
        return ""
    return f"{age} years old" if lang == "en" else f"{age} tuổi"


# Screen texts. Written for an elderly first-time patient: short, what happened, what to do.
S: dict[str, Text] = {
    "hospital_default": Text("Bệnh viện", "Hospital"),
    "lang_toggle": Text("English", "Tiếng Việt"),
    "welcome_title": Text("Xin chào!", "Welcome!"),
    "welcome_start": Text("Chạm để bắt đầu", "Touch to start"),
    "welcome_scan": Text("hoặc quét mã QR trên thẻ CCCD / thẻ BHYT",
                         "or scan the QR code on your ID card / health insurance card"),
    "consent": Text("Khi bắt đầu, bạn đồng ý cho bệnh viện dùng thông tin trên thẻ để đăng ký khám "
                    "(Nghị định 13/2023).",
                    "By starting you agree that the hospital uses your card's details to register "
                    "your visit (Decree 13/2023)."),
    "consent_needed": Text("Đã đọc được thẻ. Vui lòng chạm nút bên dưới để đồng ý và tiếp tục.",
                           "Card read. Please touch the button below to agree and continue."),
    "consent_accept": Text("Tôi đồng ý – Tiếp tục", "I agree – Continue"),
    "scan_title": Text("Quét thẻ", "Scan your card"),
    "scan_prompt": Text("Đưa mã QR trên thẻ CCCD hoặc thẻ BHYT vào máy quét bên dưới",
                        "Hold the QR code of your ID card or health insurance card under the scanner"),
    "scan_manual": Text("Nhập số thẻ", "Type the card number"),
    "scan_no_papers": Text("Không có giấy tờ\n(tự trả tiền)", "No papers\n(pay yourself)"),
    "back": Text("Quay lại", "Back"),
    "home": Text("Về màn hình đầu", "Start again"),
    "manual_title": Text("Nhập thông tin thẻ", "Enter your card details"),
    "manual_cccd": Text("Thẻ CCCD", "ID card"),
    "manual_bhyt": Text("Thẻ BHYT", "Insurance card"),
    "manual_number": Text("Số thẻ", "Card number"),
    "manual_dob": Text("Ngày sinh (ngày/tháng/năm)", "Date of birth (day/month/year)"),
    "manual_name": Text("Họ và tên", "Full name"),
    "manual_submit": Text("Xong", "Done"),
    "manual_missing": Text("Vui lòng nhập đủ số thẻ, ngày sinh và họ tên.",
                           "Please enter the card number, date of birth and full name."),
    "busy_identify": Text("Đang kiểm tra thẻ…", "Checking your card…"),
    "busy_services": Text("Đang tải danh sách phòng khám…", "Loading the clinics…"),
    "busy_ticket": Text("Đang lấy số…", "Getting your number…"),
    "busy_payment": Text("Đang tạo mã thanh toán…", "Preparing the payment code…"),
    "busy_wait": Text("Vui lòng chờ trong giây lát…", "Please wait a moment…"),
    "choose_title": Text("Chọn nơi khám", "Choose where to go"),
    "walk_in": Text("Khách không có giấy tờ – tự trả tiền", "Visitor without papers – pay yourself"),
    "open_visit": Text("Hôm nay bạn đã lấy số:", "You already have a number today:"),
    "open_visit_show": Text("Xem lại số", "Show it"),
    "waiting_count": Text("{n} người chờ", "{n} waiting"),
    "closed_now": Text("Đang đóng cửa", "Closed now"),
    "no_services": Text("Hiện không có phòng khám nào nhận bệnh. Vui lòng ra quầy tiếp đón.",
                        "No clinic is taking patients now. Please go to the reception desk."),
    "confirm_title": Text("Xác nhận", "Confirm"),
    "coverage_bhyt": Text("Bảo hiểm y tế", "Health insurance"),
    "coverage_self": Text("Tự trả tiền", "Pay yourself"),
    "coverage_free": Text("Miễn phí", "Free"),
    "bhyt_needs_card": Text("Khám BHYT cần quét thẻ.", "An insurance visit needs your card scanned."),
    "priority_title": Text("Thuộc diện ưu tiên? (nhân viên sẽ kiểm tra)",
                           "Priority? (staff will check)"),
    "priority_auto": Text("Ưu tiên:", "Priority:"),
    "confirm_go": Text("Lấy số", "Get my number"),
    "payment_title": Text("Thanh toán bằng mã QR", "Pay by QR code"),
    "payment_amount": Text("Số tiền:", "Amount:"),
    "payment_scan": Text("Mở ứng dụng ngân hàng trên điện thoại và quét mã này.",
                         "Open your banking app on your phone and scan this code."),
    "payment_waiting": Text("Đang chờ xác nhận thanh toán…", "Waiting for the payment…"),
    "payment_vietqr": Text("Chuyển khoản (VietQR)", "Bank transfer (VietQR)"),
    "payment_vnpay": Text("VNPay", "VNPay"),
    "payment_cancel": Text("Huỷ", "Cancel"),
    "payment_cashier": Text("Trả tại quầy thu ngân", "Pay at the cashier"),
    "payment_timeout_title": Text("Hết thời gian thanh toán", "Time to pay has run out"),
    "cashier_generic": Text("Quầy thu ngân", "the cashier"),
    "method_cash": Text("Tiền mặt", "Cash"),
    "method_card": Text("Thẻ ngân hàng", "Bank card"),
    "receipt_description": Text("Phí khám", "Consultation fee"),
    "payment_left": Text("Còn {s} giây", "{s} seconds left"),
    "payment_timeout": Text("Đã hết thời gian thanh toán. Bạn chưa bị trừ tiền cho lượt này. "
                            "Vui lòng lấy số lại, hoặc ra quầy thu ngân.",
                            "The time to pay has run out. You have not been charged for this. "
                            "Please start again, or go to the cashier."),
    "payment_cancelled": Text("Đã huỷ thanh toán, số chưa được giữ. Nếu bạn đã chuyển tiền, "
                              "vui lòng ra quầy thu ngân.",
                              "Payment cancelled; no number was kept. If you already paid, "
                              "please go to the cashier."),
    "payment_at_cashier": Text("Vui lòng thanh toán tại quầy thu ngân trước khi vào khám.",
                               "Please pay at the cashier before your consultation."),
    "payment_unavailable": Text("Chưa thanh toán bằng mã QR được. Vui lòng thanh toán tại quầy thu ngân.",
                                "QR payment is not available. Please pay at the cashier."),
    "ticket_title": Text("Số thứ tự của bạn", "Your number"),
    "ticket_existing": Text("Số bạn đã lấy hôm nay", "The number you already have today"),
    "ticket_paid": Text("Đã thanh toán", "Paid"),
    "ticket_phone": Text("Quét mã để theo dõi lượt trên điện thoại",
                         "Scan to follow your turn on your phone"),
    "ticket_printing": Text("Đang in phiếu…", "Printing your ticket…"),
    "ticket_printed": Text("Vui lòng nhận phiếu ở khe máy in.", "Please take your ticket from the printer."),
    "ticket_done": Text("Xong", "Done"),
    "ticket_reprint": Text("In lại phiếu", "Print again"),
    "ticket_other_clinic": Text("Lấy số nơi khám khác", "Another clinic"),
    "ticket_due": Text("Cần trả:", "To pay:"),
    "busy_checkin": Text("Đang nhận lịch hẹn…", "Checking in your appointment…"),
    "busy_ticket_lookup": Text("Đang tìm số của bạn…", "Finding your number…"),
    "ticket_qr_unknown": Text("Không tìm thấy số của mã này. Vui lòng ra quầy tiếp đón.",
                              "No number was found for this code. Please go to the reception desk."),
    "ticket_not_active": Text("Số trên phiếu này đã xong hoặc đã huỷ. Nếu cần khám tiếp, vui lòng lấy số "
                              "mới hoặc ra quầy tiếp đón.",
                              "The number on this ticket is finished or cancelled. To be seen again, "
                              "please get a new number or go to the reception desk."),
    "printer_paper_out": Text("Máy in hết giấy — vé của bạn trên màn hình. Vui lòng chụp lại số "
                              "hoặc quét mã QR.",
                              "The printer is out of paper — your ticket is on the screen. Please "
                              "photograph the number or scan the QR code."),
    "printer_cover_open": Text("Nắp máy in đang mở — vé của bạn trên màn hình. Vui lòng chụp lại số "
                               "hoặc quét mã QR.",
                               "The printer cover is open — your ticket is on the screen. Please "
                               "photograph the number or scan the QR code."),
    "printer_offline": Text("Máy in không hoạt động — vé của bạn trên màn hình. Vui lòng chụp lại số "
                            "hoặc quét mã QR.",
                            "The printer is not working — your ticket is on the screen. Please "
                            "photograph the number or scan the QR code."),
    "printer_banner": Text("Máy in đang tạm hỏng: số thứ tự sẽ hiện trên màn hình để bạn chụp lại.",
                           "The printer is not working: your number will be shown on the screen "
                           "to photograph."),
    "offline_title": Text("Mất kết nối", "Connection lost"),
    "offline_body": Text("Máy đang mất kết nối với hệ thống bệnh viện. Máy tự thử lại, vui lòng chờ "
                         "hoặc ra quầy tiếp đón.",
                         "This kiosk cannot reach the hospital system. It keeps trying by itself; "
                         "please wait or go to the reception desk."),
    "offline_retrying": Text("Đang thử kết nối lại…", "Trying to reconnect…"),
    "out_of_service": Text("Máy tạm ngừng phục vụ. Vui lòng ra quầy tiếp đón.",
                           "This kiosk is out of service. Please go to the reception desk."),
    "error_title": Text("Xin lỗi", "Sorry"),
    "out_of_service_title": Text("Tạm ngừng phục vụ", "Out of service"),
    "retry": Text("Thử lại", "Try again"),
    "wait_none": Text("được gọi ngay", "called right away"),
    "self_pay_offer": Text("Tự trả tiền", "Pay myself"),
    "people_ahead": Text("Trước bạn:", "Ahead of you:"),
    "estimated_wait": Text("Thời gian chờ:", "Estimated wait:"),
}

# What the kiosk says for each backend problem code (API.md); the backend's own title is the
# fallback for a code this kiosk does not know yet.
PROBLEM_TEXT: dict[str, Text] = {
    "CARD_UNREADABLE": Text("Không đọc được thẻ. Vui lòng quét lại, giữ thẻ yên dưới máy quét.",
                            "The card could not be read. Please scan again and hold it still."),
    "CARD_EXPIRED": Text("Thẻ BHYT đã hết hạn. Bạn có thể chọn “Không có giấy tờ” để khám và tự trả tiền.",
                         "This insurance card has expired. You can choose “No papers” to see a doctor "
                         "and pay yourself."),
    "CARD_NOT_YET_VALID": Text("Thẻ BHYT chưa đến ngày sử dụng. Bạn có thể tự trả tiền hoặc ra quầy tiếp đón.",
                               "This insurance card cannot be used yet. You can pay yourself or go to "
                               "the reception desk."),
    "CARD_INVALID_NUMBER": Text("Số thẻ không đúng. Vui lòng kiểm tra lại số trên thẻ.",
                                "The card number is not correct. Please check it."),
    "CARD_INVALID_DATE": Text("Ngày tháng không đúng. Vui lòng kiểm tra lại.",
                              "A date is not correct. Please check it."),
    "CARD_NAME_INVALID": Text("Không đọc đúng họ tên trên thẻ. Vui lòng quét lại hoặc nhập số thẻ.",
                              "The name could not be read correctly. Please scan again or type the number."),
    "CARD_DOB_MISMATCH": Text("Số CCCD và năm sinh không khớp nhau. Vui lòng kiểm tra lại.",
                              "The ID number and the year of birth do not match. Please check them."),
    "CARD_UNKNOWN_TYPE": Text("Vui lòng chọn loại thẻ: CCCD hoặc BHYT.",
                              "Please choose the card type: ID card or insurance card."),
    "CARD_REQUIRED": Text("Khám BHYT cần quét thẻ CCCD hoặc thẻ BHYT trước.",
                          "An insurance visit needs your ID or insurance card scanned first."),
    "IDENTIFY_TOKEN_INVALID": Text("Đã quá thời gian. Vui lòng quét thẻ lại.",
                                   "That took too long. Please scan your card again."),
    "CONSENT_REQUIRED": Text("Cần bạn đồng ý trước khi quét thẻ.", "Your agreement is needed before scanning."),
    "BHYT_REFUSED": Text("Thẻ BHYT không dùng được cho lượt khám này. Bạn có thể tự trả tiền.",
                         "The insurance card cannot be used for this visit. You can pay yourself."),
    "VISIT_ALREADY_OPEN": Text("Hôm nay bạn đã có số cho nơi khám này.",
                               "You already have a number for this clinic today."),
    "VISIT_OPEN_SEE_RECEPTION": Text("Số giấy tờ bạn nhập đã có lượt khám hôm nay. Vui lòng quét thẻ, "
                                     "hoặc ra quầy tiếp đón để nhân viên giúp bạn.",
                                     "The ID number you typed already has a visit today. Please scan "
                                     "your card, or go to the reception desk; staff will help you."),
    "MANUAL_LOOKUP_LIMIT": Text("Máy này tạm không tra cứu thêm số nhập tay. Vui lòng quét thẻ, hoặc "
                                "ra quầy tiếp đón.",
                                "This kiosk cannot look up more typed numbers for now. Please scan "
                                "your card, or go to the reception desk."),
    "IDENTITY_NOT_VERIFIED": Text("Việc này cần quét thẻ CCCD hoặc BHYT của bạn tại máy.",
                                  "Please scan your ID or insurance card at the kiosk to do this."),
    "QUEUE_CLOSED": Text("Nơi khám này đã hết giờ nhận bệnh. Vui lòng chọn nơi khác hoặc ra quầy tiếp đón.",
                         "This clinic is closed now. Please choose another or go to the reception desk."),
    "SERVICE_NOT_FOUND": Text("Nơi khám này không còn nhận bệnh. Vui lòng chọn lại.",
                              "This clinic is no longer available. Please choose again."),
    "COVERAGE_NOT_ALLOWED": Text("Nơi khám này không nhận hình thức thanh toán đã chọn.",
                                 "This clinic does not accept that way of paying."),
    "RATE_LIMITED": Text("Hệ thống đang bận. Máy sẽ tự thử lại sau giây lát.",
                         "The system is busy. The kiosk will try again in a moment."),
    "UNAUTHORIZED": S["out_of_service"],
    "FORBIDDEN": S["out_of_service"],
    "CASHIER_NOT_OFFERED": Text("Bệnh viện chưa nhận trả tiền tại quầy cho lượt này. Vui lòng quét mã "
                                "để thanh toán.",
                                "The hospital does not take this payment at the cashier. Please scan "
                                "the code to pay."),
    "APPOINTMENT_NOT_FOUND": Text("Không tìm thấy lịch hẹn của mã này. Vui lòng ra quầy tiếp đón.",
                                  "No appointment was found for this code. Please go to the reception desk."),
    "APPOINTMENT_QR_INVALID": Text("Mã lịch hẹn không đúng. Vui lòng mở lại mã trong ứng dụng và quét lại.",
                                   "This appointment code is not valid. Please open it again in the app "
                                   "and scan again."),
    "APPOINTMENT_CANCELLED": Text("Lịch hẹn này đã bị huỷ. Bạn có thể lấy số khám như thường.",
                                  "This appointment was cancelled. You can get a number as usual."),
    "APPOINTMENT_TOO_EARLY": Text("Chưa đến giờ nhận lịch hẹn. Vui lòng quay lại từ {time}.",
                                  "It is too early to check in. Please come back from {time}."),
    "APPOINTMENT_EXPIRED": Text("Lịch hẹn này không phải hôm nay. Bạn có thể lấy số khám như thường.",
                                "This appointment is not for today. You can get a number as usual."),
    "INTERNAL_ERROR": Text("Có lỗi trong hệ thống. Vui lòng thử lại hoặc ra quầy tiếp đón.",
                           "Something went wrong. Please try again or go to the reception desk."),
}
GENERIC_PROBLEM = PROBLEM_TEXT["INTERNAL_ERROR"]

PRIORITY_TEXT: dict[str, Text] = {
    "pregnant": Text("Phụ nữ có thai", "Pregnant"),
    "severe_disability": Text("Khuyết tật nặng", "Severe disability"),
    "revolutionary_merit": Text("Người có công với cách mạng", "Revolutionary merit"),
}
DECLARABLE_PRIORITIES = tuple(PRIORITY_TEXT)

# On-screen keyboard for the name: base letters, Vietnamese letters, and the five tone marks,
# which are typed after the vowel and combined (NFC) — the way Vietnamese is written by hand.
TONE_MARKS = {"sắc": "\u0301", "huyền": "\u0300", "hỏi": "\u0309", "ngã": "\u0303", "nặng": "\u0323"}


def all_texts() -> list[str]:
    """Every fixed string (both languages): the font coverage test reads this."""
    out: list[str] = []
    for table in (S, PROBLEM_TEXT, PRIORITY_TEXT):
        for t in table.values():
            out += [t.vi, t.en]
    out += list(TONE_MARKS)
    return out
