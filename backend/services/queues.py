"""The live picture of every queue today, for the dashboard and `GET /api/v1/queues`."""
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from ..domain.catalog import Service, ServicePoint
from ..domain.hospital_time import hospital_day
from ..domain.lanes import Lane
from ..domain.tickets import Ticket, TicketStatus
from .context import Deps
from .queue_positions import place_behind

_COUNTED = (TicketStatus.WAITING.value, TicketStatus.CALLED.value, TicketStatus.SERVING.value)


@dataclass
class ServiceQueue:
    """One service's queue now."""

    service: Service
    open: bool
    waiting: int = 0
    called: int = 0
    serving: int = 0
    priority_waiting: int = 0
    unpaid_waiting: int = 0
    oldest: datetime | None = None  # the longest-waiting ticket's issue time
    longest_wait_min: int = 0
    estimated_wait_min: int = 0  # what a ticket issued now would wait
    average_service_s: int = 0


@dataclass(frozen=True)
class PointNow:
    """A service point and the ticket called to it or being served there (None: free)."""

    point: ServicePoint
    current: Ticket | None = None


@dataclass(frozen=True)
class QueueOverview:
    at: datetime
    services: list[ServiceQueue]
    points: list[PointNow]


def overview(deps: Deps, averages: dict[str, float] | None = None) -> QueueOverview:
    """`averages`: service times the caller has just read, so they are not read twice."""
    now = deps.clock()
    day = hospital_day(now)
    with deps.uow.read() as uow:
        summary = uow.tickets.queue_summary(day)
        current = uow.tickets.at_points(day)
        if averages is None:
            averages = uow.service_times.all()
    by_service = {code: ServiceQueue(service, service.hours.is_open(now))
                  for code, service in deps.catalog.services.items()}
    for code, status, count, oldest, priority, unpaid in summary:
        row = by_service.get(code)
        if row is None or status not in _COUNTED:
            continue
        setattr(row, status, count)
        if status == TicketStatus.WAITING.value:
            row.priority_waiting = int(priority or 0)
            row.unpaid_waiting = int(unpaid or 0)
            row.oldest = _aware(oldest)
    at_point = {t.service_point: t for t in current if t.service_point in deps.catalog.points}
    for code, row in by_service.items():
        avg = averages.get(code, float(row.service.default_service_s))
        row.longest_wait_min = int((now - row.oldest).total_seconds() // 60) if row.oldest else 0
        # What a ticket issued now would wait: behind everyone waiting.
        row.estimated_wait_min = place_behind(deps, code, row.waiting, avg).estimated_wait_min
        row.average_service_s = round(avg)
    points = [PointNow(p, at_point.get(code)) for code, p in deps.catalog.points.items()]
    return QueueOverview(now, list(by_service.values()), points)


def overview_in(deps: Deps, lane: Lane) -> QueueOverview:
    """overview() limited to a staff lane: its services' queues, and who is called at the points
    serving them. Every point is still listed by name (public: the lobby TVs show them) so a page
    can name another room, but without its current patient."""
    data = overview(deps)
    if lane.unlimited:
        return data
    return QueueOverview(data.at, [r for r in data.services if lane.covers_service(r.service.code)],
                         [r if lane.covers_any(r.point.services) else replace(r, current=None)
                          for r in data.points])


def _aware(value):
    """MIN() comes back without the column type: as text on SQLite, naive or aware elsewhere."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
