"""Invoices and the staff lanes: a room reads the invoices of its own services' patients only and
never starts a payment elsewhere; the cashier's lane is the hospital's money (every invoice, charges,
refunds, reconciliation); money actions stay with cashier and admin."""
from tests.integration.payments_api.conftest import issue_self_pay


def forbidden(r):
    assert r.status_code == 403, (r.status_code, r.get_json())
    assert r.get_json()["code"] == "FORBIDDEN"
    return True


def test_a_room_reads_only_its_own_services_invoices(backend):
    backend.add_staff("bs101", "room", ["P101"])
    room = backend.login("bs101")
    eye, mine = issue_self_pay(backend, "KHAM-MAT"), issue_self_pay(backend, "KHAM-NOI")
    other_invoice, own_invoice = eye["invoice"]["id"], mine["invoice"]["id"]
    r = room.get(f"/api/v1/invoices/{other_invoice}", headers={"Accept-Language": "en"})
    assert forbidden(r) and r.get_json()["title"] == "You are not allowed to do this"
    assert "amount" not in r.get_json()
    for path in (f"/api/v1/invoices/{other_invoice}/qr.png", f"/api/v1/invoices/{other_invoice}/qr.svg"):
        assert forbidden(room.get(path))
    assert forbidden(room.post(f"/api/v1/invoices/{other_invoice}/vietqr"))
    assert forbidden(room.post(f"/api/v1/invoices/{other_invoice}/vnpay", json={}))
    with backend.deps.uow.read() as uow:
        assert uow.payment_attempts.for_invoice(other_invoice) == []
    ok = room.get(f"/api/v1/invoices/{own_invoice}")
    assert ok.status_code == 200 and ok.get_json()["ticket_id"] == mine["id"]


def test_a_charge_on_the_visit_follows_the_visits_services(backend):
    """A charge pushed onto a visit (no ticket) belongs to every service that visit went through."""
    backend.add_staff("bs101", "room", ["P101"])
    backend.add_staff("bs201", "room", ["P201"])
    backend.add_staff("thu", "cashier", ["TN1"])
    room101, room201, cashier = backend.login("bs101"), backend.login("bs201"), backend.login("thu")
    t = issue_self_pay(backend, "KHAM-NOI")
    charge = cashier.post("/api/v1/invoices", json={"visit_id": t["visit_id"], "amount": 120_000,
                                                    "description": "Xét nghiệm máu"})
    assert charge.status_code == 201, charge.get_json()
    invoice_id = charge.get_json()["id"]
    assert room101.get(f"/api/v1/invoices/{invoice_id}").status_code == 200
    assert forbidden(room201.get(f"/api/v1/invoices/{invoice_id}"))


def test_money_actions_stay_with_cashier_and_admin(backend):
    backend.add_staff("bs101", "room", ["P101"])
    backend.add_staff("hoa", "reception")
    backend.add_staff("thu", "cashier", ["TN1"])
    room, reception, cashier = backend.login("bs101"), backend.login("hoa"), backend.login("thu")
    t = issue_self_pay(backend, "KHAM-NOI")
    for who in (room, reception):
        assert forbidden(who.post("/api/v1/invoices", json={"ticket_id": t["id"], "amount": 1000,
                                                            "description": "x"}))
        assert forbidden(who.post(f"/api/v1/invoices/{t['invoice']['id']}/refund", json={"method": "manual"}))
        assert forbidden(who.get("/api/v1/payments/reconciliation"))
    # The cashier desk takes money for every service of the hospital.
    eye = issue_self_pay(backend, "KHAM-MAT")
    assert cashier.get(f"/api/v1/invoices/{eye['invoice']['id']}").status_code == 200
    assert cashier.get("/api/v1/payments/reconciliation").status_code == 200
