"""Appointment slots, the check-in window and proof of arrival. Pure: times are passed in.

A service that takes appointments splits its appointment hours into slots of `slot_min` minutes,
each with room for `capacity` patients. A booked patient who checks in from `early_check_in_min`
before the slot until `late_grace_min` after its start joins the queue with the appointment
priority; later the same day they join as a walk-in (the slot is gone, the visit is not).
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum

from .catalog import OpeningHours
from .errors import DomainError
from .hospital_time import HOSPITAL_TZ, hospital_day, to_local


@dataclass(frozen=True)
class SlotRule:
    service_code: str
    slot_min: int
    capacity: int
    hours: OpeningHours


@dataclass(frozen=True)
class Geofence:
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True)
class AppointmentPolicy:
    rules: dict[str, SlotRule] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    horizon_days: int = 30
    min_lead_min: int = 60
    early_check_in_min: int = 60
    late_grace_min: int = 15
    change_until_min: int = 60  # cancel or reschedule no later than this before the slot
    max_active_per_account: int = 5
    reminder_at: time = time(18, 0)  # the day-before reminder goes out from this local time
    notify_places_ahead: int = 3
    geofence: Geofence | None = None
    max_location_accuracy_m: float = 150.0

    def rule(self, service_code: str) -> SlotRule:
        try:
            return self.rules[service_code]
        except KeyError:
            raise DomainError("SERVICE_NOT_BOOKABLE", service=service_code) from None

    def validate(self, service_codes: set[str]) -> None:
        for code, rule in self.rules.items():
            if code not in service_codes:
                raise ValueError(f"appointments: unknown service {code}")
            if rule.slot_min < 5 or rule.capacity < 1:
                raise ValueError(f"appointments: service {code} needs slot_min >= 5 and capacity >= 1")


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, hospital time zone
    end: datetime


class DayState(str, Enum):
    OPEN = "open"
    HOLIDAY = "holiday"
    CLOSED = "closed"  # no appointment hours that weekday
    OUT_OF_RANGE = "out_of_range"  # in the past or beyond the booking horizon


def day_slots(rule: SlotRule, day: date) -> list[Slot]:
    """Every slot of the day from the rule's hours; a period's tail shorter than a slot is unused."""
    length = timedelta(minutes=rule.slot_min)
    slots: list[Slot] = []
    for start_t, end_t in rule.hours.periods.get(day.weekday(), ()):
        start = datetime.combine(day, start_t, HOSPITAL_TZ)
        end = datetime.combine(day, end_t, HOSPITAL_TZ)
        while start + length <= end:
            slots.append(Slot(start, start + length))
            start += length
    return slots


def day_state(policy: AppointmentPolicy, rule: SlotRule, day: date, today: date) -> DayState:
    if day < today or day > today + timedelta(days=policy.horizon_days):
        return DayState.OUT_OF_RANGE
    if day in policy.holidays:
        return DayState.HOLIDAY
    if not day_slots(rule, day):
        return DayState.CLOSED
    return DayState.OPEN


def bookable_slots(policy: AppointmentPolicy, rule: SlotRule, day: date, now: datetime) -> list[Slot]:
    if day_state(policy, rule, day, hospital_day(now)) is not DayState.OPEN:
        return []
    earliest = now + timedelta(minutes=policy.min_lead_min)
    return [s for s in day_slots(rule, day) if s.start >= earliest]


def find_slot(policy: AppointmentPolicy, service_code: str, start: datetime, now: datetime) -> Slot:
    """The bookable slot starting exactly at `start`, or SLOT_NOT_AVAILABLE."""
    if start.tzinfo is None:
        raise DomainError("VALIDATION_ERROR", field="start")
    rule = policy.rule(service_code)
    local = to_local(start)
    for slot in bookable_slots(policy, rule, local.date(), now):
        if slot.start == local:
            return slot
    raise DomainError("SLOT_NOT_AVAILABLE")


class Arrival(str, Enum):
    ON_TIME = "on_time"  # queue with the appointment priority
    LATE = "late"  # queue as a walk-in


def check_in_opens_at(slot_start: datetime, policy: AppointmentPolicy) -> datetime:
    return slot_start - timedelta(minutes=policy.early_check_in_min)


def arrival(slot_start: datetime, now: datetime, policy: AppointmentPolicy) -> Arrival:
    if now < check_in_opens_at(slot_start, policy):
        raise DomainError("APPOINTMENT_TOO_EARLY",
                          check_in_from=to_local(check_in_opens_at(slot_start, policy)).isoformat())
    if hospital_day(now) != hospital_day(slot_start):
        raise DomainError("APPOINTMENT_EXPIRED")
    if now <= slot_start + timedelta(minutes=policy.late_grace_min):
        return Arrival.ON_TIME
    return Arrival.LATE


def require_changeable(slot_start: datetime, now: datetime, policy: AppointmentPolicy) -> None:
    if now > slot_start - timedelta(minutes=policy.change_until_min):
        raise DomainError("APPOINTMENT_CHANGE_CLOSED")


class AppointmentStatus(str, Enum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    MISSED = "missed"  # shown, never stored: a booked slot whose day is over


def shown_status(stored: str, slot_start: datetime, now: datetime) -> AppointmentStatus:
    status = AppointmentStatus(stored)
    if status is AppointmentStatus.BOOKED and hospital_day(now) > hospital_day(slot_start):
        return AppointmentStatus.MISSED
    return status


# -- proof of arrival --------------------------------------------------------------------------

_EARTH_RADIUS_M = 6_371_000.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); metres are plenty precise at hospital scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(a))


def inside_geofence(policy: AppointmentPolicy, lat: float, lon: float, accuracy_m: float | None) -> bool:
    fence = policy.geofence
    if fence is None:
        raise DomainError("LOCATION_CHECK_IN_DISABLED")
    # A fix vaguer than the limit proves nothing; within it, the doubt goes to the patient.
    accuracy = 0.0 if accuracy_m is None else float(accuracy_m)
    if accuracy > policy.max_location_accuracy_m:
        return False
    return distance_m(fence.lat, fence.lon, lat, lon) <= fence.radius_m + accuracy


LOBBY_CODE_DIGITS = 8


def lobby_code(mac: str) -> str:
    """The day's lobby code from the server's MAC over the date: 8 digits, typeable, unguessable
    without the secret, different every day so a photo of yesterday's poster is useless."""
    digest = hashlib.sha256(mac.encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10 ** LOBBY_CODE_DIGITS:0{LOBBY_CODE_DIGITS}d}"


_LOBBY_IN_TEXT = re.compile(r"(?:^|[?&=/.])([0-9]{8})$")


def lobby_code_from_text(text: str) -> str | None:
    """Accepts the typed code or the poster QR's text (`…/checkin?lobby=12345678`)."""
    cleaned = text.strip().replace(" ", "")
    if re.fullmatch(r"[0-9]{8}", cleaned):
        return cleaned
    match = _LOBBY_IN_TEXT.search(cleaned)
    return match.group(1) if match else None


QR_PREFIX = "TDA1"


def appointment_qr(appointment_id: str, mac: str) -> str:
    """What the appointment QR holds: a version tag, the id and a MAC over it (never personal data)."""
    return f"{QR_PREFIX}.{appointment_id}.{mac}"


def parse_appointment_qr(text: str) -> tuple[str, str]:
    parts = (text or "").strip().split(".")
    # ASCII only: the MAC is compared in constant time, which Python allows for ASCII text alone.
    if len(parts) != 3 or parts[0] != QR_PREFIX or not parts[1] or not parts[2] or not text.isascii():
        raise DomainError("APPOINTMENT_QR_INVALID")
    return parts[1], parts[2]
