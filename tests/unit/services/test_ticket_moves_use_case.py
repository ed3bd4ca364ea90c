"""Finishing, transferring and cancelling a ticket: each move kept in the ticket's history."""
import pytest

from backend.domain.errors import DomainError
from backend.domain.priority import PriorityClass
from backend.domain.tickets import Action, TicketStatus
from backend.services.calling import StaffScope, act, call_next, transfer
from backend.services.tickets import cancel_ticket, describe

DOCTOR = StaffScope("staff:doctor", None)


def test_finish_keeps_the_history_and_learns_the_service_time(deps, issue, clock):
    ticket = issue()
    call_next(deps, "P1", DOCTOR)
    clock.advance(minutes=1)
    act(deps, ticket.id, Action.START, DOCTOR)
    clock.advance(minutes=10)
    done = act(deps, ticket.id, Action.FINISH, DOCTOR)
    assert done.status is TicketStatus.DONE and done.finished_at == clock.now
    with deps.uow.read() as uow:
        events = uow.tickets.events(ticket.id)
        assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [
            ("issue", None, "waiting"), ("call", "waiting", "called"), ("start", "called", "serving"),
            ("finish", "serving", "done")]
        assert {e["actor"] for e in events[1:]} == {"staff:doctor"}
        # Ten minutes from the start (not the call) pull the 300 s default up.
        assert 300 < uow.service_times.average("KB") <= 600
    with pytest.raises(DomainError) as again:
        act(deps, ticket.id, Action.FINISH, DOCTOR)
    assert again.value.code == "INVALID_TRANSITION"


def test_transfer_sends_the_patient_on_in_the_same_visit_with_their_priority(deps, issue, clock):
    ticket = issue(priority=PriorityClass.PREGNANT)
    call_next(deps, "P1", DOCTOR)
    act(deps, ticket.id, Action.START, DOCTOR)
    clock.advance(minutes=5)
    source, new = transfer(deps, ticket.id, "XN", DOCTOR)
    assert source.status is TicketStatus.DONE
    assert new.service_code == "XN" and new.display_number == "X001"
    assert new.visit_id == ticket.visit_id and new.transferred_from == ticket.id
    assert new.priority is PriorityClass.PREGNANT and new.status is TicketStatus.WAITING
    with deps.uow.read() as uow:
        assert [e["action"] for e in uow.tickets.events(ticket.id)] == [
            "issue", "call", "start", "finish", "transfer"]
        assert [e["actor"] for e in uow.tickets.events(new.id)] == ["staff:doctor"]
        assert [t.id for t in uow.tickets.for_visit(ticket.visit_id)] == [ticket.id, new.id]
        assert uow.state.ticket_issued_by[new.id] == "staff:doctor"


def test_transfer_to_the_same_service_or_from_a_waiting_ticket_is_refused(deps, issue, store):
    ticket = issue()
    with pytest.raises(DomainError) as waiting:
        transfer(deps, ticket.id, "XN", DOCTOR)
    assert waiting.value.code == "INVALID_TRANSITION"
    call_next(deps, "P1", DOCTOR)
    act(deps, ticket.id, Action.START, DOCTOR)
    with pytest.raises(DomainError) as same:
        transfer(deps, ticket.id, "KB", DOCTOR)
    assert same.value.code == "VALIDATION_ERROR"
    assert len(store.state.tickets) == 1
    assert store.state.tickets[ticket.id].status is TicketStatus.SERVING


def test_cancel_takes_the_ticket_out_of_the_queue(deps, issue, clock):
    first, second = issue(), issue()
    view = cancel_ticket(deps, first.id, "patient")
    assert view.ticket.status is TicketStatus.CANCELLED and view.position is None
    with deps.uow.read() as uow:
        assert uow.tickets.waiting_count("KB", first.day) == 1
        # The one behind moves up.
        assert uow.tickets.people_ahead("KB", second.day, second.rank, second.queue_key,
                                        second.number) == 0
        assert uow.tickets.events(first.id)[-1] | {"id": None} == {
            "id": None, "ticket_id": first.id, "at": clock.now, "action": "cancel",
            "from_status": "waiting", "to_status": "cancelled", "actor": "patient", "service_point": None}
    assert call_next(deps, "P1", DOCTOR).id == second.id
    with pytest.raises(DomainError) as twice:
        cancel_ticket(deps, first.id, "patient")
    assert twice.value.code == "INVALID_TRANSITION"


def test_cancel_of_an_unknown_ticket(deps):
    with pytest.raises(DomainError) as missing:
        cancel_ticket(deps, "no-such-ticket", "patient")
    assert missing.value.code == "TICKET_NOT_FOUND"


def test_a_ticket_is_sent_on_once_unless_its_replacement_was_cancelled(deps, issue, clock):
    ticket = issue()
    call_next(deps, "P1", DOCTOR)
    with pytest.raises(DomainError) as only_called:
        transfer(deps, ticket.id, "XN", DOCTOR)
    assert only_called.value.code == "NOT_BEING_SERVED"
    act(deps, ticket.id, Action.START, DOCTOR)
    _, lab = transfer(deps, ticket.id, "XN", DOCTOR)
    with pytest.raises(DomainError) as twice:
        transfer(deps, ticket.id, "XN", DOCTOR)
    assert twice.value.code == "ALREADY_TRANSFERRED"
    assert twice.value.context == {"ticket_id": lab.id, "display_number": lab.display_number}
    cancel_ticket(deps, lab.id, "patient")
    clock.advance(minutes=1)
    _, again = transfer(deps, ticket.id, "XN", DOCTOR)  # the doctor sends them on anew
    with deps.uow.read() as uow:
        view = describe(uow, deps, uow.tickets.get(ticket.id))
    assert view.replaced_by.ticket.id == again.id and view.current.ticket.id == again.id
