"""GET /api/v1/service-points/{code}/current: the room's own staff see who they called (masked name,
age, priority, coverage and BHYT state, payment), the read is audited, and nobody else sees it."""
from datetime import datetime, timezone

import pytest

from tests.support.app import FixedClock
from tests.support.cards import bhyt_qr

AT = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)  # 09:00 in Vietnam
CONSENT = {"accepted": True}


@pytest.fixture
def clock():
    return FixedClock(AT)


def _bhyt_ticket(backend):
    c = backend.client()
    r = c.post("/api/v1/kiosk/identify", headers=backend.kiosk_headers(), json={
        "consent": CONSENT,
        "scan": bhyt_qr("GD4797905001234", "Nguyễn Văn An", "15/06/1950", 1, "01/01/2026", "31/12/2026")})
    assert r.status_code == 200, r.get_json()
    r = c.post("/api/v1/tickets", headers=backend.kiosk_headers(), json={
        "identify_token": r.get_json()["identify_token"], "service_code": "KHAM-NOI", "coverage": "bhyt"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_the_rooms_own_staff_see_who_walked_in_and_the_read_is_audited(backend):
    ticket = _bhyt_ticket(backend)
    backend.add_staff("bs101", "room", ["P101"])
    doctor = backend.login("bs101")
    assert doctor.get("/api/v1/service-points/P101/current").status_code == 204  # nobody called yet
    assert doctor.post("/api/v1/service-points/P101/call-next").status_code == 200

    r = doctor.get("/api/v1/service-points/P101/current")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["ticket"]["id"] == ticket["id"]
    assert body["patient"] == {"name_masked": "Nguyễn V. A", "age": 76, "gender": "male"}
    assert body["ticket"]["priority"]["code"] == "elderly_75"
    assert body["coverage"]["kind"] == "bhyt"
    assert body["coverage"]["bhyt_check"]["status"] in ("pending", "ok")
    assert body["payment"]["required"] is False and body["payment"]["paid"] is True
    assert "Nguyễn Văn An" not in r.get_data(as_text=True)

    backend.add_staff("quantri", "admin")
    admin = backend.login("quantri")
    audit = admin.get("/api/v1/audit?from=2026-12-02&to=2026-12-02").get_json()["entries"]
    reads = [e for e in audit if e["action"] == "patient.read"]
    assert len(reads) == 1 and reads[0]["actor_name"] == "bs101"
    assert "point=P101" in reads[0]["detail"]


def test_nobody_but_the_rooms_staff_sees_it(backend):
    _bhyt_ticket(backend)
    backend.add_staff("bs101", "room", ["P101"])
    assert backend.login("bs101").post("/api/v1/service-points/P101/call-next").status_code == 200
    backend.add_staff("bs104", "room", ["P104"])
    backend.add_staff("letan", "reception")
    backend.add_staff("quantri", "admin")
    for username in ("bs104", "letan", "quantri"):
        r = backend.login(username).get("/api/v1/service-points/P101/current")
        assert r.status_code == 403 and r.get_json()["code"] == "FORBIDDEN", username
    assert backend.client().get("/api/v1/service-points/P101/current").status_code == 401
    r = backend.login("bs101").get("/api/v1/service-points/NOPE/current")
    assert r.status_code == 404


def test_a_walk_in_without_a_card_shows_no_person_and_its_unpaid_fee(backend):
    r = backend.client().post("/api/v1/tickets", headers=backend.kiosk_headers(),
                              json={"service_code": "KHAM-NOI", "coverage": "self_pay"})
    assert r.status_code == 201, r.get_json()
    backend.add_staff("bs101", "room", ["P101"])
    doctor = backend.login("bs101")
    assert doctor.post("/api/v1/service-points/P101/call-next").status_code == 200
    body = doctor.get("/api/v1/service-points/P101/current").get_json()
    assert body["patient"] is None
    assert body["coverage"] == {"kind": "self_pay", "bhyt_check": None}
    assert body["payment"]["invoice_status"] == "pending" and body["payment"]["amount"] == 39000
