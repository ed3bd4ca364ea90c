import pytest

from backend.domain.errors import DomainError
from datetime import datetime, timedelta, timezone

from backend.domain.tickets import (
    Action,
    Ticket,
    TicketStatus as S,
    check_requeue,
    closing_at_call_next,
    follow_transfers,
    next_status,
    requeue_allowed,
    service_seconds,
    transfer_source,
)

ALLOWED = {
    (S.WAITING, Action.CALL): S.CALLED,
    (S.CALLED, Action.RECALL): S.CALLED,
    (S.CALLED, Action.START): S.SERVING,
    (S.SERVING, Action.FINISH): S.DONE,
    (S.CALLED, Action.SKIP): S.SKIPPED,
    (S.SKIPPED, Action.REQUEUE): S.WAITING,
    (S.WAITING, Action.CANCEL): S.CANCELLED,
    (S.CALLED, Action.CANCEL): S.CANCELLED,
    (S.SERVING, Action.CANCEL): S.CANCELLED,
    (S.SKIPPED, Action.CANCEL): S.CANCELLED,
    (S.SERVING, Action.TRANSFER): S.DONE,
    (S.DONE, Action.TRANSFER): S.DONE,
}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(Action))
def test_every_status_action_pair(status, action):
    """The whole transition table: allowed pairs land where DESIGN.md says, all others refuse."""
    if (status, action) in ALLOWED:
        assert next_status(status, action) is ALLOWED[(status, action)]
    else:
        with pytest.raises(DomainError) as exc:
            next_status(status, action)
        expected = "NOT_BEING_SERVED" if status is S.CALLED and action in (Action.FINISH, Action.TRANSFER) \
            else "INVALID_TRANSITION"
        assert exc.value.code == expected


def test_done_and_cancelled_are_final_except_transfer():
    for action in Action:
        if action is Action.TRANSFER:
            continue
        for final in (S.DONE, S.CANCELLED):
            with pytest.raises(DomainError):
                next_status(final, action)


def test_requeue_only_once_by_default():
    check_requeue(0, 1)
    with pytest.raises(DomainError) as exc:
        check_requeue(1, 1)
    assert exc.value.code == "REQUEUE_LIMIT"


def test_only_a_patient_being_served_can_be_finished():
    assert next_status(S.SERVING, Action.FINISH) is S.DONE
    with pytest.raises(DomainError) as exc:
        next_status(S.CALLED, Action.FINISH)
    assert exc.value.code == "NOT_BEING_SERVED"


def test_call_next_finishes_a_served_patient_and_asks_before_a_no_show():
    assert closing_at_call_next(S.SERVING, no_show=False) is Action.FINISH
    assert closing_at_call_next(S.SERVING, no_show=True) is Action.FINISH  # they were seen: done
    assert closing_at_call_next(S.CALLED, no_show=True) is Action.SKIP
    with pytest.raises(DomainError) as exc:
        closing_at_call_next(S.CALLED, no_show=False)
    assert exc.value.code == "CURRENT_NOT_SERVED"


T0 = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)


def ticket(id_, status=S.DONE, transferred_from=None, **kw):
    return Ticket(id=id_, visit_id="v1", service_code="KHAM-NOI", day=T0.date(), number=1,
                  display_number="N" + id_, status=status, coverage="self_pay", priority=None, rank=0,
                  queue_key=0.0, issued_at=T0, estimated_wait_min=0, people_ahead_at_issue=0,
                  transferred_from=transferred_from, **kw)


def test_a_service_lasts_from_its_start_only():
    called_only = ticket("1", called_at=T0)
    assert service_seconds(called_only, T0 + timedelta(minutes=3)) is None
    seen = ticket("2", called_at=T0, started_at=T0 + timedelta(minutes=1))
    assert service_seconds(seen, T0 + timedelta(minutes=7)) == 360


def test_transfer_needs_a_seen_patient_and_happens_once():
    assert transfer_source(S.SERVING, replaced=False) is Action.FINISH  # finished, then sent on
    assert transfer_source(S.DONE, replaced=False) is None
    with pytest.raises(DomainError) as exc:
        transfer_source(S.DONE, replaced=True)
    assert exc.value.code == "ALREADY_TRANSFERRED"
    for status in (S.WAITING, S.CALLED, S.SKIPPED, S.CANCELLED):
        with pytest.raises(DomainError):
            transfer_source(status, replaced=False)


def test_a_visit_is_followed_along_its_transfers():
    a = ticket("a")
    b = ticket("b", transferred_from="a")
    c = ticket("c", status=S.WAITING, transferred_from="b")
    other = ticket("z", status=S.WAITING)  # same visit, not on this chain
    visit = [other, c, a, b]
    assert follow_transfers(a, visit) == (b, c)
    assert follow_transfers(b, visit) == (c, c)
    assert follow_transfers(c, visit) == (None, c)
    assert follow_transfers(other, visit) == (None, other)
    loop = [ticket("p", transferred_from="q"), ticket("q", transferred_from="p")]
    assert follow_transfers(loop[0], loop)[1] in loop  # bad data never loops forever


def test_a_no_show_may_be_requeued_while_it_has_requeues_left():
    assert requeue_allowed(ticket("1", status=S.SKIPPED), 1)
    assert not requeue_allowed(ticket("1", status=S.SKIPPED, requeue_count=1), 1)
    assert not requeue_allowed(ticket("1", status=S.CALLED), 1)
