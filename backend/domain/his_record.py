"""What a check-in tells the hospital information system (HIS), and its QĐ 130 XML0 form.

A `VisitRegistration` is the HIS-facing snapshot of one visit, taken when the patient checks in.
Every HIS adapter (FHIR, XML0 files, vendor REST) starts from it, so the rules about formats live
here once: `xml0_fields()` turns it into the XML0 "visit started" record of QĐ 130/QĐ-BYT (2023) as
amended by QĐ 4750/QĐ-BYT, and `registration_from_xml0_fields()` reads such a record back.

Pure standard library: no framework, no I/O. Error messages name the offending field, never its
value, because they end up in logs and the values are personal data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from .hospital_time import HOSPITAL_TZ

Gender = Literal["male", "female", "unknown"]
GENDERS: tuple[str, ...] = ("male", "female", "unknown")

# QĐ 130 codes GIOI_TINH as 1 male, 2 female, 3 unknown.
_GENDER_TO_XML0 = {"male": "1", "female": "2", "unknown": "3"}
_XML0_TO_GENDER = {code: gender for gender, code in _GENDER_TO_XML0.items()}

MA_LOAI_KCB_OUTPATIENT_EXAM = "01"
MA_LK_MAX_LENGTH = 100  # QĐ 130 column width for MA_LK
MA_DKBD_LENGTH = 5
BHYT_CODE_SEPARATOR = ";"

# Every XML0 field, in the order of the Ministry's table. Serialisers iterate this tuple, so a field
# added here appears in every output without touching them.
XML0_FIELDS: tuple[str, ...] = (
    "MA_LK",
    "STT",
    "MA_BN",
    "HO_TEN",
    "SO_CCCD",
    "NGAY_SINH",
    "GIOI_TINH",
    "MA_THE_BHYT",
    "MA_DKBD",
    "GT_THE_TU",
    "GT_THE_DEN",
    "MA_DOITUONG_KCB",
    "NGAY_VAO",
    "NGAY_VAO_NOI_TRU",
    "LY_DO_VNT",
    "MA_LY_DO_VNT",
    "MA_LOAI_KCB",
    "MA_CSKCB",
    "MA_DICH_VU",
    "TEN_DICH_VU",
    "MA_THUOC",
    "TEN_THUOC",
    "MA_VAT_TU",
    "TEN_VAT_TU",
    "NGAY_YL",
    "DU_PHONG",
)

# Fields that describe later stages of the visit (admission, first order, first drug or supply).
# At check-in they are unknown, and XML0 wants them present but empty.
XML0_FIELDS_UNKNOWN_AT_CHECK_IN: frozenset[str] = frozenset(
    {
        "NGAY_VAO_NOI_TRU",
        "LY_DO_VNT",
        "MA_LY_DO_VNT",
        "MA_THUOC",
        "TEN_THUOC",
        "MA_VAT_TU",
        "TEN_VAT_TU",
        "NGAY_YL",
        "DU_PHONG",
    }
)

_NO_TIME_OF_BIRTH = "0000"
_UNKNOWN_MONTH_DAY = "0000"


class InvalidVisitRegistration(ValueError):
    """A registration that no HIS would accept. `field_name` says which field; the value is never echoed."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field_name = field_name
        self.problem = problem


def _nfc(text: str) -> str:
    # Vietnamese text arrives from QR codes and keyboards in both composed and decomposed forms;
    # the project stores NFC so that equal names compare equal.
    return unicodedata.normalize("NFC", text).strip()


def _required_text(field_name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidVisitRegistration(field_name, "must be a string")
    text = _nfc(value)
    if not text:
        raise InvalidVisitRegistration(field_name, "must not be empty")
    return text


def _optional_text(field_name: str, value: object) -> str | None:
    if value is None:
        return None
    text = _required_text(field_name, value)
    return text


_CARD_CODE_PATTERN = re.compile(r"^[A-Z0-9]+$")


def _normalise_bhyt_codes(codes: Iterable[str]) -> tuple[str, ...]:
    if isinstance(codes, str):
        # A bare string would be iterated character by character; almost certainly a caller bug.
        raise InvalidVisitRegistration("bhyt_codes", "must be a sequence of card codes, not one string")
    normalised: list[str] = []
    for code in codes:
        text = _required_text("bhyt_codes", code).upper()
        if not _CARD_CODE_PATTERN.match(text):
            # Also rules out the ';' that joins several codes in MA_THE_BHYT.
            raise InvalidVisitRegistration("bhyt_codes", "card codes are letters and digits only")
        if text not in normalised:
            normalised.append(text)
    return tuple(normalised)


@dataclass(frozen=True, slots=True)
class VisitRegistration:
    """One check-in as the HIS must receive it.

    `bhyt_codes[0]` is the card presented at check-in; `ma_dkbd` and the card validity dates belong
    to it. When `dob_year_only` is true only `dob.year` is known (old cards print a year only) and
    `dob` is normalised to 1 January of that year so equal registrations compare equal.
    """

    visit_id: str  # → MA_LK, unique per visit, also the HIS idempotency key
    seq: int  # → STT
    patient_id: str  # → MA_BN, the hospital's own patient code
    full_name: str  # → HO_TEN
    arrived_at: datetime  # → NGAY_VAO; must be timezone-aware
    hospital_code: str  # → MA_CSKCB
    service_code: str  # → MA_DICH_VU
    service_name: str  # → TEN_DICH_VU
    gender: Gender = "unknown"  # → GIOI_TINH
    cccd: str | None = None  # → SO_CCCD
    dob: date | None = None  # → NGAY_SINH
    dob_year_only: bool = False
    bhyt_codes: tuple[str, ...] = field(default=())  # → MA_THE_BHYT; lists are accepted and frozen
    ma_dkbd: str | None = None  # → MA_DKBD, registered primary-care facility of the card
    card_valid_from: date | None = None  # → GT_THE_TU
    card_valid_to: date | None = None  # → GT_THE_DEN
    ma_doituong_kcb: str | None = None  # → MA_DOITUONG_KCB
    ma_loai_kcb: str = MA_LOAI_KCB_OUTPATIENT_EXAM  # → MA_LOAI_KCB

    def __post_init__(self) -> None:
        # Frozen dataclass: normalised values are written back through object.__setattr__.
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        visit_id = _required_text("visit_id", self.visit_id)
        if len(visit_id) > MA_LK_MAX_LENGTH:
            raise InvalidVisitRegistration("visit_id", f"longer than {MA_LK_MAX_LENGTH} characters")
        put("visit_id", visit_id)

        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 1:
            raise InvalidVisitRegistration("seq", "must be a positive integer")

        for name in ("patient_id", "full_name", "hospital_code", "service_code", "service_name", "ma_loai_kcb"):
            put(name, _required_text(name, getattr(self, name)))
        for name in ("cccd", "ma_doituong_kcb"):
            put(name, _optional_text(name, getattr(self, name)))

        if not isinstance(self.arrived_at, datetime) or self.arrived_at.utcoffset() is None:
            raise InvalidVisitRegistration("arrived_at", "must be a timezone-aware datetime")

        if self.gender not in GENDERS:
            raise InvalidVisitRegistration("gender", f"must be one of {', '.join(GENDERS)}")

        if self.dob is not None:
            if isinstance(self.dob, datetime) or not isinstance(self.dob, date):
                raise InvalidVisitRegistration("dob", "must be a date")
            if self.dob_year_only:
                put("dob", date(self.dob.year, 1, 1))
        elif self.dob_year_only:
            raise InvalidVisitRegistration("dob_year_only", "set without a date of birth")

        codes = _normalise_bhyt_codes(self.bhyt_codes)
        put("bhyt_codes", codes)

        ma_dkbd = _optional_text("ma_dkbd", self.ma_dkbd)
        if ma_dkbd is not None and len(ma_dkbd) != MA_DKBD_LENGTH:
            raise InvalidVisitRegistration("ma_dkbd", f"must be {MA_DKBD_LENGTH} characters")
        put("ma_dkbd", ma_dkbd)

        for name in ("card_valid_from", "card_valid_to"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
                raise InvalidVisitRegistration(name, "must be a date")
        if not codes and (ma_dkbd or self.card_valid_from or self.card_valid_to):
            raise InvalidVisitRegistration("bhyt_codes", "card details given without a card code")
        if self.card_valid_from and self.card_valid_to and self.card_valid_from > self.card_valid_to:
            raise InvalidVisitRegistration("card_valid_to", "is before card_valid_from")

    @property
    def has_insurance_card(self) -> bool:
        return bool(self.bhyt_codes)

    @property
    def arrived_at_local(self) -> datetime:
        """Arrival in hospital time, which is what every Vietnamese record shows."""
        return self.arrived_at.astimezone(HOSPITAL_TZ)


# ---------------------------------------------------------------------------------------------
# XML0 field formats


def format_xml0_birth(dob: date | None, year_only: bool) -> str:
    """NGAY_SINH is yyyymmddHHMM; parts nobody knows are zeros (time of birth is never known here)."""
    if dob is None:
        return ""
    if year_only:
        return f"{dob.year:04d}{_UNKNOWN_MONTH_DAY}{_NO_TIME_OF_BIRTH}"
    return f"{dob:%Y%m%d}{_NO_TIME_OF_BIRTH}"


def format_xml0_date(value: date | None) -> str:
    return "" if value is None else f"{value:%Y%m%d}"


def format_xml0_datetime(value: datetime) -> str:
    return f"{value.astimezone(HOSPITAL_TZ):%Y%m%d%H%M}"


def xml0_fields(reg: VisitRegistration) -> dict[str, str]:
    """The XML0 record of a check-in: every field of `XML0_FIELDS`, in order, as text."""
    known = {
        "MA_LK": reg.visit_id,
        "STT": str(reg.seq),
        "MA_BN": reg.patient_id,
        "HO_TEN": reg.full_name,
        "SO_CCCD": reg.cccd or "",
        "NGAY_SINH": format_xml0_birth(reg.dob, reg.dob_year_only),
        "GIOI_TINH": _GENDER_TO_XML0[reg.gender],
        "MA_THE_BHYT": BHYT_CODE_SEPARATOR.join(reg.bhyt_codes),
        "MA_DKBD": reg.ma_dkbd or "",
        "GT_THE_TU": format_xml0_date(reg.card_valid_from),
        "GT_THE_DEN": format_xml0_date(reg.card_valid_to),
        "MA_DOITUONG_KCB": reg.ma_doituong_kcb or "",
        "NGAY_VAO": format_xml0_datetime(reg.arrived_at),
        "MA_LOAI_KCB": reg.ma_loai_kcb,
        "MA_CSKCB": reg.hospital_code,
        "MA_DICH_VU": reg.service_code,
        "TEN_DICH_VU": reg.service_name,
    }
    return {name: known.get(name, "") for name in XML0_FIELDS}


# ---------------------------------------------------------------------------------------------
# Reading an XML0 record back (vendor adapters that receive XML0, and round-trip tests)

_BIRTH_PATTERN = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$")
_DATE_PATTERN = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATETIME_PATTERN = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$")


def _parse_xml0_birth(text: str) -> tuple[date | None, bool]:
    if not text:
        return None, False
    match = _BIRTH_PATTERN.match(text)
    if not match:
        raise InvalidVisitRegistration("NGAY_SINH", "is not yyyymmddHHMM")
    year, month, day = (int(part) for part in match.groups()[:3])
    if month == 0 and day == 0:
        return date(year, 1, 1), True
    if month == 0 or day == 0:
        # Month known but day unknown cannot be represented without inventing a day.
        raise InvalidVisitRegistration("NGAY_SINH", "partial dates other than year-only are not supported")
    try:
        return date(year, month, day), False
    except ValueError:
        raise InvalidVisitRegistration("NGAY_SINH", "is not a calendar date") from None


def _parse_xml0_date(field_name: str, text: str) -> date | None:
    if not text:
        return None
    match = _DATE_PATTERN.match(text)
    if not match:
        raise InvalidVisitRegistration(field_name, "is not yyyymmdd")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise InvalidVisitRegistration(field_name, "is not a calendar date") from None


def _parse_xml0_datetime(field_name: str, text: str) -> datetime:
    match = _DATETIME_PATTERN.match(text)
    if not match:
        raise InvalidVisitRegistration(field_name, "is not yyyymmddHHMM")
    try:
        return datetime(*(int(part) for part in match.groups()), tzinfo=HOSPITAL_TZ)
    except ValueError:
        raise InvalidVisitRegistration(field_name, "is not a calendar date and time") from None


def _parse_seq(text: str) -> int:
    if not text.isdigit():
        raise InvalidVisitRegistration("STT", "is not a positive integer")
    return int(text)


def registration_from_xml0_fields(fields: Mapping[str, str]) -> VisitRegistration:
    """Inverse of `xml0_fields` for the check-in fields; later-stage fields are ignored."""

    def text(name: str) -> str:
        return (fields.get(name) or "").strip()

    gender_code = text("GIOI_TINH")
    if gender_code not in _XML0_TO_GENDER:
        raise InvalidVisitRegistration("GIOI_TINH", "must be 1, 2 or 3")
    dob, year_only = _parse_xml0_birth(text("NGAY_SINH"))
    codes = [code for code in text("MA_THE_BHYT").split(BHYT_CODE_SEPARATOR) if code.strip()]
    return VisitRegistration(
        visit_id=text("MA_LK"),
        seq=_parse_seq(text("STT")),
        patient_id=text("MA_BN"),
        full_name=text("HO_TEN"),
        cccd=text("SO_CCCD") or None,
        dob=dob,
        dob_year_only=year_only,
        gender=_XML0_TO_GENDER[gender_code],  # type: ignore[arg-type]
        bhyt_codes=tuple(codes),
        ma_dkbd=text("MA_DKBD") or None,
        card_valid_from=_parse_xml0_date("GT_THE_TU", text("GT_THE_TU")),
        card_valid_to=_parse_xml0_date("GT_THE_DEN", text("GT_THE_DEN")),
        ma_doituong_kcb=text("MA_DOITUONG_KCB") or None,
        arrived_at=_parse_xml0_datetime("NGAY_VAO", text("NGAY_VAO")),
        hospital_code=text("MA_CSKCB"),
        service_code=text("MA_DICH_VU"),
        service_name=text("TEN_DICH_VU"),
        ma_loai_kcb=text("MA_LOAI_KCB") or MA_LOAI_KCB_OUTPATIENT_EXAM,
    )
