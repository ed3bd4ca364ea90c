"""The hospital day: queues and numbering reset by the Vietnamese calendar date, not by UTC."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

HOSPITAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def hospital_day(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("naive datetime: times must carry an offset")
    return instant.astimezone(HOSPITAL_TZ).date()


def to_local(instant: datetime) -> datetime:
    return instant.astimezone(HOSPITAL_TZ)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def hospital_day_start(instant: datetime) -> datetime:
    """Midnight in the hospital at the start of `instant`'s hospital day, in UTC."""
    day = hospital_day(instant)
    return datetime(day.year, day.month, day.day, tzinfo=HOSPITAL_TZ).astimezone(timezone.utc)
