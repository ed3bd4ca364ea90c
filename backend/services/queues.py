"""The live picture of every queue today, for the dashboard and `GET /api/v1/queues`."""
from ..domain.hospital_time import hospital_day
from ..domain.tickets import TicketStatus
from ..domain.wait import estimate_wait_min
from .context import Deps
from .tickets import open_points


def overview(deps: Deps) -> dict:
    now = deps.clock()
    day = hospital_day(now)
    with deps.uow.read() as uow:
        tickets = uow.tickets.open_for_day(day)
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
    by_point: dict[str, dict] = {
        code: {"point": p, "current": None} for code, p in deps.catalog.points.items()
    }
    for t in tickets:
        row = by_service.get(t.service_code)
        if row is None:
            continue
        row[t.status.value] += 1
        if t.status is TicketStatus.WAITING:
            if t.priority is not None:
                row["priority_waiting"] += 1
            if t.payment_required and not t.paid:
                row["unpaid_waiting"] += 1
            if row["oldest"] is None or t.issued_at < row["oldest"]:
                row["oldest"] = t.issued_at
        elif t.service_point in by_point:
            by_point[t.service_point]["current"] = t
    for code, row in by_service.items():
        avg = averages.get(code, float(row["service"].default_service_s))
        row["longest_wait_min"] = (
            int((now - row["oldest"]).total_seconds() // 60) if row["oldest"] else 0
        )
        row["estimated_wait_min"] = estimate_wait_min(row["waiting"], open_points(deps, code), avg)
        row["average_service_s"] = round(avg)
    return {"at": now, "services": list(by_service.values()), "points": list(by_point.values())}
