"""What the kiosk does with each BHXH card-check answer (``maKetQua``, specs/bhxh.md).

``interpret_check(code)`` turns a gateway result code into a ``BhytCheckResult``: a status the visit
stores (ok / flagged / refused / pending), a finer ``CheckOutcome`` for the kiosk flow, the words shown
to the patient (Vietnamese first, English second, plain enough for an elderly first-time user) and two
flags: ``staff_flag`` (reception must look at this visit) and ``alert_it`` (our configuration or code
is wrong — a patient cannot fix it). A code we do not know is treated as pending plus an IT alert:
never as OK and never as a refusal the patient would have to argue with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class CheckStatus(str, Enum):
    OK = "ok"
    FLAGGED = "flagged"  # BHYT accepted, staff must look at the papers
    REFUSED = "refused"  # BHYT cannot be used for this visit
    PENDING = "pending"  # not decided yet: the visit goes on, staff re-check later


class CheckOutcome(str, Enum):
    OK = "ok"
    OK_FLAG_STAFF = "ok_flag_staff"
    OK_NEW_CARD = "ok_new_card"
    REFUSE_BHYT_OFFER_SELF_PAY = "refuse_bhyt_offer_self_pay"
    REFUSE_BHYT = "refuse_bhyt"
    REFUSE_SEE_RECEPTION = "refuse_see_reception"
    CHILD_SEE_RECEPTION = "child_see_reception"
    CONFIG_ERROR_PENDING = "config_error_pending"
    RETRY_PENDING = "retry_pending"
    AUTH_ERROR_PENDING = "auth_error_pending"
    BUG_ALERT_IT = "bug_alert_it"
    UNKNOWN_CODE_PENDING = "unknown_code_pending"
    GATEWAY_UNAVAILABLE_PENDING = "gateway_unavailable_pending"


# Result "codes" that do not come from BHXH but describe why there is no answer.
UNAVAILABLE_CODE = "UNAVAILABLE"


@dataclass(frozen=True)
class BhytCheckResult:
    status: CheckStatus
    code: str  # maKetQua as received (or UNAVAILABLE_CODE)
    outcome: CheckOutcome
    message_vi: str
    message_en: str
    new_card_code: str | None = None  # maTheMoi for 003/004
    staff_flag: bool = False
    alert_it: bool = False
    ma_dkbd: str | None = None  # registered facility per BHXH; informs "đúng tuyến", the HIS prices
    # The holder's name and birth date as BHXH answered them (hoTen, ngaySinh): a typed number is
    # confirmed only when they equal what was typed (domain.assurance). Personal data: not in repr.
    holder_name: str | None = None
    holder_dob: str | None = None

    def __repr__(self) -> str:
        # new_card_code is a card number: keep it out of logs.
        return (
            f"BhytCheckResult(status={self.status.value}, code={self.code!r}, "
            f"outcome={self.outcome.value}, staff_flag={self.staff_flag}, alert_it={self.alert_it})"
        )


@dataclass(frozen=True)
class _Rule:
    outcome: CheckOutcome
    status: CheckStatus
    message_vi: str
    message_en: str
    staff_flag: bool = False
    alert_it: bool = False


_SELF_PAY_HINT_VI = "Bạn vẫn có thể khám và tự trả tiền, hoặc ra quầy tiếp đón để được giúp."
_SELF_PAY_HINT_EN = "You can still see a doctor and pay yourself, or go to the reception desk for help."
_PENDING_VI = (
    "Chưa kiểm tra được thẻ BHYT lúc này. Bạn vẫn được lấy số khám bình thường; "
    "nhân viên sẽ kiểm tra thẻ sau."
)
_PENDING_EN = (
    "We could not check your health insurance card just now. You still get your queue number; "
    "staff will check the card later."
)


def _refuse(reason_vi: str, reason_en: str) -> _Rule:
    # Unlike an expired card (010), the card itself is in doubt: send the patient to a person rather
    # than steering them to pay.
    return _Rule(
        CheckOutcome.REFUSE_BHYT,
        CheckStatus.REFUSED,
        f"{reason_vi} Lần khám này không dùng được thẻ BHYT. Vui lòng ra quầy tiếp đón nếu cần giúp.",
        f"{reason_en} It cannot be used for this visit. Please go to the reception desk if you need help.",
    )


def _see_reception(reason_vi: str, reason_en: str) -> _Rule:
    return _Rule(
        CheckOutcome.REFUSE_SEE_RECEPTION,
        CheckStatus.REFUSED,
        f"{reason_vi} Vui lòng ra quầy tiếp đón để nhân viên giúp bạn.",
        f"{reason_en} Please go to the reception desk; staff will help you.",
        staff_flag=True,
    )


def _pending(outcome: CheckOutcome, *, alert_it: bool) -> _Rule:
    return _Rule(outcome, CheckStatus.PENDING, _PENDING_VI, _PENDING_EN, staff_flag=True, alert_it=alert_it)


_OK = _Rule(
    CheckOutcome.OK,
    CheckStatus.OK,
    "Thẻ BHYT hợp lệ.",
    "Your health insurance card is valid.",
)
_OK_FLAG_STAFF = _Rule(
    CheckOutcome.OK_FLAG_STAFF,
    CheckStatus.FLAGGED,
    "Thẻ BHYT hợp lệ. Khi được gọi, vui lòng đưa thẻ và giấy tờ tùy thân cho nhân viên xem.",
    "Your health insurance card is valid. When you are called, please show your card and ID papers to the staff.",
    staff_flag=True,
)
_CARD_CODE_WRONG = _refuse("Mã thẻ BHYT không đúng.", "The health insurance card number is not correct.")
_REDUCED = _refuse(
    "Thẻ BHYT này đã bị báo giảm hoặc ngừng sử dụng.",
    "This health insurance card has been stopped or moved and cannot be used.",
)

RESULT_CODE_RULES: dict[str, _Rule] = {
    "000": _OK,
    "001": _OK_FLAG_STAFF,  # managed by BHXH of the Ministry of Defence
    "002": _OK_FLAG_STAFF,  # managed by BHXH of the Ministry of Public Security
    "003": _Rule(
        CheckOutcome.OK_NEW_CARD,
        CheckStatus.OK,
        "Thẻ cũ của bạn đã hết hạn nhưng bạn đã được cấp thẻ BHYT mới. Lần khám này dùng thẻ mới.",
        "Your old card has expired, but a new health insurance card has been issued. This visit uses the new card.",
    ),
    "004": _Rule(
        CheckOutcome.OK,
        CheckStatus.OK,
        "Thẻ BHYT hợp lệ. Bạn đã được cấp thẻ mới, lần sau hãy mang thẻ mới.",
        "Your health insurance card is valid. A new card has been issued for you; please bring it next time.",
    ),
    "010": _Rule(
        CheckOutcome.REFUSE_BHYT_OFFER_SELF_PAY,
        CheckStatus.REFUSED,
        f"Thẻ BHYT đã hết hạn. {_SELF_PAY_HINT_VI}",
        f"Your health insurance card has expired. {_SELF_PAY_HINT_EN}",
    ),
    "050": _refuse("Không tìm thấy thông tin thẻ BHYT này.", "No information was found for this health insurance card."),
    "051": _CARD_CODE_WRONG,
    "052": _CARD_CODE_WRONG,  # province code (characters 4–5)
    "053": _CARD_CODE_WRONG,  # benefit level (character 3)
    "054": _pending(CheckOutcome.CONFIG_ERROR_PENDING, alert_it=True),  # our duty staff CCCD not registered
    "055": _pending(CheckOutcome.CONFIG_ERROR_PENDING, alert_it=True),  # duty staff name ≠ their CCCD
    "060": _see_reception(
        "Họ tên không khớp với thông tin thẻ BHYT.", "The name does not match the health insurance card records."
    ),
    "061": _see_reception(
        "Họ tên không khớp với thông tin thẻ BHYT.", "The name does not match the health insurance card records."
    ),
    "070": _see_reception(
        "Ngày sinh không khớp với thông tin thẻ BHYT.",
        "The date of birth does not match the health insurance card records.",
    ),
    "100": _pending(CheckOutcome.RETRY_PENDING, alert_it=False),
    "101": _pending(CheckOutcome.RETRY_PENDING, alert_it=False),
    "110": _refuse("Thẻ BHYT này đã bị thu hồi.", "This health insurance card has been withdrawn."),
    "120": _REDUCED,
    "121": _REDUCED,
    "122": _REDUCED,
    "123": _REDUCED,
    "124": _REDUCED,
    "130": _Rule(
        CheckOutcome.CHILD_SEE_RECEPTION,
        CheckStatus.REFUSED,
        "Cháu chưa có thẻ BHYT. Vui lòng mang giấy khai sinh ra quầy tiếp đón để nhân viên giúp.",
        "This child has no health insurance card yet. Please take the birth certificate to the reception desk.",
        staff_flag=True,
    ),
    "205": _pending(CheckOutcome.BUG_ALERT_IT, alert_it=True),  # we sent a malformed request
    # 401 reaches this table only after the client already took a new token and retried once.
    "401": _pending(CheckOutcome.AUTH_ERROR_PENDING, alert_it=True),
}

_UNKNOWN = _pending(CheckOutcome.UNKNOWN_CODE_PENDING, alert_it=True)
_UNAVAILABLE = _pending(CheckOutcome.GATEWAY_UNAVAILABLE_PENDING, alert_it=False)


def normalise_result_code(raw: object) -> str:
    """``0`` or ``"0"`` → ``"000"``; anything else as stripped text ("" when missing)."""
    if raw is None:
        return ""
    text = str(raw).strip()
    if text.isascii() and text.isdigit() and len(text) < 3:
        return text.zfill(3)
    return text


def interpret_check(
    code: object, *, new_card_code: str | None = None, ma_dkbd: str | None = None,
    holder_name: str | None = None, holder_dob: str | None = None,
) -> BhytCheckResult:
    normalised = normalise_result_code(code)
    rule = RESULT_CODE_RULES.get(normalised, _UNKNOWN)
    new_card = (new_card_code or "").strip() or None
    staff_flag = rule.staff_flag
    status = rule.status
    if rule.outcome is CheckOutcome.OK_NEW_CARD and new_card is None:
        # "New card issued" without the new number: BHYT is fine, but staff must find the card.
        staff_flag = True
        status = CheckStatus.FLAGGED
    return BhytCheckResult(
        status=status,
        code=normalised,
        outcome=rule.outcome,
        message_vi=rule.message_vi,
        message_en=rule.message_en,
        new_card_code=new_card,
        staff_flag=staff_flag,
        alert_it=rule.alert_it,
        ma_dkbd=(ma_dkbd or "").strip() or None,
        holder_name=(holder_name or "").strip() or None,
        holder_dob=(holder_dob or "").strip() or None,
    )


def gateway_unavailable() -> BhytCheckResult:
    """What to store when the gateway did not answer (timeout, connection refused, 5xx)."""
    rule = _UNAVAILABLE
    return BhytCheckResult(
        status=rule.status,
        code=UNAVAILABLE_CODE,
        outcome=rule.outcome,
        message_vi=rule.message_vi,
        message_en=rule.message_en,
        staff_flag=True,
        alert_it=False,
    )
