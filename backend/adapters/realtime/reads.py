"""The few reads live events need that the repositories do not offer, written so their cost does
not grow with the number of people listening: one statement for every waiting place of several
services, two for a display area."""
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ...domain.tickets import Ticket
from ..db.models import TicketRow
from ..db.repositories import row_to_ticket

T = TicketRow.__table__

RECENT_CALLS = 8


def waiting_order(conn: Connection, day: date, service_codes) -> dict[str, list[tuple]]:
    """service → waiting tickets in call order, as (id, rank, queue_key, number, display_number).

    The order is exactly the one `people_ahead` counts in (rank, queue key, number), so the
    index of a ticket here is the number of people ahead of it."""
    codes = sorted(set(service_codes))
    out: dict[str, list[tuple]] = {c: [] for c in codes}
    if not codes:
        return out
    stmt = (
        select(T.c.service_code, T.c.id, T.c.rank, T.c.queue_key, T.c.number, T.c.display_number)
        .where(T.c.day == day, T.c.service_code.in_(codes), T.c.status == "waiting")
        .order_by(T.c.service_code, T.c.rank, T.c.queue_key, T.c.number)
    )
    for r in conn.execute(stmt):
        out[r.service_code].append((r.id, r.rank, r.queue_key, r.number, r.display_number))
    return out


def display_tickets(conn: Connection, day: date, point_codes) -> tuple[list[Ticket], list[Ticket]]:
    """(tickets now called or being served at these points, the most recent calls there)."""
    points = list(point_codes)
    if not points:
        return [], []
    current = conn.execute(
        select(T).where(T.c.day == day, T.c.service_point.in_(points),
                        T.c.status.in_(("called", "serving")))
    )
    recent = conn.execute(
        select(T)
        .where(T.c.day == day, T.c.service_point.in_(points), T.c.called_at.is_not(None))
        .order_by(T.c.called_at.desc())
        .limit(RECENT_CALLS)
    )
    return [row_to_ticket(r) for r in current], [row_to_ticket(r) for r in recent]
