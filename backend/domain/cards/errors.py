"""Reason codes for a card that cannot be used, with the words the kiosk shows for each.

Parsers never raise for bad input: they return a ``ParseResult`` carrying one of these codes
(see ``backend.domain.cards.model.ParseResult``). The codes are stable API strings
(``CARD_EXPIRED`` …) because the REST layer returns them verbatim as problem ``code``.
"""

from __future__ import annotations

from enum import Enum


class CardErrorCode(str, Enum):
    # Garbled, truncated, mis-scanned or of a format we do not know. Also a CCCD whose number
    # contradicts its own gender or birth year: that is almost always a mis-scan.
    CARD_UNREADABLE = "CARD_UNREADABLE"
    CARD_EXPIRED = "CARD_EXPIRED"
    CARD_NOT_YET_VALID = "CARD_NOT_YET_VALID"
    CARD_INVALID_NUMBER = "CARD_INVALID_NUMBER"
    CARD_INVALID_DATE = "CARD_INVALID_DATE"
    # Not plausible Vietnamese: typically a keyboard-wedge scanner that mangled the diacritics.
    CARD_NAME_INVALID = "CARD_NAME_INVALID"
    # Manual entry only: the typed CCCD number encodes another birth year than the typed date.
    CARD_DOB_MISMATCH = "CARD_DOB_MISMATCH"
    # Manual entry only: id_type is neither "cccd" nor "bhyt".
    CARD_UNKNOWN_TYPE = "CARD_UNKNOWN_TYPE"

    @property
    def message_vi(self) -> str:
        return _MESSAGES[self][0]

    @property
    def message_en(self) -> str:
        return _MESSAGES[self][1]


# Written for an elderly first-time user standing at a kiosk: what happened, what to do next.
_MESSAGES: dict[CardErrorCode, tuple[str, str]] = {
    CardErrorCode.CARD_UNREADABLE: (
        "Không đọc được thẻ. Vui lòng quét lại, giữ thẻ yên trước máy quét.",
        "The card could not be read. Please scan it again and hold it still in front of the scanner.",
    ),
    CardErrorCode.CARD_EXPIRED: (
        "Thẻ BHYT đã hết hạn. Bạn vẫn có thể khám và tự trả tiền, hoặc ra quầy tiếp đón.",
        "This health insurance card has expired. You can still see a doctor and pay yourself, "
        "or go to the reception desk.",
    ),
    CardErrorCode.CARD_NOT_YET_VALID: (
        "Thẻ BHYT chưa đến ngày sử dụng. Bạn có thể tự trả tiền, hoặc ra quầy tiếp đón.",
        "This health insurance card cannot be used yet. You can pay yourself, or go to the reception desk.",
    ),
    CardErrorCode.CARD_INVALID_NUMBER: (
        "Số thẻ không đúng. Vui lòng kiểm tra lại số trên thẻ.",
        "The card number is not correct. Please check the number on your card.",
    ),
    CardErrorCode.CARD_INVALID_DATE: (
        "Ngày tháng trên thẻ không đúng. Vui lòng kiểm tra lại hoặc ra quầy tiếp đón.",
        "A date on the card is not correct. Please check it or go to the reception desk.",
    ),
    CardErrorCode.CARD_NAME_INVALID: (
        "Không đọc đúng được họ tên trên thẻ. Vui lòng quét lại hoặc ra quầy tiếp đón.",
        "The name on the card could not be read correctly. Please scan again or go to the reception desk.",
    ),
    CardErrorCode.CARD_DOB_MISMATCH: (
        "Số CCCD và năm sinh không khớp nhau. Vui lòng kiểm tra lại.",
        "The ID card number and the year of birth do not match. Please check them again.",
    ),
    CardErrorCode.CARD_UNKNOWN_TYPE: (
        "Vui lòng chọn loại thẻ: CCCD hoặc thẻ BHYT.",
        "Please choose the card type: citizen ID card or health insurance card.",
    ),
}
