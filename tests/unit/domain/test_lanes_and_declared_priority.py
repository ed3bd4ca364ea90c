"""Pure rules behind staff lanes, priority by channel and the track-token lifetime."""
from datetime import date, datetime, timedelta, timezone

import pytest

from backend.domain.catalog import Catalog, OpeningHours, Service, ServicePoint
from backend.domain.errors import DomainError
from backend.domain.lanes import Lane
from backend.domain.priority import PriorityClass as P
from backend.domain.priority import QueuePlace, is_declared, queue_place, replace_priority, ticket_priority
from backend.domain.tickets import Ticket, TicketStatus
from backend.domain.tokens import track_token_expired

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def _service(code, prefix):
    return Service(code, prefix, code, code, "clinic", ("self_pay",), 0, OpeningHours.always())


CATALOG = Catalog("19012", "BV", "H", {"NOI": _service("NOI", "N"), "MAT": _service("MAT", "M")},
                  {"P101": ServicePoint("P101", "101", "101", ("NOI",)),
                   "P102": ServicePoint("P102", "102", "102", ("NOI",)),
                   "P201": ServicePoint("P201", "201", "201", ("MAT",))})


def ticket(service="NOI", point=None, status=TicketStatus.WAITING):
    return Ticket("t1", "v1", service, T0.date(), 1, "N001", status, "self_pay", None, 1, 0.0, T0, 0, 0,
                  service_point=point)


def test_a_point_bound_lane_covers_its_points_services_only():
    lane = Lane.of_points(frozenset({"P101"}), CATALOG)
    assert lane.services == {"NOI"} and not lane.unlimited
    lane.require_read(ticket())
    lane.require_act(ticket(point="P101", status=TicketStatus.CALLED))
    for refused in (lambda: lane.require_read(ticket("MAT")),
                    lambda: lane.require_act(ticket("MAT")),
                    lambda: lane.require_act(ticket(point="P102", status=TicketStatus.CALLED))):
        with pytest.raises(DomainError) as e:
            refused()
        assert e.value.code == "FORBIDDEN"
    # Reading a colleague's patient of the same service is fine; acting on them is not.
    lane.require_read(ticket(point="P102", status=TicketStatus.CALLED))


def test_reception_and_admin_lanes_are_unlimited():
    lane = Lane.of_points(None, CATALOG)
    assert lane.unlimited
    lane.require_act(ticket("MAT", point="P201", status=TicketStatus.CALLED))


def test_self_service_may_only_declare_and_declarations_stay_unconfirmed():
    assert ticket_priority(P.PREGNANT, None, by_staff=False) == (P.PREGNANT, False)
    assert ticket_priority(None, P.ELDERLY_75, by_staff=False) == (P.ELDERLY_75, True)
    assert ticket_priority(P.SEVERE_DISABILITY, P.CHILD_UNDER_6, by_staff=False) == (P.CHILD_UNDER_6, True)
    assert ticket_priority(None, None, by_staff=False) == (None, True)
    for claim in (P.EMERGENCY, P.ELDERLY_75, P.CHILD_UNDER_6, P.APPOINTMENT):
        with pytest.raises(DomainError) as e:
            ticket_priority(claim, None, by_staff=False)
        assert e.value.code == "PRIORITY_NOT_DECLARABLE"


def test_staff_vouch_for_what_they_set_but_not_for_an_appointment():
    assert ticket_priority(P.EMERGENCY, None, by_staff=True) == (P.EMERGENCY, True)
    assert ticket_priority(P.PREGNANT, P.ELDERLY_75, by_staff=True) == (P.PREGNANT, True)
    with pytest.raises(DomainError):
        ticket_priority(P.APPOINTMENT, None, by_staff=True)


def test_only_unconfirmed_declarable_reasons_read_as_declared():
    assert is_declared(P.PREGNANT, False) and not is_declared(P.PREGNANT, True)
    assert not is_declared(P.ELDERLY_75, False) and not is_declared(P.EMERGENCY, False)
    assert not is_declared(None, False)


@pytest.mark.parametrize("old", [None, P.PREGNANT, P.EMERGENCY])
@pytest.mark.parametrize("new", [None, P.ELDERLY_75, P.EMERGENCY])
def test_a_priority_change_keeps_the_arrival(old, new):
    arrived = T0 + timedelta(minutes=7)
    changed = replace_priority(queue_place(arrived, old, 30), old, new, 30)
    assert changed == queue_place(arrived, new, 30)
    assert isinstance(changed, QueuePlace)


def test_a_track_token_lives_through_its_day_and_the_configured_days_after():
    day = date(2026, 11, 23)
    assert not track_token_expired(day, day, 7)
    assert not track_token_expired(day, day + timedelta(days=7), 7)
    assert track_token_expired(day, day + timedelta(days=8), 7)
    assert track_token_expired(day, day + timedelta(days=1), 0)
    assert not track_token_expired(day, day - timedelta(days=1), 0)  # a clock set back never locks out
