"""The queue read model: a waiting ticket's place (position, people ahead, estimated wait).

The one place these numbers are computed, for the REST answers (services/tickets.describe), the
realtime publisher (many tickets in one statement) and the phone notifications. The order is the
call order (rank, queue key, number): the index of a ticket in `waiting_places` is the number of
people ahead of it, the same count `people_ahead` makes for one ticket.
"""
from datetime import date
from typing import Iterable, NamedTuple

from ..domain.tickets import Ticket
from ..domain.wait import estimate_wait_min
from .context import Deps


class Place(NamedTuple):
    position: int
    people_ahead: int
    estimated_wait_min: int


class WaitingEntry(NamedTuple):
    """One waiting ticket of `waiting_places`, in call order (a tuple: the publisher makes thousands)."""

    id: str
    rank: int
    queue_key: float
    number: int
    display_number: str
    place: Place


def open_points(deps: Deps, service_code: str) -> int:
    return max(len(deps.catalog.points_for(service_code)), 1)


def average_service_s(uow, deps: Deps, service_code: str) -> float:
    avg = uow.service_times.average(service_code)
    return avg if avg is not None else float(deps.catalog.service(service_code).default_service_s)


def _average_in(averages: dict[str, float], deps: Deps, service_code: str) -> float:
    """The service's average from an already-read `service_times.all()`, or its configured default."""
    return averages.get(service_code, float(deps.catalog.service(service_code).default_service_s))


def place_behind(deps: Deps, service_code: str, people_ahead: int, avg_service_s: float) -> Place:
    return Place(people_ahead + 1, people_ahead,
                 estimate_wait_min(people_ahead, open_points(deps, service_code), avg_service_s))


def people_ahead(uow, ticket) -> int:
    """People ahead of one waiting ticket (a Ticket or a row with the same fields); cheap near the front."""
    return uow.tickets.people_ahead(ticket.service_code, ticket.day, ticket.rank, ticket.queue_key,
                                    ticket.number)


def place_of(uow, deps: Deps, ticket: Ticket) -> Place:
    """One waiting ticket's place now: two reads (the count ahead, the service's average time)."""
    return place_behind(deps, ticket.service_code, people_ahead(uow, ticket),
                        average_service_s(uow, deps, ticket.service_code))


def place_at_issue(ticket: Ticket) -> Place:
    """A new ticket's place as its issuing transaction counted it: no read."""
    return Place(ticket.people_ahead_at_issue + 1, ticket.people_ahead_at_issue, ticket.estimated_wait_min)


def place_from_back(uow, deps: Deps, ticket: Ticket, averages: dict[str, float]) -> Place:
    """A ticket near the back of its queue (new or requeued), counted from the back, where it is cheap."""
    ahead = uow.tickets.people_ahead_from_back(ticket.service_code, ticket.day, ticket.rank,
                                               ticket.queue_key, ticket.number)
    return place_behind(deps, ticket.service_code, ahead, _average_in(averages, deps, ticket.service_code))


def waiting_places(uow, deps: Deps, day: date, service_codes: Iterable[str],
                   averages: dict[str, float]) -> dict[str, list[WaitingEntry]]:
    """service → every waiting ticket with its place, in call order: one statement for all services,
    whatever the number of tickets (the publisher's read after a burst of changes)."""
    out: dict[str, list[WaitingEntry]] = {}
    for code, rows in uow.tickets.waiting_order(day, service_codes).items():
        points = open_points(deps, code)
        avg = _average_in(averages, deps, code)
        out[code] = [WaitingEntry(tid, rank, key, number, display_number,
                                  Place(i + 1, i, estimate_wait_min(i, points, avg)))
                     for i, (tid, rank, key, number, display_number) in enumerate(rows)]
    return out
