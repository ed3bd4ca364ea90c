"""Every role stays in its lane (DESIGN.md rule 10): room and cashier accounts act on and read only
the tickets of the services their points serve; reception and admin keep the whole hospital.
An out-of-lane call is a translated 403 FORBIDDEN that changes nothing."""
import pytest


def issue(backend, service="KHAM-NOI", coverage="self_pay", **extra):
    r = backend.client().post("/api/v1/tickets", json={"service_code": service, "coverage": coverage, **extra},
                              headers=backend.kiosk_headers())
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def status_of(backend, ticket) -> str:
    r = backend.client().get(f"/api/v1/tickets/{ticket['id']}?token={ticket['track_token']}")
    return r.get_json()["status"]


def forbidden(r):
    assert r.status_code == 403, (r.status_code, r.get_json())
    assert r.get_json()["code"] == "FORBIDDEN"
    assert r.headers["Content-Type"] == "application/problem+json"
    return True


@pytest.fixture
def reception(backend):
    backend.add_staff("hoa", "reception")
    return backend.login("hoa")


@pytest.fixture
def room101(backend):
    backend.add_staff("bs101", "room", ["P101"])  # Khám Nội
    return backend.login("bs101")


@pytest.fixture
def cashier(backend):
    backend.add_staff("thu", "cashier", ["TN1"])  # Thu ngân
    return backend.login("thu")


def test_a_room_cannot_read_or_cancel_another_services_ticket(backend, room101):
    eye = issue(backend, "KHAM-MAT")
    r = room101.get(f"/api/v1/tickets/{eye['id']}", headers={"Accept-Language": "en"})
    assert forbidden(r) and r.get_json()["title"] == "You are not allowed to do this"
    assert "track_token" not in r.get_json()
    assert forbidden(room101.get(f"/api/v1/tickets/{eye['id']}"))
    assert room101.get(f"/api/v1/tickets/{eye['id']}").get_json()["title"].startswith("Bạn không có quyền")
    assert forbidden(room101.post(f"/api/v1/tickets/{eye['id']}/cancel"))
    assert status_of(backend, eye) == "waiting"
    assert [e for e in backend.publisher.events if e[0] == "cancel"] == []


def test_a_room_cannot_cancel_a_patient_being_called_at_another_room(backend, room101, reception):
    t = issue(backend)  # Khám Nội, the room's own service...
    assert reception.post("/api/v1/service-points/P102/call-next").get_json()["id"] == t["id"]
    # ...but the patient is someone else's now: room 102 called them.
    assert forbidden(room101.post(f"/api/v1/tickets/{t['id']}/cancel"))
    for action in ("recall", "start", "finish", "skip"):
        assert forbidden(room101.post(f"/api/v1/tickets/{t['id']}/{action}"))
    assert forbidden(room101.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service_code": "XET-NGHIEM"}))
    assert status_of(backend, t) == "called"
    # Reading it is fine: it is the room's own service.
    assert room101.get(f"/api/v1/tickets/{t['id']}").status_code == 200


def test_a_room_cancels_a_waiting_ticket_of_its_own_service(backend, room101):
    t = issue(backend)
    r = room101.post(f"/api/v1/tickets/{t['id']}/cancel")
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"


def test_actions_on_another_services_ticket_change_nothing(backend, room101, reception):
    eye = issue(backend, "KHAM-MAT")
    reception.post("/api/v1/service-points/P201/call-next")
    for action in ("recall", "start", "finish", "skip"):
        assert forbidden(room101.post(f"/api/v1/tickets/{eye['id']}/{action}"))
    assert forbidden(room101.post(f"/api/v1/tickets/{eye['id']}/transfer", json={"service_code": "XET-NGHIEM"}))
    assert status_of(backend, eye) == "called"
    reception.post(f"/api/v1/tickets/{eye['id']}/skip")
    assert forbidden(room101.post(f"/api/v1/tickets/{eye['id']}/requeue"))
    assert status_of(backend, eye) == "skipped"


def test_a_cashier_stays_at_the_cashier_queue(backend, cashier, reception):
    t = issue(backend)
    assert forbidden(cashier.get(f"/api/v1/tickets/{t['id']}"))
    assert forbidden(cashier.post(f"/api/v1/tickets/{t['id']}/cancel"))
    assert status_of(backend, t) == "waiting"
    # A patient sent to the cashier is the cashier's.
    reception.post("/api/v1/service-points/P101/call-next")
    reception.post(f"/api/v1/tickets/{t['id']}/start")
    sent = reception.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service_code": "THU-NGAN"})
    to_cashier = sent.get_json()["ticket"]
    assert cashier.get(f"/api/v1/tickets/{to_cashier['id']}").status_code == 200
    assert cashier.post("/api/v1/service-points/TN1/call-next").get_json()["id"] == to_cashier["id"]


def test_ticket_lists_hold_only_the_lane(backend, room101, reception):
    issue(backend), issue(backend, "KHAM-MAT"), issue(backend, "TD-DV")
    mine = room101.get("/api/v1/tickets").get_json()["tickets"]
    assert {t["service"]["code"] for t in mine} == {"KHAM-NOI"}
    by_number = room101.get("/api/v1/tickets?number=M001").get_json()["tickets"]
    assert by_number == []
    assert forbidden(room101.get("/api/v1/tickets?service=KHAM-MAT"))
    everyone = reception.get("/api/v1/tickets").get_json()["tickets"]
    assert {t["service"]["code"] for t in everyone} == {"KHAM-NOI", "KHAM-MAT", "TD-DV"}


def test_queues_and_stats_hold_only_the_lane(backend, room101, reception):
    issue(backend), issue(backend, "KHAM-MAT")
    reception.post("/api/v1/service-points/P201/call-next")
    reception.post("/api/v1/service-points/P102/call-next")
    q = room101.get("/api/v1/queues").get_json()
    assert {s["service"]["code"] for s in q["services"]} == {"KHAM-NOI"}
    # Every room is named (a page names the room it shows), but only the lane's rooms say who is in.
    busy = {p["service_point"]["code"] for p in q["service_points"] if p["current"]}
    assert busy == {"P102"}
    everyone = {p["service_point"]["code"] for p in reception.get("/api/v1/queues").get_json()["service_points"]
                if p["current"]}
    assert everyone == {"P102", "P201"}
    stats = room101.get("/api/v1/stats").get_json()
    assert {s["service_code"] for s in stats["services"]} == {"KHAM-NOI"}
    assert stats["total_issued"] == 1
    assert forbidden(room101.get("/api/v1/stats?service=KHAM-MAT"))
    assert forbidden(room101.get("/api/v1/stats?service=KHAM-MAT&format=csv"))
    full = reception.get("/api/v1/queues").get_json()
    assert len(full["services"]) == len(backend.deps.catalog.services)
    assert reception.get("/api/v1/stats").get_json()["total_issued"] == 2


def test_a_room_issues_tickets_only_for_its_own_services(backend, room101):
    from tests.integration.api.test_tickets_api import ticket_count

    before = ticket_count(backend)
    r = room101.post("/api/v1/tickets", json={"service_code": "KHAM-MAT", "coverage": "self_pay"})
    assert forbidden(r)
    assert ticket_count(backend) == before
    ok = room101.post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"})
    assert ok.status_code == 201


def test_identification_at_a_desk_is_receptions_job(backend, room101, cashier):
    body = {"manual": {"id_type": "cccd", "number": "001099012345", "name": "Nguyen Van A",
                       "dob": "01/01/1990"}, "consent": {"accepted": True}}
    assert forbidden(room101.post("/api/v1/kiosk/identify", json=body))
    assert forbidden(cashier.post("/api/v1/kiosk/identify", json=body))


def test_reception_and_admin_keep_the_whole_hospital(backend, reception):
    backend.add_staff("quantri", "admin")
    admin = backend.login("quantri")
    a, b = issue(backend, "KHAM-MAT"), issue(backend, "KHAM-NGOAI")
    assert admin.get(f"/api/v1/tickets/{a['id']}").status_code == 200
    assert reception.post(f"/api/v1/tickets/{b['id']}/cancel").status_code == 200
    assert admin.post(f"/api/v1/tickets/{a['id']}/cancel").status_code == 200
