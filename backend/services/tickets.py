"""Use cases that create, read and cancel tickets."""
from dataclasses import dataclass

from ..domain.errors import DomainError
from ..domain.hospital_time import hospital_day
from ..domain.invoices import Invoice
from ..domain.lanes import Lane
from ..domain.numbering import display_number
from ..domain.priority import PriorityClass, parse_priority, queue_place, ticket_priority
from ..domain.tickets import Action, Ticket, TicketStatus, follow_transfers, next_status
from ..domain.tokens import new_id
from . import queue_positions
from .context import Deps
from .idempotency import Answered, IdempotencyRequest, find_replay, remember
from .identification import attach_visit, read_identify_token
from .payments import open_exam_fee_invoice, publish_voided, ticket_invoice, void_ticket_invoices
from .ports.uow import UnitOfWork
from .queue_positions import average_service_s, open_points  # noqa: F401  (importable from here, as before)
from .track_tokens import TrackAccess, check_track_token, track_access  # noqa: F401  (as before)


@dataclass(frozen=True)
class IssueTicket:
    service_code: str
    coverage: str
    priority: PriorityClass | None = None
    patient_id: str | None = None
    visit_id: str | None = None
    issued_by: str | None = None
    transferred_from: str | None = None
    identity: object = None  # identification.PatientIdentity from a kiosk identify_token
    priority_confirmed: bool = True  # False: declared by the patient, staff have not confirmed it


@dataclass(frozen=True)
class TicketRequest:
    """A ticket as a client asks for it: a kiosk (self-service) or a member of staff (`lane`)."""

    service_code: str
    coverage: str
    issued_by: str
    priority_reason: str | None = None
    identify_token: str | None = None  # from the kiosk's identification (POST /identify)
    lane: Lane | None = None  # None: a self-service channel


@dataclass(frozen=True)
class TicketView:
    """A ticket as the patient and staff see it now: its place and the wait ahead."""

    ticket: Ticket
    position: int | None
    people_ahead: int | None
    estimated_wait_min: int | None
    track_token: str
    invoice: Invoice | None = None  # the self-pay fee, as of now
    replaced_by: "Linked | None" = None  # the ticket a transfer replaced this one with
    current: "Linked | None" = None  # the visit's current ticket along its transfers (None: itself)


@dataclass(frozen=True)
class Linked:
    """Another ticket of the visit, with its own track token (the patient holds the visit)."""

    ticket: Ticket
    track_token: str


def create_ticket_row(uow: UnitOfWork, deps: Deps, cmd: IssueTicket, now) -> Ticket:
    """Numbering, queue place and wait estimate for a new ticket, inside the caller's transaction."""
    return create_ticket_and_fee(uow, deps, cmd, now)[0]


def create_ticket_and_fee(uow: UnitOfWork, deps: Deps, cmd: IssueTicket, now):
    """create_ticket_row, also returning the self-pay fee invoice it opened (or None)."""
    service = deps.catalog.service(cmd.service_code)
    day = hospital_day(now)
    place = queue_place(now, cmd.priority, deps.catalog.priority_boost_min)
    number = uow.tickets.next_number(service.code, day)
    people_ahead = uow.tickets.people_ahead_of_numbered(service.code, day, place.rank, place.key, number)
    wait = queue_positions.place_behind(deps, service.code, people_ahead,
                                        average_service_s(uow, deps, service.code)).estimated_wait_min
    visit_id = cmd.visit_id
    if visit_id is None and cmd.identity is not None:
        visit_id = attach_visit(uow, deps, cmd.identity, service.code, cmd.coverage, now)
    if visit_id is None:
        visit_id = new_id()
        uow.visits.add(visit_id, cmd.patient_id, day, now)
    # A self-pay fee makes the ticket unpaid at once; only payment_before_call holds it from call-next.
    has_fee = cmd.coverage == "self_pay" and service.fee_vnd > 0
    payment_required = has_fee and service.payment_before_call
    ticket = Ticket(
        id=new_id(), visit_id=visit_id, service_code=service.code, day=day, number=number,
        display_number=display_number(service.prefix, number), status=TicketStatus.WAITING,
        coverage=cmd.coverage, priority=cmd.priority, rank=place.rank, queue_key=place.key,
        issued_at=now, estimated_wait_min=wait, people_ahead_at_issue=people_ahead,
        transferred_from=cmd.transferred_from, payment_required=payment_required,
        paid=not has_fee, priority_confirmed=cmd.priority_confirmed,
    )
    uow.tickets.add(ticket, cmd.issued_by)
    uow.tickets.add_event(ticket.id, now, "issue", None, "waiting", cmd.issued_by, None)
    fee = None
    if has_fee:
        fee = open_exam_fee_invoice(uow, deps, ticket_id=ticket.id, visit_id=visit_id,
                                    service=service, issued_by=cmd.issued_by,
                                    due_before_call=payment_required, now=now)
    return ticket, fee


def request_ticket(deps: Deps, req: TicketRequest,
                   idem: IdempotencyRequest | None = None) -> Answered[TicketView]:
    """A client's ticket request: staff only for the services of their lane; the priority by
    channel (domain.priority.ticket_priority: self-service may only declare). BHYT needs an
    identified, checked card; only self-pay walk-ins may come without papers."""
    identity = None
    if req.identify_token:
        identity = read_identify_token(deps, req.identify_token)
    elif req.coverage == "bhyt":
        raise DomainError("CARD_REQUIRED")
    if req.lane is not None:
        req.lane.require_service(req.service_code)
    verified = getattr(identity, "priority", None)
    priority, confirmed = ticket_priority(parse_priority(req.priority_reason), verified,
                                          by_staff=req.lane is not None)
    return issue_ticket(deps, IssueTicket(
        service_code=req.service_code, coverage=req.coverage, priority=priority,
        priority_confirmed=confirmed, issued_by=req.issued_by, identity=identity,
    ), idem)


def issue_ticket(deps: Deps, cmd: IssueTicket, idem: IdempotencyRequest | None = None) -> Answered[TicketView]:
    """Issues a ticket. A replay (the same Idempotency-Key and body) is the first ticket as it was
    issued (place, wait, fee), nothing new issued or published."""
    service = deps.catalog.service(cmd.service_code)
    service.require_coverage(cmd.coverage)
    now = deps.clock()
    if not service.hours.is_open(now):
        raise DomainError("QUEUE_CLOSED", service=service.code)
    with deps.uow.write() as uow:
        replay = find_replay(uow, idem, TicketView)
        if replay is not None:
            if replay.result is not None:
                return Answered(replay.result, replayed=True)
            return Answered(_now_of(uow, deps, replay.first_id), replayed=True)
        # A new ticket's only invoice is the fee it just opened (if any): no read needed.
        ticket, fee = create_ticket_and_fee(uow, deps, cmd, now)
        view = TicketView(ticket, *queue_positions.place_at_issue(ticket), deps.signer.track_token(ticket.id), fee)
        remember(uow, idem, 201, view, now)
        uow.commit()
    deps.publisher.ticket_changed(ticket, "issue")
    return Answered(view)


def _now_of(uow: UnitOfWork, deps: Deps, ticket_id: str | None) -> TicketView:
    """A record from before results were kept holds only the ticket's id: the ticket as it is now."""
    ticket = uow.tickets.get(ticket_id) if ticket_id else None
    if ticket is None:
        raise DomainError("TICKET_NOT_FOUND")
    return describe(uow, deps, ticket)


def view_ticket(deps: Deps, ticket_id: str, lane: Lane | None = None) -> TicketView:
    """The ticket now. `lane`: a member of staff's (the patient proved the ticket with its token)."""
    with deps.uow.read() as uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            raise DomainError("TICKET_NOT_FOUND")
        if lane is not None:
            lane.require_read(ticket)
        return describe(uow, deps, ticket)


def follow_ticket(deps: Deps, ticket_id: str, token: str | None) -> TicketView | None:
    """The ticket for the patient holding its track token, in one read; None when the token is
    not this ticket's; TRACK_TOKEN_EXPIRED past the token's lifetime."""
    if not token or not deps.signer.verify("track", ticket_id, token):
        return None
    with deps.uow.read() as uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            return None
        if track_access(deps, ticket, token) is TrackAccess.EXPIRED:
            raise DomainError("TRACK_TOKEN_EXPIRED")
        return describe(uow, deps, ticket)


def tickets_today(deps: Deps, lane: Lane, *, number: str | None = None, service: str | None = None,
                  status: str | None = None, limit: int = 500) -> tuple[list[TicketView], bool]:
    """Today's tickets in the staff member's lane, by number, service or status; waiting ones in
    call order. Returns (views, truncated)."""
    day = hospital_day(deps.clock())
    if service is not None:
        deps.catalog.service(service)  # unknown → SERVICE_NOT_FOUND
        lane.require_service(service)
    with deps.uow.read() as uow:
        if number:
            tickets = uow.tickets.find_by_number(day, number)
        else:
            tickets = uow.tickets.for_day(day, service)
        tickets = [t for t in tickets
                   if (service is None or t.service_code == service)
                   and (status is None or t.status.value == status)
                   and lane.covers_service(t.service_code)]
        if status == "waiting":
            # The order call-next takes them in, so the list reads top to bottom.
            tickets.sort(key=lambda t: (t.rank, t.queue_key, t.number))
        return describe_many(uow, deps, tickets[:limit]), len(tickets) > limit


def _invoice_of(uow: UnitOfWork, deps: Deps, ticket: Ticket):
    # Only self-pay tickets carry a fee: BHYT reads skip the extra query.
    if ticket.coverage != "self_pay":
        return None
    return ticket_invoice(uow, deps, ticket.id)


def _links(deps: Deps, ticket: Ticket, visit_tickets: list[Ticket]) -> dict:
    """replaced_by / current of a ticket (domain.tickets.follow_transfers). Only a done ticket
    can have been sent on: any other needs no read."""
    if ticket.status is not TicketStatus.DONE:
        return {}
    replaced_by, current = follow_transfers(ticket, visit_tickets)
    if replaced_by is None:
        return {}
    return {"replaced_by": Linked(replaced_by, deps.signer.track_token(replaced_by.id)),
            "current": Linked(current, deps.signer.track_token(current.id))}


def links_of(uow: UnitOfWork, deps: Deps, ticket: Ticket) -> dict:
    return _links(deps, ticket, uow.tickets.for_visit(ticket.visit_id)) \
        if ticket.status is TicketStatus.DONE else {}


def describe(uow: UnitOfWork, deps: Deps, ticket: Ticket) -> TicketView:
    token = deps.signer.track_token(ticket.id)
    invoice = _invoice_of(uow, deps, ticket)
    links = links_of(uow, deps, ticket)
    if ticket.status is not TicketStatus.WAITING:
        return TicketView(ticket, None, None, None, token, invoice, **links)
    return TicketView(ticket, *queue_positions.place_of(uow, deps, ticket), token, invoice)


def follow_visit(deps: Deps, ticket_id: str) -> tuple[TicketView, Ticket]:
    """(the view of the visit's current ticket along `ticket_id`'s transfers, the ticket asked
    for): what a phone holding the first ticket's link follows. Raises TICKET_NOT_FOUND."""
    with deps.uow.read() as uow:
        asked = uow.tickets.get(ticket_id)
        if asked is None:
            raise DomainError("TICKET_NOT_FOUND")
        current = asked
        if asked.status is TicketStatus.DONE:
            current = follow_transfers(asked, uow.tickets.for_visit(asked.visit_id))[1]
        return describe(uow, deps, current), asked


def describe_tickets(deps: Deps, tickets: list[Ticket]) -> list[TicketView]:
    """These tickets as they stand now (e.g. the open visit an identification found), in one read."""
    with deps.uow.read() as uow:
        return [describe(uow, deps, t) for t in tickets]


def describe_many(uow, deps: Deps, tickets: list[Ticket]) -> list[TicketView]:
    """describe() for a list: every waiting place from one statement (queue_positions.waiting_places),
    not a count per ticket."""
    waiting = [t for t in tickets if t.status is TicketStatus.WAITING]
    places: dict[str, queue_positions.Place] = {}
    if len(waiting) > 2:  # for one or two (a number typed at the desk) a count each reads less
        averages = uow.service_times.all()
        for day in {t.day for t in waiting}:
            codes = {t.service_code for t in waiting if t.day == day}
            for entries in queue_positions.waiting_places(uow, deps, day, codes, averages).values():
                places.update((e.id, e.place) for e in entries)
    done = [t for t in tickets if t.status is TicketStatus.DONE]
    visits: dict[str, list[Ticket]] = {}
    for t in uow.tickets.for_visits([t.visit_id for t in done]) if done else []:
        visits.setdefault(t.visit_id, []).append(t)
    views = []
    for t in tickets:
        token = deps.signer.track_token(t.id)
        invoice = _invoice_of(uow, deps, t)
        if t.status is not TicketStatus.WAITING:
            views.append(TicketView(t, None, None, None, token, invoice,
                                    **_links(deps, t, visits.get(t.visit_id, []))))
        else:
            place = places.get(t.id) or queue_positions.place_of(uow, deps, t)
            views.append(TicketView(t, *place, token, invoice))
    return views


def cancel_ticket(deps: Deps, ticket_id: str, actor: str, lane: Lane | None = None) -> TicketView:
    """`lane`: a member of staff's (None: the patient, who proved the ticket with its token).
    The ticket's unpaid invoices are voided in the same transaction (DESIGN: money for a voided
    bill is flagged for refund)."""
    now = deps.clock()
    with deps.uow.write() as uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            raise DomainError("TICKET_NOT_FOUND")
        if lane is not None:
            lane.require_act(ticket)
        target = next_status(ticket.status, Action.CANCEL)
        if not uow.tickets.compare_and_set(ticket.id, ticket.status,
                                           {"status": target.value, "cancelled_at": now}):
            raise DomainError("CONFLICT")
        uow.tickets.add_event(ticket.id, now, "cancel", ticket.status.value, target.value, actor,
                              ticket.service_point)
        voided = void_ticket_invoices(uow, ticket.id, now, actor)
        updated = uow.tickets.get(ticket.id)
        invoice = _invoice_of(uow, deps, updated)
        uow.commit()
    publish_voided(deps, voided)
    deps.publisher.ticket_changed(updated, "cancel")
    return TicketView(updated, None, None, None, deps.signer.track_token(updated.id), invoice)
