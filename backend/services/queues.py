"""The live picture of every queue today, for the dashboard and `GET /api/v1/queues`."""
from datetime import datetime, timezone

from ..domain.hospital_time import hospital_day
from ..domain.lanes import Lane
from ..domain.tickets import TicketStatus
from .context import Deps
from .queue_positions import place_behind


def overview(deps: Deps, averages: dict[str, float] | None = None) -> dict:
    """`averages`: service times the caller has just read, so they are not read twice."""
    now = deps.clock()
    day = hospital_day(now)
    with deps.uow.read() as uow:
        summary = uow.tickets.queue_summary(day)
        current = uow.tickets.at_points(day)
        if averages is None:
            averages = uow.service_times.all()
    by_service: dict[str, dict] = {}
    for code, service in deps.catalog.services.items():
        by_service[code] = {
            "service": service,
            "waiting": 0,
            "called": 0,
            "serving": 0,
            "priority_waiting": 0,
            "unpaid_waiting": 0,
            "oldest": None,
            "open": service.hours.is_open(now),
        }
    for code, status, count, oldest, priority, unpaid in summary:
        row = by_service.get(code)
        if row is None:
            continue
        row[status] = count
        if status == TicketStatus.WAITING.value:
            row["priority_waiting"] = int(priority or 0)
            row["unpaid_waiting"] = int(unpaid or 0)
            row["oldest"] = _aware(oldest)
    by_point: dict[str, dict] = {
        code: {"point": p, "current": None} for code, p in deps.catalog.points.items()
    }
    for t in current:
        if t.service_point in by_point:
            by_point[t.service_point]["current"] = t
    for code, row in by_service.items():
        avg = averages.get(code, float(row["service"].default_service_s))
        row["longest_wait_min"] = (
            int((now - row["oldest"]).total_seconds() // 60) if row["oldest"] else 0
        )
        # What a ticket issued now would wait: behind everyone waiting.
        row["estimated_wait_min"] = place_behind(deps, code, row["waiting"], avg).estimated_wait_min
        row["average_service_s"] = round(avg)
    return {"at": now, "services": list(by_service.values()), "points": list(by_point.values())}


def overview_in(deps: Deps, lane: Lane) -> dict:
    """overview() limited to a staff lane: its services' queues, and who is called at the points
    serving them. Every point is still listed by name (public: the lobby TVs show them) so a page
    can name another room, but without its current patient."""
    data = overview(deps)
    if lane.unlimited:
        return data
    return {"at": data["at"],
            "services": [r for r in data["services"] if lane.covers_service(r["service"].code)],
            "points": [r if lane.covers_any(r["point"].services) else {**r, "current": None}
                       for r in data["points"]]}


def _aware(value):
    """MIN() comes back without the column type: as text on SQLite, naive or aware elsewhere."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
