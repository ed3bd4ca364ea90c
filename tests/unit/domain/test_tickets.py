import pytest

from backend.domain.errors import DomainError
from backend.domain.tickets import Action, TicketStatus as S, check_requeue, next_status

ALLOWED = {
    (S.WAITING, Action.CALL): S.CALLED,
    (S.CALLED, Action.RECALL): S.CALLED,
    (S.CALLED, Action.START): S.SERVING,
    (S.CALLED, Action.FINISH): S.DONE,
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
        assert exc.value.code == "INVALID_TRANSITION"


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
