"""The full current state each namespace sends right after connect (and again to rooms that
missed events while Redis was away). Events only carry deltas; these carry everything."""
from datetime import datetime, timedelta

from ...presenters.rest import iso, queues_json, ticket_json
from ...domain.hospital_time import hospital_day
from ...services.context import Deps
from ...services.queues import QueueOverview, overview
from ...services.tickets import follow_visit, view_ticket
from ...presenters import realtime as payloads

RECENT_CALLS = 8  # calls a lobby screen lists besides the current ones


def patient_state(deps: Deps, ticket_id: str) -> dict:
    """The ticket as GET /api/v1/tickets/{id} shows it. Raises DomainError if it does not exist."""
    return ticket_json(view_ticket(deps, ticket_id), deps.catalog, deps.public_url)


def resolve_followed(deps: Deps, ticket_id: str) -> str:
    """The ticket a phone holding `ticket_id`'s link follows: the visit's current one."""
    view, _ = follow_visit(deps, ticket_id)
    return view.ticket.id


def followed_state(deps: Deps, ticket_id: str, asked_id: str) -> dict:
    """patient.state of the followed ticket; `followed_from` names the ticket of the link when the
    visit has moved on from it (a transfer), so the page can say so."""
    view, asked = follow_visit(deps, asked_id)
    state = ticket_json(view, deps.catalog, deps.public_url)
    if view.ticket.id != ticket_id:  # sent on again between joining and reading: the client re-joins
        state = patient_state(deps, ticket_id)
    if state["id"] != asked.id:
        state["followed_from"] = {"id": asked.id, "display_number": asked.display_number}
    return state


def display_state(deps: Deps, area: str) -> dict:
    catalog = deps.catalog
    now = deps.clock()
    points = [p for p in catalog.points.values() if p.display == area]
    with deps.uow.read() as uow:
        current, recent = uow.tickets.display_tickets(hospital_day(now), [p.code for p in points], RECENT_CALLS)
    by_point = {t.service_point: t for t in sorted(current, key=lambda t: t.called_at or now)}
    name_vi, name_en = catalog.displays.get(area, (area, area))
    return {
        "display": {"code": area, "name_vi": name_vi, "name_en": name_en},
        "at": iso(now),
        "points": [
            {"service_point": payloads.point_brief(p),
             "current": payloads.display_current(by_point[p.code], catalog) if p.code in by_point else None}
            for p in points
        ],
        "recent": [payloads.display_call(t, catalog) for t in recent],
    }


def queue_rows(deps: Deps, services: set[str] | None, data: QueueOverview | None = None) -> dict:
    """GET /api/v1/queues, limited to `services` (None: all) and the points serving them."""
    full = queues_json(data if data is not None else overview(deps))
    return full if services is None else limit_rows(full, services)


def limit_rows(full: dict, services: set[str]) -> dict:
    return {
        "at": full["at"],
        "services": [r for r in full["services"] if r["service"]["code"] in services],
        "service_points": [p for p in full["service_points"] if services.intersection(p["services"])],
    }


def long_waits(deps: Deps, now: datetime) -> list[tuple]:
    """(ticket, service, waited_min) for every ticket waiting longer than its service allows."""
    limits = [s.long_wait_min for s in deps.catalog.services.values()]
    if not limits:
        return []
    with deps.uow.read() as uow:
        tickets = uow.tickets.waiting_since_before(hospital_day(now), now - timedelta(minutes=min(limits)))
    out = []
    for t in tickets:
        service = deps.catalog.services.get(t.service_code)
        if service is None:
            continue
        waited = int((now - t.issued_at).total_seconds() // 60)
        if waited > service.long_wait_min:
            out.append((t, service, waited))
    return out


def staff_state(deps: Deps, services: set[str] | None) -> dict:
    now = deps.clock()
    state = queue_rows(deps, services)
    state["long_waits"] = [
        payloads.long_wait_alert(t, s, waited, now)
        for t, s, waited in long_waits(deps, now)
        if services is None or s.code in services
    ]
    return state


def kiosk_state(deps: Deps, device_name: str) -> dict:
    data = overview(deps)
    return {
        "device": {"name": device_name},
        "at": iso(data.at),
        "services": [
            {**payloads.service_brief(row.service), "open_now": row.open,
             "waiting": row.waiting, "estimated_wait_min": row.estimated_wait_min}
            for row in data.services if row.service.kiosk
        ],
    }
