"""Ticket states and the only transitions the queue model allows (DESIGN.md, Queue model)."""
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from .errors import DomainError
from .priority import PriorityClass, is_declared


class TicketStatus(str, Enum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class Action(str, Enum):
    CALL = "call"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    SKIP = "skip"
    REQUEUE = "requeue"
    CANCEL = "cancel"
    TRANSFER = "transfer"


S = TicketStatus
_ALLOWED: dict[Action, tuple[frozenset[TicketStatus], TicketStatus]] = {
    Action.CALL: (frozenset({S.WAITING}), S.CALLED),
    Action.RECALL: (frozenset({S.CALLED}), S.CALLED),
    Action.START: (frozenset({S.CALLED}), S.SERVING),
    # A counter clerk often finishes straight after the call, without a separate "start".
    Action.FINISH: (frozenset({S.CALLED, S.SERVING}), S.DONE),
    Action.SKIP: (frozenset({S.CALLED}), S.SKIPPED),
    Action.REQUEUE: (frozenset({S.SKIPPED}), S.WAITING),
    Action.CANCEL: (frozenset({S.WAITING, S.CALLED, S.SERVING, S.SKIPPED}), S.CANCELLED),
    # The doctor sends the patient on while still with them, or after finishing.
    Action.TRANSFER: (frozenset({S.SERVING, S.DONE}), S.DONE),
}

OPEN_STATES = frozenset({S.WAITING, S.CALLED, S.SERVING, S.SKIPPED})


def next_status(current: TicketStatus, action: Action) -> TicketStatus:
    allowed, target = _ALLOWED[action]
    if current not in allowed:
        raise DomainError("INVALID_TRANSITION", status=current.value, action=action.value)
    return target


def check_requeue(requeue_count: int, limit: int) -> None:
    if requeue_count >= limit:
        raise DomainError("REQUEUE_LIMIT", limit=limit)


@dataclass(frozen=True)
class Ticket:
    id: str
    visit_id: str
    service_code: str
    day: date
    number: int
    display_number: str
    status: TicketStatus
    coverage: str
    priority: PriorityClass | None
    rank: int
    queue_key: float
    issued_at: datetime
    estimated_wait_min: int
    people_ahead_at_issue: int
    service_point: str | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    recall_count: int = 0
    requeue_count: int = 0
    transferred_from: str | None = None
    payment_required: bool = False
    paid: bool = True
    priority_confirmed: bool = True  # False: a reason the patient declared, not yet confirmed by staff

    @property
    def priority_declared(self) -> bool:
        return is_declared(self.priority, self.priority_confirmed)
