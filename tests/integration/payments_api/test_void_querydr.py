"""Issue 17 item 6, the third way money arrives: a VNPay payment whose IPN never came, found by the
querydr pass (real backend over HTTP, the VNPay simulator answering querydr), after its ticket was
cancelled: confirmed, held and listed for refund, never taken."""
from datetime import timedelta

import pytest
import requests

from backend.services import payments as payment_service
from tests.integration.payments_api.test_vnpay_simulator_e2e import make_world, self_pay_ticket_with_vnpay


@pytest.fixture
def world(sqlite_url, tmp_path, serve):
    w = make_world(sqlite_url, tmp_path, serve)
    yield w
    w.backend.app.extensions["tiepdon"].engine.dispose()


def test_querydr_finds_money_for_a_cancelled_ticket_and_holds_it(world):
    world.sim("/_sim/config", drop_ipn=True)
    ticket, start = self_pay_ticket_with_vnpay(world)
    assert world.sim("/_sim/pay", payment_url=start["payment_url"]).status_code == 200
    r = requests.post(f"{world.url}/api/v1/tickets/{ticket['id']}/cancel", params={"token": ticket["track_token"]},
                      timeout=5)
    assert r.status_code == 200
    report = payment_service.reconcile(world.backend.deps, min_age=timedelta(0))
    assert report.get("late") == 1, report
    invoice = world.invoice(ticket["invoice"]["id"])
    assert invoice["status"] == "void" and invoice["needs_refund"] is True
    assert [a["status"] for a in invoice["attempts"]] == ["late"]
    assert [(i["reason"], i["txn_ref"]) for i in invoice["reconciliation"]] == [("void", start["txn_ref"])]
