"""Repositories over one connection. Core statements: the ticket path runs hundreds of times a second."""
from datetime import date, datetime

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from ...domain.priority import PriorityClass
from ...domain.tickets import Ticket, TicketStatus
from ...services.ports.uow import TicketChanges
from .models import (
    AuditRow,
    DeviceRow,
    IdempotencyRow,
    ServiceTimeRow,
    StaffRow,
    TicketCounterRow,
    TicketEventRow,
    TicketRow,
    VisitRow,
)

T = TicketRow.__table__
V = VisitRow.__table__
C = TicketCounterRow.__table__
E = TicketEventRow.__table__
ST = ServiceTimeRow.__table__
STAFF = StaffRow.__table__
DEV = DeviceRow.__table__
IDEM = IdempotencyRow.__table__
AUDIT = AuditRow.__table__


def _upsert(conn: Connection):
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


# The ticket path runs hundreds of times a second: its statements are built once, with bound
# parameters, instead of being composed (and cache-keyed) again on every request.
def _counter_upsert(dialect_insert):
    ins = dialect_insert(C).values(service_code=bindparam("s"), day=bindparam("d"), last_number=1,
                                   waiting=1)
    return ins.on_conflict_do_update(
        index_elements=[C.c.service_code, C.c.day],
        set_={"last_number": C.c.last_number + 1, "waiting": C.c.waiting + 1},
    ).returning(C.c.last_number)


_NEXT_NUMBER = {"postgresql": _counter_upsert(postgresql.insert), "sqlite": _counter_upsert(sqlite.insert)}
_INSERT_TICKET = insert(T)
_INSERT_VISIT = insert(V)
_INSERT_EVENT = insert(E)
_PEOPLE_AHEAD = select(func.count()).where(
    T.c.day == bindparam("day"),
    T.c.service_code == bindparam("service"),
    T.c.status == "waiting",
    # Ties on the key (same instant) fall back to the number, which only grows.
    or_(
        T.c.rank < bindparam("rank"),
        and_(T.c.rank == bindparam("rank"),
             or_(T.c.queue_key < bindparam("key"),
                 and_(T.c.queue_key == bindparam("key"), T.c.number < bindparam("number")))),
    ),
)
_WAITING = T.c.status == "waiting"
_SAME_QUEUE = and_(T.c.day == bindparam("day"), T.c.service_code == bindparam("service"), _WAITING)
# A place counted from the back: the queue's tally minus those at or behind the place. Each count
# is one index range, and behind a new ticket there is nobody (or the last half hour's priority
# arrivals), so the cost no longer grows with the queue.
_PEOPLE_AHEAD_FROM_BACK = select(
    select(C.c.waiting).where(C.c.service_code == bindparam("service"), C.c.day == bindparam("day"))
    .scalar_subquery()
    - select(func.count()).where(_SAME_QUEUE, T.c.rank > bindparam("rank")).scalar_subquery()
    - select(func.count()).where(_SAME_QUEUE, T.c.rank == bindparam("rank"),
                                 T.c.queue_key > bindparam("key")).scalar_subquery()
    - select(func.count()).where(_SAME_QUEUE, T.c.rank == bindparam("rank"),
                                 T.c.queue_key == bindparam("key"),
                                 T.c.number >= bindparam("number")).scalar_subquery()
)
_TALLY_MOVE = (
    update(C)
    .where(tuple_(C.c.service_code, C.c.day).in_(
        select(T.c.service_code, T.c.day).where(T.c.id == bindparam("tid"))))
    .values(waiting=C.c.waiting + bindparam("delta"))
)
_OPEN_VISIT = select(V).where(V.c.patient_id == bindparam("p"), V.c.day == bindparam("d"),
                              V.c.status == "open")
_IDEMPOTENCY = select(IDEM).where(IDEM.c.scope == bindparam("scope"), IDEM.c.key == bindparam("key"))
_INSERT_IDEMPOTENCY = insert(IDEM)
_AVERAGE = select(ST.c.average_s).where(ST.c.service_code == bindparam("s"))
_DEVICE_BY_HASH = select(DEV).where(DEV.c.token_hash == bindparam("h"))


def row_to_ticket(r) -> Ticket:
    return Ticket(
        id=r.id,
        visit_id=r.visit_id,
        service_code=r.service_code,
        day=r.day,
        number=r.number,
        display_number=r.display_number,
        status=TicketStatus(r.status),
        coverage=r.coverage,
        priority=PriorityClass(r.priority) if r.priority else None,
        rank=r.rank,
        queue_key=r.queue_key,
        issued_at=r.issued_at,
        estimated_wait_min=r.estimated_wait_min,
        people_ahead_at_issue=r.people_ahead_at_issue,
        service_point=r.service_point,
        called_at=r.called_at,
        started_at=r.started_at,
        finished_at=r.finished_at,
        recall_count=r.recall_count,
        requeue_count=r.requeue_count,
        transferred_from=r.transferred_from,
        payment_required=r.payment_required,
        paid=r.paid,
        priority_confirmed=bool(r.priority_confirmed),
    )


class TicketRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def next_number(self, service_code: str, day: date) -> int:
        """Atomic per-service per-day counter: one statement, no read-modify-write race. The same
        statement counts the ticket about to be added as waiting in the queue's tally."""
        stmt = _NEXT_NUMBER[self.conn.dialect.name]
        return self.conn.execute(stmt, {"s": service_code, "d": day}).scalar_one()

    def add(self, ticket: Ticket, issued_by: str | None) -> None:
        """A new waiting ticket, numbered (and so already tallied) by next_number."""
        if ticket.status is not TicketStatus.WAITING:
            raise ValueError("a new ticket starts waiting: the tally counted it so")
        self.conn.execute(_INSERT_TICKET, {
            "id": ticket.id, "visit_id": ticket.visit_id, "service_code": ticket.service_code,
            "day": ticket.day, "number": ticket.number, "display_number": ticket.display_number,
            "status": ticket.status.value, "coverage": ticket.coverage,
            "priority": ticket.priority.value if ticket.priority else None,
            "priority_confirmed": ticket.priority_confirmed, "rank": ticket.rank,
            "queue_key": ticket.queue_key, "issued_at": ticket.issued_at,
            "estimated_wait_min": ticket.estimated_wait_min,
            "people_ahead_at_issue": ticket.people_ahead_at_issue,
            "transferred_from": ticket.transferred_from, "payment_required": ticket.payment_required,
            "paid": ticket.paid, "issued_by": issued_by, "recall_count": ticket.recall_count,
            "requeue_count": ticket.requeue_count,
        })

    def get(self, ticket_id: str) -> Ticket | None:
        r = self.conn.execute(select(T).where(T.c.id == ticket_id)).first()
        return row_to_ticket(r) if r else None

    def compare_and_set(self, ticket_id: str, expected: TicketStatus, values: TicketChanges) -> bool:
        """Changes the ticket only if nobody else moved it first (two staff, one click)."""
        res = self.conn.execute(
            update(T).where(and_(T.c.id == ticket_id, T.c.status == expected.value)).values(**values)
        )
        if res.rowcount != 1:
            return False
        new = values.get("status", expected.value)
        delta = (new == "waiting") - (expected.value == "waiting")
        if delta:
            self.conn.execute(_TALLY_MOVE, {"tid": ticket_id, "delta": delta})
        return True

    def people_ahead(self, service_code: str, day: date, rank: int, key: float, number: int) -> int:
        params = {"day": day, "service": service_code, "rank": rank, "key": key, "number": number}
        return self.conn.execute(_PEOPLE_AHEAD, params).scalar_one()

    def people_ahead_from_back(self, service_code: str, day: date, rank: int, key: float,
                               number: int) -> int:
        """The same answer as people_ahead, cheap for a place near the back of the queue (a new or
        requeued ticket); people_ahead is cheap near the front."""
        if rank == 0:
            return self.people_ahead(service_code, day, rank, key, number)  # emergencies are few
        params = {"day": day, "service": service_code, "rank": rank, "key": key, "number": number}
        return self.conn.execute(_PEOPLE_AHEAD_FROM_BACK, params).scalar_one()

    def people_ahead_of_numbered(self, service_code: str, day: date, rank: int, key: float,
                                 number: int) -> int:
        """People ahead of a ticket that next_number has numbered, and so tallied, but that is not
        added yet."""
        ahead = self.people_ahead_from_back(service_code, day, rank, key, number)
        # The tally already counts this ticket; the count from the front (emergencies) does not.
        return ahead if rank == 0 else ahead - 1

    def waiting_count(self, service_code: str, day: date) -> int:
        """The queue's tally (kept by next_number and compare_and_set)."""
        stmt = select(C.c.waiting).where(C.c.service_code == service_code, C.c.day == day)
        return self.conn.execute(stmt).scalar() or 0

    def next_candidates(self, service_codes: list[str], day: date, limit: int = 5) -> list[Ticket]:
        stmt = (
            select(T)
            .where(
                T.c.day == day,
                T.c.service_code.in_(service_codes),
                T.c.status == "waiting",
                # A ticket whose fee must be paid first waits until the payment settles.
                or_(T.c.payment_required.is_(False), T.c.paid.is_(True)),
            )
            .order_by(T.c.rank, T.c.queue_key, T.c.issued_at, T.c.number)
            .limit(limit)
        )
        return [row_to_ticket(r) for r in self.conn.execute(stmt)]

    def current_at_point(self, point: str, day: date) -> list[Ticket]:
        stmt = select(T).where(
            T.c.day == day, T.c.service_point == point, T.c.status.in_(("called", "serving"))
        )
        return [row_to_ticket(r) for r in self.conn.execute(stmt)]

    def queue_summary(self, day: date) -> list:
        """Per service and open status: how many, the oldest issue time, how many priority and
        unpaid. Aggregated by the database: the dashboard asks after every change, and a busy
        day has thousands of open tickets."""
        priority = func.sum(case((T.c.priority.is_not(None), 1), else_=0))
        unpaid = func.sum(case((and_(T.c.payment_required.is_(True), T.c.paid.is_(False)), 1), else_=0))
        stmt = (
            select(T.c.service_code, T.c.status, func.count(), func.min(T.c.issued_at),
                   priority, unpaid)
            .where(T.c.day == day, T.c.status.in_(("waiting", "called", "serving")))
            .group_by(T.c.service_code, T.c.status)
        )
        return list(self.conn.execute(stmt))

    def at_points(self, day: date) -> list[Ticket]:
        stmt = select(T).where(T.c.day == day, T.c.status.in_(("called", "serving")),
                               T.c.service_point.is_not(None))
        return [row_to_ticket(r) for r in self.conn.execute(stmt)]

    def for_day(self, day: date, service_code: str | None = None) -> list[Ticket]:
        stmt = select(T).where(T.c.day == day)
        if service_code:
            stmt = stmt.where(T.c.service_code == service_code)
        return [row_to_ticket(r) for r in self.conn.execute(stmt.order_by(T.c.issued_at))]

    def waiting_since_before(self, day: date, issued_before: datetime) -> list[Ticket]:
        """Tickets of `day` still waiting that were issued before `issued_before`: the long-wait
        candidates, filtered by the database rather than read whole from a long queue."""
        stmt = select(T).where(T.c.day == day, T.c.status == "waiting", T.c.issued_at < issued_before)
        return [row_to_ticket(r) for r in self.conn.execute(stmt.order_by(T.c.rank, T.c.queue_key))]

    def for_visit(self, visit_id: str) -> list[Ticket]:
        stmt = select(T).where(T.c.visit_id == visit_id).order_by(T.c.issued_at)
        return [row_to_ticket(r) for r in self.conn.execute(stmt)]

    def for_visits(self, visit_ids) -> list[Ticket]:
        ids = sorted(set(visit_ids))
        if not ids:
            return []
        stmt = select(T).where(T.c.visit_id.in_(ids)).order_by(T.c.issued_at)
        return [row_to_ticket(r) for r in self.conn.execute(stmt)]

    def find_by_number(self, day: date, display_number: str) -> list[Ticket]:
        stmt = select(T).where(T.c.day == day, T.c.display_number == display_number)
        return [row_to_ticket(r) for r in self.conn.execute(stmt)]

    def add_event(self, ticket_id, at, action, from_status, to_status, actor, service_point) -> None:
        self.conn.execute(_INSERT_EVENT, {
            "ticket_id": ticket_id, "at": at, "action": action, "from_status": from_status,
            "to_status": to_status, "actor": actor, "service_point": service_point,
        })

    def events(self, ticket_id: str) -> list[dict]:
        stmt = select(E).where(E.c.ticket_id == ticket_id).order_by(E.c.id)
        return [dict(r._mapping) for r in self.conn.execute(stmt)]

    # Reads for live events, written so their cost does not grow with the number of people
    # listening: one statement for every waiting place of several services, two for a display area.
    def waiting_order(self, day: date, service_codes) -> dict[str, list[tuple]]:
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
        for r in self.conn.execute(stmt):
            out[r.service_code].append((r.id, r.rank, r.queue_key, r.number, r.display_number))
        return out

    def display_tickets(self, day: date, point_codes, recent: int) -> tuple[list[Ticket], list[Ticket]]:
        """(tickets now called or being served at these points, the `recent` latest calls there)."""
        points = list(point_codes)
        if not points:
            return [], []
        current = self.conn.execute(
            select(T).where(T.c.day == day, T.c.service_point.in_(points),
                            T.c.status.in_(("called", "serving")))
        )
        latest = self.conn.execute(
            select(T)
            .where(T.c.day == day, T.c.service_point.in_(points), T.c.called_at.is_not(None))
            .order_by(T.c.called_at.desc())
            .limit(recent)
        )
        return [row_to_ticket(r) for r in current], [row_to_ticket(r) for r in latest]


class VisitRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, visit_id: str, patient_id: str | None, day: date, at: datetime) -> None:
        self.conn.execute(_INSERT_VISIT, {"id": visit_id, "patient_id": patient_id, "day": day,
                                          "status": "open", "created_at": at, "closed_at": None})

    def find_open(self, patient_id: str, day: date):
        return self.conn.execute(_OPEN_VISIT, {"p": patient_id, "d": day}).first()

    def get(self, visit_id: str):
        return self.conn.execute(select(V).where(V.c.id == visit_id)).first()

    def lock(self, visit_id: str) -> None:
        # PostgreSQL: a row lock until commit. SQLite: writers are already one at a time.
        self.conn.execute(select(V.c.id).where(V.c.id == visit_id).with_for_update()).first()


class ServiceTimeRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def average(self, service_code: str) -> float | None:
        return self.conn.execute(_AVERAGE, {"s": service_code}).scalar_one_or_none()

    def all(self) -> dict[str, float]:
        return {r.service_code: r.average_s for r in self.conn.execute(select(ST))}

    def store(self, service_code: str, average_s: float) -> None:
        ins = _upsert(self.conn)(ST).values(service_code=service_code, average_s=average_s, samples=1)
        self.conn.execute(
            ins.on_conflict_do_update(
                index_elements=[ST.c.service_code],
                set_={"average_s": average_s, "samples": ST.c.samples + 1},
            )
        )


class IdempotencyRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def get(self, scope: str, key: str):
        return self.conn.execute(_IDEMPOTENCY, {"scope": scope, "key": key}).first()

    def put(self, scope, key, request_hash, status_code, body, at) -> None:
        self.conn.execute(_INSERT_IDEMPOTENCY, {
            "scope": scope, "key": key, "request_hash": request_hash, "status_code": status_code,
            "body": body, "created_at": at,
        })


class StaffRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def by_username(self, username: str):
        return self.conn.execute(select(STAFF).where(STAFF.c.username == username)).first()

    def get(self, staff_id: str):
        return self.conn.execute(select(STAFF).where(STAFF.c.id == staff_id)).first()

    def add(self, *, id: str, username: str, full_name: str, role: str, password_hash: str,
            service_points: str, active: bool, session_version: int, created_at: datetime) -> None:
        self.conn.execute(insert(STAFF).values({
            "id": id, "username": username, "full_name": full_name, "role": role,
            "password_hash": password_hash, "service_points": service_points, "active": active,
            "session_version": session_version, "created_at": created_at,
        }))

    def bump_session(self, staff_id: str) -> None:
        self.conn.execute(
            update(STAFF)
            .where(STAFF.c.id == staff_id)
            .values(session_version=STAFF.c.session_version + 1)
        )

    def all(self):
        return list(self.conn.execute(select(STAFF).order_by(STAFF.c.username)))


class DeviceRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def by_token_hash(self, token_hash: str):
        return self.conn.execute(_DEVICE_BY_HASH, {"h": token_hash}).first()

    def by_name(self, name: str):
        return self.conn.execute(select(DEV).where(DEV.c.name == name)).first()

    def add(self, *, id: str, name: str, kind: str, token_hash: str, created_at: datetime) -> None:
        self.conn.execute(insert(DEV).values({
            "id": id, "name": name, "kind": kind, "token_hash": token_hash, "created_at": created_at,
        }))

    def revoke(self, device_id: str, at: datetime) -> None:
        self.conn.execute(update(DEV).where(DEV.c.id == device_id).values(revoked_at=at))

    def seen(self, device_id: str, at: datetime, printer_status: str, app_version: str | None) -> None:
        self.conn.execute(update(DEV).where(DEV.c.id == device_id).values(
            last_seen_at=at, printer_status=printer_status, app_version=app_version))

    def all(self):
        return list(self.conn.execute(select(DEV).order_by(DEV.c.name)))


class AuditRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, at, actor, action, subject=None, detail=None) -> None:
        self.conn.execute(
            insert(AUDIT).values(at=at, actor=actor, action=action, subject=subject, detail=detail)
        )

    def between(self, start: datetime, end: datetime):
        stmt = select(AUDIT).where(AUDIT.c.at >= start, AUDIT.c.at < end).order_by(AUDIT.c.id)
        return list(self.conn.execute(stmt))
