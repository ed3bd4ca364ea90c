"""Use cases at a service point: call the next patient and move a ticket through its states."""
from dataclasses import dataclass

from ..domain import actors
from ..domain.errors import DomainError
from ..domain.hospital_time import hospital_day
from ..domain.lanes import Lane
from ..domain.tickets import (
    OPEN_STATES,
    Action,
    Ticket,
    TicketStatus,
    check_requeue,
    closing_at_call_next,
    follow_transfers,
    next_status,
    service_seconds,
    transfer_source,
)
from ..domain.priority import PriorityClass, QueuePlace, queue_place, replace_priority
from ..domain.wait import updated_average
from .context import Deps
from .ports.uow import TicketChanges, UnitOfWork
from .queue_positions import average_service_s
from .tickets import IssueTicket, create_ticket_row


@dataclass(frozen=True)
class StaffScope:
    """Who acts, and their lane: the service points (None = every one) and the services those
    points serve (None = every service). Build it with StaffScope.of(deps, member)."""

    actor: str
    points: frozenset[str] | None
    services: frozenset[str] | None = None

    def __post_init__(self):
        if self.points is not None and self.services is None:
            raise ValueError("a point-bound scope needs its services: use StaffScope.of")

    @staticmethod
    def of(deps: Deps, member) -> "StaffScope":
        """`member`: services.auth.StaffMember."""
        lane = Lane.of_points(member.point_limit, deps.catalog)
        return StaffScope(actors.staff(member.id), lane.points, lane.services)

    @property
    def lane(self) -> Lane:
        return Lane(self.services, self.points)

    def require_point(self, point: str | None) -> None:
        self.lane.require_point(point)


def _record_service_time(uow: UnitOfWork, deps: Deps, ticket: Ticket, finished_at) -> None:
    seconds = service_seconds(ticket, finished_at)
    if seconds is None:
        return
    previous = average_service_s(uow, deps, ticket.service_code)
    uow.service_times.store(ticket.service_code, updated_average(previous, seconds))


def _finish_in_tx(uow: UnitOfWork, deps: Deps, ticket: Ticket, now, actor: str, action: str) -> Ticket:
    target = next_status(ticket.status, Action.FINISH)
    if not uow.tickets.compare_and_set(ticket.id, ticket.status,
                                       {"status": target.value, "finished_at": now}):
        raise DomainError("CONFLICT")
    uow.tickets.add_event(ticket.id, now, action, ticket.status.value, target.value, actor,
                          ticket.service_point)
    _record_service_time(uow, deps, ticket, now)
    return uow.tickets.get(ticket.id)


def _no_show_in_tx(uow: UnitOfWork, ticket: Ticket, now, actor: str) -> Ticket:
    target = next_status(ticket.status, Action.SKIP)
    if not uow.tickets.compare_and_set(ticket.id, ticket.status,
                                       {"status": target.value, "skipped_at": now}):
        raise DomainError("CONFLICT")
    uow.tickets.add_event(ticket.id, now, "no_show", ticket.status.value, target.value, actor,
                          ticket.service_point)
    return uow.tickets.get(ticket.id)


def call_next(deps: Deps, point_code: str, scope: StaffScope, no_show: bool = False) -> Ticket | None:
    """Takes the best waiting ticket across the point's services. Pressing "next" also closes the
    point's current patient (domain.tickets.closing_at_call_next): one being served is finished;
    one only called refuses the call (CURRENT_NOT_SERVED, nothing changes) unless staff confirm
    `no_show`, which makes them a no-show (skipped: they may be re-queued once)."""
    point = deps.catalog.point(point_code)
    scope.require_point(point.code)
    now = deps.clock()
    changed: list[tuple[Ticket, str]] = []
    with deps.uow.write() as uow:
        for current in uow.tickets.current_at_point(point.code, hospital_day(now)):
            try:
                closing = closing_at_call_next(current.status, no_show)
            except DomainError as refusal:
                if refusal.code == "CURRENT_NOT_SERVED":
                    raise DomainError("CURRENT_NOT_SERVED", ticket_id=current.id,
                                      display_number=current.display_number) from None
                raise
            try:
                if closing is Action.FINISH:
                    changed.append((_finish_in_tx(uow, deps, current, now, scope.actor, "auto_finish"),
                                    "finish"))
                else:
                    changed.append((_no_show_in_tx(uow, current, now, scope.actor), "skip"))
            except DomainError:
                pass  # a colleague at the same point closed it a moment ago: nothing left to do
        called = None
        for candidate in uow.tickets.next_candidates(list(point.services), hospital_day(now)):
            ok = uow.tickets.compare_and_set(
                candidate.id, TicketStatus.WAITING,
                {"status": "called", "called_at": now, "service_point": point.code},
            )
            if ok:  # another process may have taken it between our read and this write
                uow.tickets.add_event(candidate.id, now, "call", "waiting", "called", scope.actor,
                                      point.code)
                called = uow.tickets.get(candidate.id)
                break
        uow.commit()
    for t, action in changed:
        deps.publisher.ticket_changed(t, action)
    if called is not None:
        deps.publisher.ticket_changed(called, "call")
    return called


_STAMPS = {
    Action.RECALL: None,
    Action.START: "started_at",
    Action.SKIP: "skipped_at",
    Action.REQUEUE: None,
}


def act(deps: Deps, ticket_id: str, action: Action, scope: StaffScope) -> Ticket:
    """recall / start / finish / skip / requeue one ticket."""
    now = deps.clock()
    with deps.uow.write() as uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            raise DomainError("TICKET_NOT_FOUND")
        scope.lane.require_act(ticket)
        if action is Action.FINISH:
            updated = _finish_in_tx(uow, deps, ticket, now, scope.actor, "finish")
        else:
            target = next_status(ticket.status, action)
            values: TicketChanges = {"status": target.value}
            if action is Action.RECALL:
                values["recall_count"] = ticket.recall_count + 1
                values["called_at"] = now
            elif action is Action.REQUEUE:
                check_requeue(ticket.requeue_count, deps.catalog.skip_requeue_limit)
                # A returning no-show joins the back of the queue of their priority class.
                place = queue_place(now, ticket.priority, deps.catalog.priority_boost_min)
                values.update(requeue_count=ticket.requeue_count + 1, rank=place.rank,
                              queue_key=place.key, service_point=None, called_at=None)
            elif _STAMPS.get(action):
                values[_STAMPS[action]] = now
            if not uow.tickets.compare_and_set(ticket.id, ticket.status, values):
                raise DomainError("CONFLICT")
            uow.tickets.add_event(ticket.id, now, action.value, ticket.status.value, target.value,
                                  scope.actor, ticket.service_point)
            updated = uow.tickets.get(ticket.id)
        uow.commit()
    deps.publisher.ticket_changed(updated, action.value)
    return updated


def transfer(deps: Deps, ticket_id: str, service_code: str, scope: StaffScope) -> tuple[Ticket, Ticket]:
    """Sends the patient on (lab, imaging, pharmacy, cashier…): a new ticket on the same visit."""
    target_service = deps.catalog.service(service_code)
    now = deps.clock()
    with deps.uow.write() as uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            raise DomainError("TICKET_NOT_FOUND")
        scope.lane.require_act(ticket)
        uow.visits.lock(ticket.visit_id)  # two clerks sending one patient on: one wins
        replaced_by, _ = follow_transfers(ticket, uow.tickets.for_visit(ticket.visit_id))
        # A replacement the patient or staff cancelled no longer holds the visit: send on anew.
        live = replaced_by is not None and replaced_by.status is not TicketStatus.CANCELLED
        try:
            source_action = transfer_source(ticket.status, replaced=live)
        except DomainError as refusal:
            if refusal.code == "ALREADY_TRANSFERRED":
                raise DomainError("ALREADY_TRANSFERRED", ticket_id=replaced_by.id,
                                  display_number=replaced_by.display_number) from None
            raise
        if target_service.code == ticket.service_code:
            raise DomainError("VALIDATION_ERROR", field="service_code")
        coverage = ticket.coverage if ticket.coverage in target_service.coverages \
            else target_service.coverages[0]
        if source_action is Action.FINISH:
            source = _finish_in_tx(uow, deps, ticket, now, scope.actor, "finish")
        else:
            source = ticket
        uow.tickets.add_event(ticket.id, now, "transfer", source.status.value, source.status.value,
                              scope.actor, ticket.service_point)
        new = create_ticket_row(uow, deps, IssueTicket(
            service_code=target_service.code, coverage=coverage, priority=ticket.priority,
            priority_confirmed=ticket.priority_confirmed, visit_id=ticket.visit_id, issued_by=scope.actor,
            transferred_from=ticket.id,
        ), now)
        uow.commit()
    deps.publisher.ticket_changed(source, "transfer")
    deps.publisher.ticket_changed(new, "issue")
    return source, new


def set_priority(deps: Deps, ticket_id: str, reason: PriorityClass, confirmed: bool,
                 scope: StaffScope) -> Ticket:
    """Staff decide a ticket's legal priority (audited).

    confirmed=True: the ticket has `reason`, confirmed: a declared reason confirmed, or a reason
    staff give (emergency, an age they checked on the papers). confirmed=False: the patient's
    declared `reason` is rejected and its boost goes. Either way the ticket keeps its arrival time:
    only the priority part of its queue place changes."""
    if reason is PriorityClass.APPOINTMENT:
        raise DomainError("VALIDATION_ERROR", field="reason")
    now = deps.clock()
    with deps.uow.write() as uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            raise DomainError("TICKET_NOT_FOUND")
        scope.lane.require_act(ticket)
        if ticket.status not in OPEN_STATES:
            raise DomainError("INVALID_TRANSITION", status=ticket.status.value, action="priority")
        if confirmed:
            new = reason
        elif ticket.priority_declared and ticket.priority is reason:
            new = None
        else:
            raise DomainError("PRIORITY_NOT_DECLARED")
        place = replace_priority(QueuePlace(ticket.rank, ticket.queue_key), ticket.priority, new,
                                 deps.catalog.priority_boost_min)
        values = {"priority": new.value if new else None, "priority_confirmed": confirmed,
                  "rank": place.rank, "queue_key": place.key}
        if not uow.tickets.compare_and_set(ticket.id, ticket.status, values):
            raise DomainError("CONFLICT")
        uow.tickets.add_event(ticket.id, now, "priority", ticket.status.value, ticket.status.value,
                              scope.actor, ticket.service_point)
        decision = "confirmed" if confirmed else "rejected"
        uow.audit.add(now, scope.actor, "ticket.priority", ticket.id, f"{reason.value}:{decision}")
        updated = uow.tickets.get(ticket.id)
        uow.commit()
    deps.publisher.ticket_changed(updated, "priority")
    return updated
