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
    # Only a patient being served can be finished: a called patient who never came in is a
    # no-show (SKIP), never "done" (a service of 0 minutes, a phone saying "thank you").
    Action.FINISH: (frozenset({S.SERVING}), S.DONE),
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
        if current is S.CALLED and action in (Action.FINISH, Action.TRANSFER):
            # The common slip at a room: say what is missing, not just "not allowed".
            raise DomainError("NOT_BEING_SERVED", status=current.value, action=action.value)
        raise DomainError("INVALID_TRANSITION", status=current.value, action=action.value)
    return target


def requeue_allowed(ticket: "Ticket", limit: int) -> bool:
    """A no-show may go back in the queue while it has re-queues left (the undo staff are offered)."""
    return ticket.status is S.SKIPPED and ticket.requeue_count < limit


def closing_at_call_next(current: TicketStatus, no_show: bool) -> Action:
    """What "call next" does to the patient still at the point before calling the next one.

    Serving: they were seen, the clerk is done with them (FINISH). Called but never started: the
    patient may be walking in right now, so "next" alone refuses (CURRENT_NOT_SERVED, nothing
    changes); staff confirm with `no_show`, and the ticket is skipped (a no-show, which may be
    re-queued once) — never finished."""
    if current is S.SERVING:
        return Action.FINISH
    if current is S.CALLED:
        if not no_show:
            raise DomainError("CURRENT_NOT_SERVED")
        return Action.SKIP
    raise DomainError("INVALID_TRANSITION", status=current.value, action="call")


def transfer_source(current: TicketStatus, replaced: bool) -> Action | None:
    """What a transfer does to the ticket it sends on: a patient being served is finished first
    (FINISH); a finished one stays done (None). A called patient was never seen
    (NOT_BEING_SERVED); a ticket already sent on once keeps its one replacement, so the visit has
    one current ticket (ALREADY_TRANSFERRED)."""
    next_status(current, Action.TRANSFER)
    if replaced:
        raise DomainError("ALREADY_TRANSFERRED")
    return Action.FINISH if current is S.SERVING else None


def service_seconds(ticket: "Ticket", finished_at: datetime) -> float | None:
    """How long the service lasted: from its start. A ticket never started had no service."""
    if ticket.started_at is None:
        return None
    return (finished_at - ticket.started_at).total_seconds()


def follow_transfers(ticket: "Ticket", visit_tickets: "list[Ticket]") -> "tuple[Ticket | None, Ticket]":
    """(the ticket a transfer replaced `ticket` with or None, the visit's current ticket along
    this ticket's transfers: itself when never replaced). `visit_tickets`: the visit's tickets."""
    by_source = {t.transferred_from: t for t in sorted(visit_tickets, key=lambda t: t.issued_at)
                 if t.transferred_from}
    replaced_by = by_source.get(ticket.id)
    current, seen = ticket, {ticket.id}
    while current.id in by_source and by_source[current.id].id not in seen:
        current = by_source[current.id]
        seen.add(current.id)
    return replaced_by, current


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
