"""Priority by law, by channel: a kiosk (any self-service channel) may only declare the reasons the law
leaves to a declaration (pregnancy, severe disability, revolutionary merit); staff see them as
declared until they confirm or reject them; age comes from a verified birth date; emergency only
from staff."""
import pytest

from tests.integration.api.test_tickets_api import ticket_count


def kiosk_issue(backend, service="KHAM-NOI", **extra):
    return backend.client().post("/api/v1/tickets", json={"service_code": service, "coverage": "self_pay", **extra},
                                 headers=backend.kiosk_headers())


def issue(backend, service="KHAM-NOI", **extra):
    r = kiosk_issue(backend, service, **extra)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


@pytest.fixture
def reception(backend):
    backend.add_staff("hoa", "reception")
    return backend.login("hoa")


@pytest.fixture
def room101(backend):
    backend.add_staff("bs101", "room", ["P101"])
    return backend.login("bs101")


def waiting_order(client, service="KHAM-NOI"):
    return [t["id"] for t in client.get(f"/api/v1/tickets?service={service}&status=waiting").get_json()["tickets"]]


@pytest.mark.parametrize("reason, code", [
    ("emergency", "PRIORITY_NOT_DECLARABLE"), ("elderly_75", "PRIORITY_NOT_DECLARABLE"),
    ("child_under_6", "PRIORITY_NOT_DECLARABLE"),
    ("appointment", "VALIDATION_ERROR"),  # not a value any client may send
])
def test_a_kiosk_cannot_claim_what_only_staff_or_a_card_can_give(backend, reception, clock, reason, code):
    first = issue(backend)
    clock.advance(minutes=1)
    before = ticket_count(backend)
    r = kiosk_issue(backend, priority_reason=reason)
    assert r.status_code == 422 and r.get_json()["code"] == code
    assert r.headers["Content-Type"] == "application/problem+json"
    if code == "PRIORITY_NOT_DECLARABLE":
        assert r.get_json()["title"].startswith("Lý do ưu tiên")
        en = backend.client().post(
            "/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay", "priority_reason": reason},
            headers=backend.kiosk_headers(**{"Accept-Language": "en"}))
        assert en.status_code == 422 and "staff" in en.get_json()["title"]
    assert ticket_count(backend) == before
    # The queue order is untouched: the patient who came first is called first.
    assert waiting_order(reception) == [first["id"]]
    assert reception.post("/api/v1/service-points/P101/call-next").get_json()["id"] == first["id"]


def test_a_declared_reason_is_marked_declared_for_staff(backend, reception, clock):
    plain = issue(backend)
    clock.advance(minutes=1)
    declared = issue(backend, priority_reason="pregnant")
    assert declared["priority"]["code"] == "pregnant"
    assert declared["priority"]["status"] == "declared"
    assert declared["priority"]["status_vi"] and declared["priority"]["status_en"] == "Declared, to be confirmed"
    # Staff see the mark wherever the ticket shows: the ticket, the lists, the queue overview.
    seen = reception.get(f"/api/v1/tickets/{declared['id']}").get_json()
    assert seen["priority"]["status"] == "declared"
    listed = reception.get("/api/v1/tickets?service=KHAM-NOI&status=waiting").get_json()["tickets"]
    assert [t["priority"] and t["priority"]["status"] for t in listed] == ["declared", None]
    # The law owes the priority now: the declared patient waits ahead while staff have not looked yet.
    assert waiting_order(reception) == [declared["id"], plain["id"]]


def test_staff_confirm_a_declared_reason_and_it_is_audited(backend, room101, clock):
    backend.add_staff("quantri", "admin")
    admin = backend.login("quantri")
    t = issue(backend, priority_reason="severe_disability")
    r = room101.post(f"/api/v1/tickets/{t['id']}/priority", json={"reason": "severe_disability", "confirmed": True})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["priority"] == {**t["priority"], "status": "confirmed", "status_vi": "Đã xác nhận",
                                        "status_en": "Confirmed"}
    assert backend.publisher.events[-1][0] == "priority"
    start, end = (clock.now.replace(hour=0)).isoformat(), (clock.now.replace(hour=23)).isoformat()
    entries = admin.get("/api/v1/audit", query_string={"from": start, "to": end}).get_json()["entries"]
    assert any(e["action"] == "ticket.priority" and e["subject"] == t["id"] for e in entries)


def test_staff_reject_a_declared_reason_and_the_boost_goes(backend, reception, clock):
    plain = issue(backend)
    clock.advance(minutes=1)
    t = issue(backend, priority_reason="revolutionary_merit")
    assert waiting_order(reception) == [t["id"], plain["id"]]
    r = reception.post(f"/api/v1/tickets/{t['id']}/priority", json={"reason": "revolutionary_merit",
                                                                    "confirmed": False})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["priority"] is None
    assert waiting_order(reception) == [plain["id"], t["id"]]
    assert r.get_json()["position"] == 2
    # Nothing left to reject: a clear 409, nothing changes.
    again = reception.post(f"/api/v1/tickets/{t['id']}/priority", json={"reason": "revolutionary_merit",
                                                                        "confirmed": False})
    assert again.status_code == 409 and again.get_json()["code"] == "PRIORITY_NOT_DECLARED"
    assert waiting_order(reception) == [plain["id"], t["id"]]


def test_only_staff_give_emergency_and_it_goes_first(backend, reception, clock):
    declared = issue(backend, priority_reason="pregnant")
    clock.advance(minutes=1)
    r = reception.post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay",
                                                "priority_reason": "emergency"})
    assert r.status_code == 201, r.get_json()
    emergency = r.get_json()
    assert emergency["priority"]["code"] == "emergency" and emergency["priority"]["status"] == "confirmed"
    clock.advance(minutes=1)
    later = issue(backend)
    set_now = reception.post(f"/api/v1/tickets/{later['id']}/priority", json={"reason": "emergency", "confirmed": True})
    assert set_now.status_code == 200
    assert waiting_order(reception) == [emergency["id"], later["id"], declared["id"]]


def test_priority_changes_stay_in_the_lane_and_check_their_input(backend, room101, reception):
    eye = issue(backend, "KHAM-MAT", priority_reason="pregnant")
    r = room101.post(f"/api/v1/tickets/{eye['id']}/priority", json={"reason": "pregnant", "confirmed": True})
    assert r.status_code == 403 and r.get_json()["code"] == "FORBIDDEN"
    assert reception.get(f"/api/v1/tickets/{eye['id']}").get_json()["priority"]["status"] == "declared"
    t = issue(backend)
    for body in ({"reason": "vip", "confirmed": True}, {"reason": "appointment", "confirmed": True},
                 {"confirmed": True}, {"reason": "pregnant"}):
        bad = reception.post(f"/api/v1/tickets/{t['id']}/priority", json=body)
        assert bad.status_code == 422, body
    assert backend.client().post(f"/api/v1/tickets/{t['id']}/priority",
                                 json={"reason": "pregnant", "confirmed": True},
                                 headers=backend.kiosk_headers()).status_code == 401
    assert reception.post(f"/api/v1/tickets/{t['id']}/cancel").status_code == 200
    closed = reception.post(f"/api/v1/tickets/{t['id']}/priority", json={"reason": "pregnant", "confirmed": True})
    assert closed.status_code == 409 and closed.get_json()["code"] == "INVALID_TRANSITION"


def test_a_transfer_keeps_the_priority_and_whether_it_was_confirmed(backend, reception):
    t = issue(backend, priority_reason="pregnant")
    reception.post("/api/v1/service-points/P101/call-next")
    reception.post(f"/api/v1/tickets/{t['id']}/start")
    new = reception.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service_code": "XET-NGHIEM"}).get_json()["ticket"]
    assert new["priority"]["code"] == "pregnant" and new["priority"]["status"] == "declared"


def test_openapi_documents_the_priority_action(backend):
    spec = backend.client().get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/tickets/{ticket_id}/priority"]["post"]
    assert "requestBody" in op
    assert "PRIORITY_NOT_DECLARABLE" in spec["paths"]["/api/v1/tickets"]["post"]["description"]
