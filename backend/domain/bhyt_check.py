"""What the kiosk does with each BHXH card-check answer (``maKetQua``, specs/bhxh.md).

``interpret_check(code)`` turns a gateway result code into a ``BhytCheckResult``: a status the visit
stores (ok / flagged / refused / pending), a finer ``CheckOutcome`` for the kiosk flow, the key of the
words shown to the patient (``message``; the words, plain enough for an elderly first-time user, are
in backend/messages.py) and two flags: ``staff_flag`` (reception must look at this visit) and
``alert_it`` (our configuration or code is wrong — a patient cannot fix it). A code we do not know is treated as pending plus an IT alert:
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
    message: str  # key of the words shown to the patient (backend/messages.py)
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
    message: str  # key of the words in the message catalog (backend/messages.py, "bhyt.…")
    staff_flag: bool = False
    alert_it: bool = False


def _refuse(message: str) -> _Rule:
    # Unlike an expired card (010), the card itself is in doubt: send the patient to a person rather
    # than steering them to pay.
    return _Rule(CheckOutcome.REFUSE_BHYT, CheckStatus.REFUSED, message)


def _see_reception(message: str) -> _Rule:
    return _Rule(CheckOutcome.REFUSE_SEE_RECEPTION, CheckStatus.REFUSED, message, staff_flag=True)


def _pending(outcome: CheckOutcome, *, alert_it: bool) -> _Rule:
    return _Rule(outcome, CheckStatus.PENDING, "bhyt.pending", staff_flag=True, alert_it=alert_it)


_OK = _Rule(CheckOutcome.OK, CheckStatus.OK, "bhyt.ok")
_OK_FLAG_STAFF = _Rule(CheckOutcome.OK_FLAG_STAFF, CheckStatus.FLAGGED, "bhyt.ok_show_staff", staff_flag=True)
_CARD_CODE_WRONG = _refuse("bhyt.card_code_wrong")
_REDUCED = _refuse("bhyt.reduced")

RESULT_CODE_RULES: dict[str, _Rule] = {
    "000": _OK,
    "001": _OK_FLAG_STAFF,  # managed by BHXH of the Ministry of Defence
    "002": _OK_FLAG_STAFF,  # managed by BHXH of the Ministry of Public Security
    "003": _Rule(CheckOutcome.OK_NEW_CARD, CheckStatus.OK, "bhyt.new_card"),
    "004": _Rule(CheckOutcome.OK, CheckStatus.OK, "bhyt.new_card_issued"),
    "010": _Rule(CheckOutcome.REFUSE_BHYT_OFFER_SELF_PAY, CheckStatus.REFUSED, "bhyt.expired"),
    "050": _refuse("bhyt.not_found"),
    "051": _CARD_CODE_WRONG,
    "052": _CARD_CODE_WRONG,  # province code (characters 4–5)
    "053": _CARD_CODE_WRONG,  # benefit level (character 3)
    "054": _pending(CheckOutcome.CONFIG_ERROR_PENDING, alert_it=True),  # our duty staff CCCD not registered
    "055": _pending(CheckOutcome.CONFIG_ERROR_PENDING, alert_it=True),  # duty staff name ≠ their CCCD
    "060": _see_reception("bhyt.name_mismatch"),
    "061": _see_reception("bhyt.name_mismatch"),
    "070": _see_reception("bhyt.dob_mismatch"),
    "100": _pending(CheckOutcome.RETRY_PENDING, alert_it=False),
    "101": _pending(CheckOutcome.RETRY_PENDING, alert_it=False),
    "110": _refuse("bhyt.withdrawn"),
    "120": _REDUCED,
    "121": _REDUCED,
    "122": _REDUCED,
    "123": _REDUCED,
    "124": _REDUCED,
    "130": _Rule(CheckOutcome.CHILD_SEE_RECEPTION, CheckStatus.REFUSED, "bhyt.child_no_card", staff_flag=True),
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
        message=rule.message,
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
        message=rule.message,
        staff_flag=True,
        alert_it=False,
    )
