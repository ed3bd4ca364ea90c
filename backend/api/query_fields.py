"""Query-string fields that more than one route reads: a period given as plain dates or datetimes.

A plain date is the hospital's local calendar day (Asia/Ho_Chi_Minh): as the start of a period it
means that day's 00:00, as the end the whole day included (the next day's 00:00, exclusive). A
datetime without an offset is the hospital's local time; one with an offset (or Z) is that instant.
Whatever cannot be read, or lies outside what a timestamp can hold, is a ValidationError (422
VALIDATION_ERROR with both words), never an exception the error map would turn into a 500."""
import re
from datetime import date, datetime, time, timedelta, timezone

from marshmallow import ValidationError, fields

from ..domain.hospital_time import HOSPITAL_TZ
from ..messages import pair

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")
# Far enough from datetime's limits that converting between time zones cannot overflow.
_EARLIEST, _LATEST = date(1900, 1, 1), date(9000, 12, 31)


def _words(key: str) -> str:
    t = pair(key)
    return f"{t.vi} / {t.en}"


class DayOrDateTime(fields.Field):
    """An aware UTC datetime from `YYYY-MM-DD` or an ISO 8601 datetime (see the module docstring).

    ``end=True``: a plain date means the end of that day (exclusive bound of the next day's start)."""

    def __init__(self, *, end: bool = False, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("description", "YYYY-MM-DD (hospital-local day"
                            + (", inclusive)" if end else ")") + " or ISO 8601 datetime "
                            "(hospital-local time without an offset)")
        super().__init__(metadata={"type": "string", **metadata}, **kwargs)
        self.end = end

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(_words("field.day_or_datetime"))
        text = value.strip()
        try:
            if _DAY.fullmatch(text):
                day = date.fromisoformat(text)
                self._in_range(day)
                start = datetime.combine(day + timedelta(days=1 if self.end else 0), time(), HOSPITAL_TZ)
                return start.astimezone(timezone.utc)
            if _DATETIME.fullmatch(text):
                instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
                self._in_range(instant.date())
                if instant.tzinfo is None:
                    instant = instant.replace(tzinfo=HOSPITAL_TZ)
                return instant.astimezone(timezone.utc)
        except (ValueError, OverflowError):
            pass
        raise ValidationError(_words("field.day_or_datetime"))

    @staticmethod
    def _in_range(day: date) -> None:
        if not _EARLIEST <= day <= _LATEST:
            raise ValueError("out of range")


def check_period(start: datetime, end: datetime, end_field: str) -> None:
    """The end of a period must come after its start (422 on the end field otherwise)."""
    if end <= start:
        raise ValidationError(_words("field.range_order"), end_field)
