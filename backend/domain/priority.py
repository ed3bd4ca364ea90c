"""Legal priority classes (Luật Khám bệnh, chữa bệnh 2023, Art. 3(2)) and the call order.

Order rule: emergencies always first. Every other legal priority class is served as if it had
arrived `boost_min` minutes earlier. That is the aging rule: an ordinary patient who has already
waited longer than the boost is ahead of a priority patient who just arrived, so nobody starves,
and the key never changes after issue, so positions stay stable and cheap to count.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from .errors import DomainError


class PriorityClass(str, Enum):
    EMERGENCY = "emergency"
    CHILD_UNDER_6 = "child_under_6"
    PREGNANT = "pregnant"
    SEVERE_DISABILITY = "severe_disability"
    ELDERLY_75 = "elderly_75"
    REVOLUTIONARY_MERIT = "revolutionary_merit"
    APPOINTMENT = "appointment"  # booked slot honoured within its time window


# Reasons a patient may declare at the kiosk; staff confirm them. Age-based ones come from the card.
DECLARABLE = (
    PriorityClass.PREGNANT,
    PriorityClass.SEVERE_DISABILITY,
    PriorityClass.REVOLUTIONARY_MERIT,
)
# What staff may set on a ticket: every legal reason. "appointment" is given by check-in only.
STAFF_SETTABLE = tuple(p for p in PriorityClass if p is not PriorityClass.APPOINTMENT)


def is_declared(priority: "PriorityClass | None", confirmed: bool) -> bool:
    """A reason the patient declared and staff have not confirmed yet. Age (from a verified birth
    date), emergency (staff only) and appointment (check-in) are never merely declared."""
    return priority in DECLARABLE and not confirmed


def ticket_priority(requested: "PriorityClass | None", verified: "PriorityClass | None",
                    by_staff: bool) -> tuple["PriorityClass | None", bool]:
    """(priority, confirmed) of a new ticket.

    `requested` is what the client sent; `verified` the age-based class from a verified birth date
    (the identification's card). Staff vouch for what they set. A self-service channel (kiosk,
    phone, appointment check-in) may only declare a DECLARABLE reason, which stays unconfirmed; a
    verified age outranks a declaration (same boost, and nobody needs to confirm it)."""
    if requested is PriorityClass.APPOINTMENT:
        raise DomainError("PRIORITY_NOT_DECLARABLE", field="priority_reason")
    if by_staff:
        return (requested or verified), True
    if requested is not None and requested not in DECLARABLE:
        raise DomainError("PRIORITY_NOT_DECLARABLE", field="priority_reason")
    if verified is not None:
        return verified, True
    if requested is not None:
        return requested, False
    return None, True


@dataclass(frozen=True)
class QueuePlace:
    """Sort key inside a queue: smaller is called first."""

    rank: int  # 0 emergency, 1 everyone else
    key: float  # seconds since epoch, shifted earlier by the priority boost

    def as_tuple(self) -> tuple[int, float]:
        return (self.rank, self.key)


def queue_place(arrived_at: datetime, priority: PriorityClass | None, boost_min: int) -> QueuePlace:
    if priority is PriorityClass.EMERGENCY:
        return QueuePlace(0, arrived_at.timestamp())
    boost = timedelta(minutes=boost_min) if priority is not None else timedelta(0)
    return QueuePlace(1, (arrived_at - boost).timestamp())


def arrival_of(place: QueuePlace, priority: PriorityClass | None, boost_min: int) -> float:
    """The arrival instant (epoch seconds) a queue place was computed from: the inverse of
    queue_place. A requeued ticket's arrival is its requeue time, which this keeps."""
    if priority is None or priority is PriorityClass.EMERGENCY:
        return place.key
    return place.key + boost_min * 60


def replace_priority(place: QueuePlace, old: PriorityClass | None, new: PriorityClass | None,
                     boost_min: int) -> QueuePlace:
    """The place a ticket takes when staff change its priority: same arrival, the new class."""
    arrived = arrival_of(place, old, boost_min)
    if new is PriorityClass.EMERGENCY:
        return QueuePlace(0, arrived)
    return QueuePlace(1, arrived - (boost_min * 60 if new is not None else 0))


def age_on(dob: date, day: date) -> int:
    years = day.year - dob.year
    if (day.month, day.day) < (dob.month, dob.day):
        years -= 1
    return years


def priority_from_age(dob: date | None, day: date) -> PriorityClass | None:
    if dob is None:
        return None
    age = age_on(dob, day)
    if age < 6:
        return PriorityClass.CHILD_UNDER_6
    if age >= 75:
        return PriorityClass.ELDERLY_75
    return None


def priority_from_years(age: int) -> PriorityClass | None:
    if age < 6:
        return PriorityClass.CHILD_UNDER_6
    if age >= 75:
        return PriorityClass.ELDERLY_75
    return None


def parse_priority(value: str | None) -> PriorityClass | None:
    if value in (None, ""):
        return None
    try:
        return PriorityClass(value)
    except ValueError:
        raise DomainError("VALIDATION_ERROR", field="priority_reason") from None
