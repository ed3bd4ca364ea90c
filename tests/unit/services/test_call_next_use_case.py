"""Calling the next patient: priority first, then arrival, a declared priority counting as an
arrival `priority_boost_min` (30) minutes earlier; emergencies before everyone; unpaid fees held."""
import pytest

from backend.domain.errors import DomainError
from backend.domain.priority import PriorityClass
from backend.domain.tickets import Action, TicketStatus
from backend.services.calling import StaffScope, act, call_next

ANYWHERE = StaffScope("staff:s1", None)


def test_arrival_order_without_priority(deps, issue, clock):
    first = issue()
    clock.advance(minutes=1)
    second = issue()
    assert call_next(deps, "P1", ANYWHERE).id == first.id
    assert call_next(deps, "P2", ANYWHERE).id == second.id
    assert call_next(deps, "P2", ANYWHERE, no_show=True) is None  # P2's patient a no-show, queue empty


def test_a_priority_patient_goes_ahead_of_those_who_came_less_than_the_boost_before(deps, issue, clock):
    early = issue()                                       # 08:00
    clock.advance(minutes=10)
    recent = issue()                                      # 08:10
    clock.advance(minutes=25)
    elderly = issue(priority=PriorityClass.ELDERLY_75)    # 08:35, counts as 08:05
    order = [call_next(deps, point, ANYWHERE, no_show=True).id for point in ("P1", "P2", "P1")]
    assert order == [early.id, elderly.id, recent.id]


def test_an_emergency_goes_first_whenever_it_came(deps, issue, clock):
    elderly = issue(priority=PriorityClass.ELDERLY_75)
    clock.advance(hours=2)
    emergency = issue(priority=PriorityClass.EMERGENCY)
    assert call_next(deps, "P1", ANYWHERE).id == emergency.id
    assert call_next(deps, "P2", ANYWHERE).id == elderly.id


def test_calling_records_the_call_and_finishes_the_patient_being_served(deps, issue, clock, publisher):
    first, second = issue(), issue()
    called = call_next(deps, "P1", ANYWHERE)
    assert called.id == first.id and called.status is TicketStatus.CALLED
    assert called.service_point == "P1" and called.called_at == clock.now
    clock.advance(minutes=1)
    act(deps, first.id, Action.START, ANYWHERE)
    clock.advance(minutes=4)
    assert call_next(deps, "P1", ANYWHERE).id == second.id
    with deps.uow.read() as uow:
        done = uow.tickets.get(first.id)
        assert done.status is TicketStatus.DONE and done.finished_at == clock.now
        assert [e["action"] for e in uow.tickets.events(first.id)] == ["issue", "call", "start", "auto_finish"]
        assert uow.tickets.waiting_count("KB", first.day) == 0
        # The four minutes from the start moved the service's average from its default (300 s).
        assert 240 <= uow.service_times.average("KB") < 300
    assert [action for action, _ in publisher.events] == ["issue", "issue", "call", "start", "finish", "call"]


def test_next_over_a_patient_only_called_asks_first_then_makes_a_no_show(deps, issue, clock, publisher):
    first, second = issue(), issue()
    call_next(deps, "P1", ANYWHERE)
    clock.advance(seconds=1)  # N pressed twice
    with pytest.raises(DomainError) as refused:
        call_next(deps, "P1", ANYWHERE)
    assert refused.value.code == "CURRENT_NOT_SERVED"
    assert refused.value.context == {"ticket_id": first.id, "display_number": first.display_number}
    with deps.uow.read() as uow:
        assert uow.tickets.get(first.id).status is TicketStatus.CALLED
        assert uow.tickets.get(second.id).status is TicketStatus.WAITING
    clock.advance(minutes=3)
    assert call_next(deps, "P1", ANYWHERE, no_show=True).id == second.id
    with deps.uow.read() as uow:
        gone = uow.tickets.get(first.id)
        assert gone.status is TicketStatus.SKIPPED and gone.finished_at is None
        assert [e["action"] for e in uow.tickets.events(first.id)] == ["issue", "call", "no_show"]
        assert uow.service_times.average("KB") is None  # no service happened: nothing to average
    assert [action for action, _ in publisher.events] == ["issue", "issue", "call", "skip", "call"]
    # The no-show rule: back in the queue once.
    assert act(deps, first.id, Action.REQUEUE, ANYWHERE).status is TicketStatus.WAITING


def test_a_ticket_whose_fee_is_due_first_waits_until_it_is_paid(deps, issue, clock):
    unpaid = issue("KN", coverage="self_pay")
    clock.advance(minutes=1)
    insured = issue("KN", coverage="bhyt")
    assert call_next(deps, "P1", ANYWHERE).id == insured.id
    with deps.uow.write() as uow:
        uow.invoices.mark_ticket_paid(unpaid.id)
        uow.commit()
    assert call_next(deps, "P1", ANYWHERE, no_show=True).id == unpaid.id


def test_a_point_outside_the_staff_lane_is_refused(deps, issue, store):
    ticket = issue()
    lab_only = StaffScope("staff:s2", frozenset({"LAB"}), frozenset({"XN"}))
    with pytest.raises(DomainError) as refused:
        call_next(deps, "P1", lab_only)
    assert refused.value.code == "FORBIDDEN"
    assert store.state.tickets[ticket.id].status is TicketStatus.WAITING
