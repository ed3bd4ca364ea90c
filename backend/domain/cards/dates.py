"""Dates as printed on cards, and the person's birth date (which BHYT sometimes knows only by year)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

# Nobody alive was born earlier; a date outside this window is a mis-scan, not a patient.
MAX_AGE_YEARS = 130
# Card administrative dates (issue, validity, 5-year date) outside this window are mis-scans.
EARLIEST_CARD_DATE = date(1900, 1, 1)
LATEST_CARD_DATE = date(2199, 12, 31)

_COMPACT = re.compile(r"(\d{2})(\d{2})(\d{4})", re.ASCII)
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_YEAR = re.compile(r"\d{4}", re.ASCII)


@dataclass(frozen=True)
class BirthDate:
    """A date of birth; ``month`` and ``day`` are both None when only the year is known.

    Constructing an impossible value raises ValueError: parsers never do that, they check first.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if (self.month is None) != (self.day is None):
            raise ValueError("month and day are either both known or both unknown")
        if self.month is None:
            if not 1 <= self.year <= 9999:
                raise ValueError("year out of range")
        else:
            date(self.year, self.month, self.day)  # raises ValueError when impossible

    @classmethod
    def of(cls, value: date) -> BirthDate:
        return cls(value.year, value.month, value.day)

    @property
    def is_year_only(self) -> bool:
        return self.month is None

    def as_date(self) -> date | None:
        if self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)

    def to_bhxh_text(self) -> str:
        """The gateway's ``ngaySinh``: ``dd/mm/yyyy``, or ``yyyy`` when only the year is known."""
        if self.month is None:
            return f"{self.year:04d}"
        return f"{self.day:02d}/{self.month:02d}/{self.year:04d}"

    def __str__(self) -> str:
        return self.to_bhxh_text()

    def is_plausible_on(self, today: date) -> bool:
        """Not in the future and not older than anyone alive."""
        if self.year < today.year - MAX_AGE_YEARS:
            return False
        full = self.as_date()
        return self.year <= today.year if full is None else full <= today


def age_on(dob: BirthDate | date | int, day: date) -> int:
    """Completed years of age on ``day``.

    ``dob`` may be a ``BirthDate``, a ``date`` or a bare year. When only the year is known the age is
    ``day.year - year``: the age the person reaches during that calendar year, which is how Vietnamese
    records count age when the birthday is unknown (and errs towards the priority for people ≥ 75).
    """
    if isinstance(day, datetime):
        day = day.date()
    if isinstance(dob, datetime):
        dob = dob.date()
    if isinstance(dob, int):
        return day.year - dob
    if isinstance(dob, BirthDate):
        full = dob.as_date()
        if full is None:
            return day.year - dob.year
        dob = full
    had_birthday = (day.month, day.day) >= (dob.month, dob.day)
    return day.year - dob.year - (0 if had_birthday else 1)


def _make_date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_compact_date(text: str) -> date | None:
    """CCCD style ``ddmmyyyy``."""
    match = _COMPACT.fullmatch(text)
    return _make_date(match[3], match[2], match[1]) if match else None


def parse_slashed_date(text: str) -> date | None:
    """BHYT style ``dd/mm/yyyy``."""
    match = _SLASHED.fullmatch(text)
    return _make_date(match[3], match[2], match[1]) if match else None


def parse_card_date(text: str) -> date | None:
    """A BHYT administrative date, also checked against the plausible window."""
    value = parse_slashed_date(text)
    if value is None or not EARLIEST_CARD_DATE <= value <= LATEST_CARD_DATE:
        return None
    return value


def parse_birth_text(text: str, *, allow_year_only: bool) -> BirthDate | None:
    """``dd/mm/yyyy``, ``ddmmyyyy``, ``yyyy-mm-dd`` or (when allowed) ``yyyy``."""
    text = text.strip()
    if allow_year_only and _YEAR.fullmatch(text):
        year = int(text)
        return BirthDate(year) if year >= 1 else None
    match = _ISO.fullmatch(text)
    value = (
        _make_date(match[1], match[2], match[3])
        if match
        else parse_slashed_date(text) or parse_compact_date(text)
    )
    return BirthDate.of(value) if value else None


def as_plain_date(today: date) -> date:
    # A datetime is a date subclass but refuses to compare with plain dates: accept both.
    return today.date() if isinstance(today, datetime) else today
