"""Use cases on the in-memory unit of work: the real services and domain, no database."""
from datetime import datetime, timedelta, timezone

import pytest

from backend.domain.catalog import Catalog, OpeningHours, Service, ServicePoint
from backend.domain.tokens import TokenSigner
from backend.services.context import Deps
from backend.services.ports.realtime import RecordingPublisher
from tests.support.memory_uow import MemoryUnitOfWorkFactory

# 08:00 in Hà Nội (UTC+7) on a Monday.
MONDAY_8AM = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _catalog() -> Catalog:
    always = OpeningHours.always()
    services = {
        "KB": Service("KB", "A", "Khám bệnh", "General exam", "clinic", ("bhyt", "self_pay"), 0, always,
                      default_service_s=300),
        "KN": Service("KN", "B", "Khám nhi", "Paediatrics", "clinic", ("bhyt", "self_pay"), 150_000,
                      always, payment_before_call=True, default_service_s=600),
        "XN": Service("XN", "X", "Xét nghiệm", "Laboratory", "lab", ("bhyt", "self_pay"), 0, always,
                      kiosk=False),
        "DEM": Service("DEM", "D", "Khám đêm", "Night clinic", "clinic", ("bhyt",), 0,
                       OpeningHours({})),  # never open
    }
    points = {
        "P1": ServicePoint("P1", "Phòng 1", "Room 1", ("KB", "KN")),
        "P2": ServicePoint("P2", "Phòng 2", "Room 2", ("KB",)),
        "LAB": ServicePoint("LAB", "Phòng xét nghiệm", "Laboratory", ("XN",)),
    }
    return Catalog("BV01", "Bệnh viện thử", "Test hospital", services, points, priority_boost_min=30)


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_8AM)


@pytest.fixture
def store() -> MemoryUnitOfWorkFactory:
    return MemoryUnitOfWorkFactory()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def deps(store, clock, publisher) -> Deps:
    return Deps(uow=store, catalog=_catalog(), signer=TokenSigner(b"unit-test-signing-secret"),
                publisher=publisher, clock=clock)


def _render(view) -> dict:
    return {"id": view.ticket.id, "number": view.ticket.display_number,
            "position": view.position, "people_ahead": view.people_ahead,
            "estimated_wait_min": view.estimated_wait_min,
            "fee": view.invoice.amount if view.invoice else None}


@pytest.fixture
def render():
    """What a client would get back: a presenter's view of the use case's result."""
    return _render


@pytest.fixture
def issue(deps):
    """Issues a ticket as a kiosk would; returns the Ticket as stored."""
    from backend.services.tickets import IssueTicket, issue_ticket

    def _issue(service="KB", coverage="bhyt", priority=None, issued_by="device:kiosk-1", idem=None):
        issued = issue_ticket(deps, IssueTicket(service_code=service, coverage=coverage,
                                                priority=priority, issued_by=issued_by), idem)
        with deps.uow.read() as uow:
            return uow.tickets.get(issued.result.ticket.id)

    return _issue
