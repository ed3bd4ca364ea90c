"""Issuing a ticket: numbering per day and prefix, the queue place, the wait, the self-pay fee."""
from dataclasses import replace

import pytest

from backend.domain.errors import DomainError
from backend.domain.invoices import InvoiceKind, InvoiceStatus
from backend.domain.tickets import TicketStatus
from backend.domain.tokens import TokenSigner
from backend.services.tickets import IssueTicket, issue_ticket


def test_numbers_count_per_service_with_its_prefix(issue):
    a1, a2 = issue("KB"), issue("KB")
    b1 = issue("KN", coverage="bhyt")
    a3 = issue("KB")
    assert [t.display_number for t in (a1, a2, b1, a3)] == ["A001", "A002", "B001", "A003"]
    assert [t.number for t in (a1, a2, b1, a3)] == [1, 2, 1, 3]


def test_numbering_starts_again_each_hospital_day(issue, clock):
    assert issue("KB").display_number == "A001"
    assert issue("KB").display_number == "A002"
    # 23:59 in Hà Nội is still the same day; one minute later is the next one.
    clock.now = clock.now.replace(hour=16, minute=59)
    assert issue("KB").display_number == "A003"
    clock.advance(minutes=1)
    tomorrow = issue("KB")
    assert tomorrow.display_number == "A001"
    assert tomorrow.day.isoformat() == "2026-03-03"


def test_a_new_ticket_waits_behind_the_queue_with_its_wait_estimated(deps, issue, render, clock):
    first = issue("KB")
    clock.advance(minutes=1)
    second = issue("KB")
    clock.advance(minutes=1)
    issued = issue_ticket(deps, IssueTicket(service_code="KB", coverage="bhyt", issued_by="device:kiosk-1"))
    assert issued.replayed is False
    body = render(issued.result)
    assert first.people_ahead_at_issue == 0 and second.people_ahead_at_issue == 1
    assert body["people_ahead"] == 2 and body["position"] == 3
    # Two people ahead, two points serving KB (P1, P2), 300 s each: 5 minutes.
    assert body["estimated_wait_min"] == 5
    with deps.uow.read() as uow:
        assert uow.tickets.waiting_count("KB", first.day) == 3
        assert uow.tickets.events(first.id)[0]["action"] == "issue"
        # Each kiosk ticket opens its own visit.
        assert len({t.visit_id for t in uow.tickets.for_day(first.day)}) == 3


def test_a_self_pay_fee_opens_an_invoice_and_holds_the_ticket_unpaid(deps, issue):
    ticket = issue("KN", coverage="self_pay")
    assert ticket.payment_required is True and ticket.paid is False
    with deps.uow.read() as uow:
        [invoice] = uow.invoices.for_ticket(ticket.id)
        assert invoice.kind is InvoiceKind.EXAM_FEE and invoice.status is InvoiceStatus.PENDING
        assert invoice.amount == 150_000 and invoice.visit_id == ticket.visit_id
        assert invoice.device_id == "kiosk-1" and invoice.due_before_call is True
    # BHYT has no fee to pay: no invoice, nothing held.
    insured = issue("KN", coverage="bhyt")
    assert insured.paid is True
    with deps.uow.read() as uow:
        assert uow.invoices.for_ticket(insured.id) == []


def test_a_closed_queue_or_a_refused_coverage_stores_nothing(deps, store):
    with pytest.raises(DomainError) as closed:
        issue_ticket(deps, IssueTicket(service_code="DEM", coverage="bhyt"))
    assert closed.value.code == "QUEUE_CLOSED"
    with pytest.raises(DomainError) as refused:
        issue_ticket(deps, IssueTicket(service_code="DEM", coverage="self_pay"))
    assert refused.value.code == "COVERAGE_NOT_ALLOWED"
    assert store.state.tickets == {} and store.state.counters == {}


class BrokenSigner(TokenSigner):
    def track_token(self, ticket_id: str) -> str:
        raise RuntimeError("signer failed")


def test_a_failure_inside_the_transaction_leaves_no_number_taken(deps, store, issue):
    issue("KB")
    broken = replace(deps, signer=BrokenSigner(b"unit-test-signing-secret"))
    with pytest.raises(RuntimeError):
        issue_ticket(broken, IssueTicket(service_code="KB", coverage="bhyt"))
    # Rolled back: the failed ticket's number is free again and nothing waits for it.
    assert [t.display_number for t in store.state.tickets.values()] == ["A001"]
    assert issue("KB").display_number == "A002"
    assert all(t.status is TicketStatus.WAITING for t in store.state.tickets.values())
