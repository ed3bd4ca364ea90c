"""Services return typed results, never JSON: an idempotency record keeps the first *result* as data
(services/snapshots.py) and a replay hands the same result back, so the route's presenter renders
byte-identical JSON, however the queue has moved since."""
import json
from datetime import datetime, timezone

from backend.domain.appointments import AppointmentStatus
from backend.services.accounts import Link
from backend.services.appointments import AppointmentView
from backend.services.idempotency import IdempotencyRequest
from backend.services.snapshots import from_data, to_data
from backend.services.tickets import IssueTicket, TicketView, issue_ticket

BODY = {"service_code": "KN", "coverage": "self_pay"}


def _idem(key="k-1"):
    return IdempotencyRequest.of("device:kiosk-1", key, "POST", "/api/v1/tickets", BODY)


def _issue(deps, idem):
    return issue_ticket(deps, IssueTicket(service_code="KN", coverage="self_pay", issued_by="device:kiosk-1"), idem)


def _wire(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False).encode()  # as Flask sends it


def test_the_use_case_returns_a_typed_result_and_the_record_keeps_its_data(deps, store):
    issued = _issue(deps, _idem())
    assert isinstance(issued.result, TicketView) and issued.replayed is False
    assert issued.result.invoice is not None and issued.result.invoice.amount == 150_000
    [record] = store.state.idempotency.values()
    stored = json.loads(record.body)
    assert stored["format"] == "snapshot/1"
    assert stored["result"]["ticket"]["display_number"] == "B001"
    assert "track_url" not in json.dumps(stored)  # nothing a presenter adds: the result's data only


def test_a_replay_is_the_first_result_and_renders_the_same_bytes(deps, render, clock, issue, store, publisher):
    first = _issue(deps, _idem())
    clock.advance(minutes=20)
    issue("KN")  # the queue moves on: a replay still shows the first answer's place and wait
    again = _issue(deps, _idem())
    assert again.replayed is True
    assert again.result == first.result
    assert _wire(render(again.result)) == _wire(render(first.result))
    assert len(store.state.tickets) == 2
    assert [action for action, _ in publisher.events] == ["issue", "issue"]  # the replay published nothing


def test_a_record_from_before_results_were_kept_replays_the_ticket_as_it_is_now(deps, store):
    first = _issue(deps, _idem())
    [record] = store.state.idempotency.values()
    record.body = json.dumps({"id": first.result.ticket.id, "display_number": "B001"})  # a rendered body
    again = _issue(deps, _idem())
    assert again.replayed is True and again.result.ticket == first.result.ticket
    assert len(store.state.tickets) == 1


def test_an_appointment_result_survives_the_round_trip():
    at = datetime(2026, 11, 24, 1, 0, tzinfo=timezone.utc)
    view = AppointmentView(
        id="a1", service_code="KHAM-NOI", coverage="bhyt", slot_start=at, slot_end=at, status=AppointmentStatus.BOOKED,
        created_at=at, patient=Link("l1", "p1", "self", "N*** V** A*", at), checked_in_at=None, arrival=None,
        ticket_id=None, qr_payload="TDA1.a1.mac", check_in_from=at)
    data = json.loads(json.dumps(to_data(view)))
    assert from_data(AppointmentView, data) == view
    assert from_data(AppointmentView, {**data, "patient": None}).patient is None
