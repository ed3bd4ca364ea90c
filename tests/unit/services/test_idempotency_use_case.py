"""Idempotency-Key on ticket issue: the same key and body replay the first answer and issue
nothing new; the same key with another body is refused (the API answers 422) and changes nothing."""
import pytest

from backend.domain.errors import DomainError
from backend.services.idempotency import IdempotencyRequest
from backend.services.tickets import IssueTicket, issue_ticket

BODY = {"service_code": "KB", "coverage": "bhyt"}


def _request(key: str, body: dict, scope: str = "device:kiosk-1") -> IdempotencyRequest:
    return IdempotencyRequest.of(scope, key, "POST", "/api/v1/tickets", body)


def _issue(deps, render, idem, service="KB"):
    """(what the client gets back, replayed)"""
    issued = issue_ticket(deps, IssueTicket(service_code=service, coverage="bhyt", issued_by="device:kiosk-1"), idem)
    return render(issued.result), issued.replayed


def test_the_same_key_and_body_replays_the_first_answer(deps, render, store, publisher):
    first, replayed_first = _issue(deps, render, _request("k-1", BODY))
    again, replayed_again = _issue(deps, render, _request("k-1", dict(reversed(BODY.items()))))
    assert replayed_first is False and replayed_again is True
    assert again == first
    assert len(store.state.tickets) == 1
    assert [action for action, _ in publisher.events] == ["issue"]  # the replay published nothing


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(deps, render, store):
    first, _ = _issue(deps, render, _request("k-1", BODY))
    other = {"service_code": "KN", "coverage": "bhyt"}
    with pytest.raises(DomainError) as reused:
        _issue(deps, render, _request("k-1", other), service="KN")
    assert reused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert [t.id for t in store.state.tickets.values()] == [first["id"]]
    assert ("KN", next(iter(store.state.tickets.values())).day) not in store.state.counters


def test_keys_are_per_client_and_no_key_means_a_new_ticket_each_time(deps, render, store):
    mine, _ = _issue(deps, render, _request("k-1", BODY))
    theirs, replayed = _issue(deps, render, _request("k-1", BODY, scope="device:kiosk-2"))
    assert replayed is False and theirs["id"] != mine["id"]
    plain_1, _ = _issue(deps, render, None)
    plain_2, _ = _issue(deps, render, None)
    assert plain_1["number"] == "A003" and plain_2["number"] == "A004"
    assert len(store.state.tickets) == 4
