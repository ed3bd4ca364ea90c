"""Typed cards and the parse result.

Invariant of a scanned card (``manual=False``): every field the QR must carry is present and valid —
a parse either yields such a card or an error code, never a half-filled patient. A manually entered
card (``manual=True``) carries only what the patient typed; the fields a QR would add stay None.

``repr`` of a card shows masked identifiers only, so a card that ends up in a log line or a traceback
does not leak personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Union

from backend.domain.cards.dates import BirthDate
from backend.domain.cards.errors import CardErrorCode
from backend.domain.masking import mask_id, mask_name


class Gender(str, Enum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"

    @property
    def label_vi(self) -> str:
        return {"male": "Nam", "female": "Nữ", "unknown": "Không rõ"}[self.value]

    @property
    def label_en(self) -> str:
        return {"male": "Male", "female": "Female", "unknown": "Unknown"}[self.value]

    @property
    def his_code(self) -> int:
        """XML0 ``GIOI_TINH``: 1 male, 2 female, 3 unknown."""
        return {"male": 1, "female": 2, "unknown": 3}[self.value]


class CardKind(str, Enum):
    CCCD = "cccd"
    BHYT = "bhyt"


class CardGeneration(str, Enum):
    """BHYT QR layout; decides which optional fields exist."""

    OLDEST_SHORT = "oldest_short"  # fields 0–8 only, then "$"
    CODE_15 = "code_15"  # 15-character card code, fields up to 13
    BHXH_NUMBER_10 = "bhxh_number_10"  # 10-digit BHXH number, up to the issuing place (field 15)
    UNKNOWN = "unknown"  # entered by hand: no QR was seen


@dataclass(frozen=True, repr=False)
class CccdCard:
    number: str  # 12 digits
    name: str  # NFC
    dob: BirthDate  # a full date when scanned
    gender: Gender  # MALE or FEMALE, agreeing with digit 4 of the number
    old_cmnd: str | None = None  # 9 (or 12) digits when the card carries it
    address: str | None = None  # permanent address: kept for the HIS, never printed
    issue_date: date | None = None  # None only when manual
    manual: bool = False

    kind = CardKind.CCCD

    @property
    def identifier(self) -> str:
        return self.number

    @property
    def birth_registration_code(self) -> str:
        """Digits 1–3: province of birth registration (first digit not 0: born abroad)."""
        return self.number[:3]

    def __repr__(self) -> str:
        return (
            f"CccdCard(number={mask_id(self.number)!r}, name={mask_name(self.name)!r}, "
            f"gender={self.gender.value}, manual={self.manual})"
        )


@dataclass(frozen=True, repr=False)
class BhytCard:
    card_code: str  # field 0 as printed: 15-character code or 10-digit BHXH number (BHXH's maThe)
    name: str  # hex-decoded, NFC
    dob: BirthDate  # BHYT may know only the year
    gender: Gender  # UNKNOWN only when manual
    generation: CardGeneration
    ma_dkbd: str | None = None  # 5 characters from "PP - FFF"; None only when manual
    valid_from: date | None = None  # None only when manual
    valid_to: date | None = None  # None = open-ended (or manual)
    issue_date: date | None = None  # None only when manual
    address: str | None = None  # hex-decoded; kept, never printed; newer cards carry "-"
    management_code: str | None = None  # field 9
    parent_name: str | None = None  # field 10, hex-decoded (children's cards)
    field11_code: str | None = None  # one digit (observed "4"); meaning not published
    five_year_date: date | None = None  # field 12: date of 5 continuous years of coverage
    check_string: str | None = None  # field 13, stored as is: the algorithm is not public
    field14_code: str | None = None  # newer cards: one digit; meaning not published
    issuing_place: str | None = None  # newer cards: field 15, hex-decoded
    manual: bool = False

    kind = CardKind.BHYT

    @property
    def identifier(self) -> str:
        return self.card_code

    @property
    def bhxh_number(self) -> str:
        """The lifelong 10-digit social-insurance number (last 10 characters of a 15-character code)."""
        return self.card_code[-10:]

    @property
    def beneficiary_group(self) -> str | None:
        return self.card_code[:2] if len(self.card_code) == 15 else None

    @property
    def benefit_level(self) -> int | None:
        return int(self.card_code[2]) if len(self.card_code) == 15 else None

    @property
    def province_code(self) -> str | None:
        return self.card_code[3:5] if len(self.card_code) == 15 else None

    @property
    def is_open_ended(self) -> bool:
        return not self.manual and self.valid_to is None

    def __repr__(self) -> str:
        return (
            f"BhytCard(card_code={mask_id(self.card_code)!r}, name={mask_name(self.name)!r}, "
            f"generation={self.generation.value}, manual={self.manual})"
        )


Card = Union[CccdCard, BhytCard]


@dataclass(frozen=True)
class ParseResult:
    """Exactly one of ``card`` and ``error_code`` is set."""

    card: Card | None
    error_code: CardErrorCode | None

    def __post_init__(self) -> None:
        if (self.card is None) == (self.error_code is None):
            raise ValueError("a ParseResult holds either a card or an error code")

    @classmethod
    def success(cls, card: Card) -> ParseResult:
        return cls(card, None)

    @classmethod
    def failure(cls, code: CardErrorCode) -> ParseResult:
        return cls(None, code)

    @property
    def ok(self) -> bool:
        return self.card is not None
