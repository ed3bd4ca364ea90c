"""Daily figures per service: counts, waits and service times, tickets per hour."""
from datetime import date

from ..domain.hospital_time import to_local
from ..domain.lanes import Lane
from ..domain.tickets import service_seconds
from .context import Deps


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _minutes(values: list[float], q: float) -> float | None:
    p = percentile(values, q)
    return None if p is None else round(p / 60.0, 1)


def day_stats(deps: Deps, day: date, service_code: str | None = None, lane: Lane | None = None) -> dict:
    """`lane`: a staff member's; their services only (None: every service)."""
    lane = lane or Lane.everywhere()
    if service_code is not None:
        deps.catalog.service(service_code)  # unknown service → SERVICE_NOT_FOUND
        lane.require_service(service_code)
    with deps.uow.read() as uow:
        tickets = [t for t in uow.tickets.for_day(day, service_code) if lane.covers_service(t.service_code)]
    rows: dict[str, dict] = {}
    per_hour: dict[int, int] = {}
    for t in tickets:
        r = rows.setdefault(t.service_code, {
            "issued": 0, "done": 0, "skipped": 0, "cancelled": 0, "waiting": 0,
            "waits": [], "services": [],
        })
        r["issued"] += 1
        if t.status.value in ("done", "skipped", "cancelled", "waiting"):
            r[t.status.value] += 1
        if t.called_at:
            r["waits"].append((t.called_at - t.issued_at).total_seconds())
        # A service is one that began (serving): a ticket closed without a start had none.
        seconds = service_seconds(t, t.finished_at) if t.finished_at else None
        if seconds is not None:
            r["services"].append(seconds)
        hour = to_local(t.issued_at).hour
        per_hour[hour] = per_hour.get(hour, 0) + 1
    services = []
    for code, r in sorted(rows.items()):
        called = r["done"] + r["skipped"]
        services.append({
            "service_code": code,
            "issued": r["issued"],
            "done": r["done"],
            "skipped": r["skipped"],
            "cancelled": r["cancelled"],
            "waiting": r["waiting"],
            "no_show_rate": round(r["skipped"] / called, 3) if called else 0.0,
            "wait_p50_min": _minutes(r["waits"], 0.5),
            "wait_p90_min": _minutes(r["waits"], 0.9),
            "wait_p99_min": _minutes(r["waits"], 0.99),
            "service_p50_min": _minutes(r["services"], 0.5),
            "service_p90_min": _minutes(r["services"], 0.9),
        })
    return {
        "date": day,
        "services": services,
        "per_hour": [{"hour": h, "issued": per_hour[h]} for h in sorted(per_hour)],
        "total_issued": len(tickets),
    }
