"""The reception dashboard's exception lists through the REST API: a BHYT check in words with the
action offered, "check again now" and "done" (audited, 404/409 when there is nothing to do), and a
pending HIS registration that can be sent at once."""
from datetime import datetime, timezone

import pytest

from tests.support.app import FixedClock
from tests.support.cards import bhyt_qr

AT = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return FixedClock(AT)


def _bhyt_visit(backend) -> str:
    c = backend.client()
    r = c.post("/api/v1/kiosk/identify", headers=backend.kiosk_headers(), json={
        "consent": {"accepted": True},
        "scan": bhyt_qr("GD4797905004321", "Trần Văn Bình", "01/01/1980", 1, "01/01/2026", "31/12/2026")})
    assert r.status_code == 200, r.get_json()
    r = c.post("/api/v1/tickets", headers=backend.kiosk_headers(), json={
        "identify_token": r.get_json()["identify_token"], "service_code": "KHAM-NOI", "coverage": "bhyt"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["visit_id"]


def test_a_pending_check_is_explained_and_asked_again_now(backend, clock):
    visit = _bhyt_visit(backend)  # no BHXH gateway in this backend: the check is pending
    backend.add_staff("letan", "reception")
    desk = backend.login("letan")
    [item] = desk.get("/api/v1/visits/bhyt-flagged").get_json()["visits"]
    assert item["visit_id"] == visit and item["status"] == "pending" and item["action"] == "recheck"
    assert item["meaning_vi"] == "Cổng BHXH không trả lời" and item["meaning_en"]
    assert item["todo_vi"].startswith("Không cần làm gì") and item["todo_en"]

    assert desk.post(f"/api/v1/visits/{visit}/bhyt-reviewed").status_code == 409  # nothing decided yet
    clock.advance(seconds=5)
    assert desk.post(f"/api/v1/visits/{visit}/bhyt-recheck").status_code == 204
    with backend.deps.uow.read() as uow:
        [check] = uow.card_checks.for_visits([visit])
        assert check.next_attempt_at == clock.now
        assert any(r.action == "bhyt.recheck" and r.subject == visit
                   for r in uow.audit.between(AT, clock.now.replace(year=2027)))
    assert desk.post("/api/v1/visits/nope/bhyt-recheck").get_json()["code"] == "VISIT_NOT_FOUND"
    backend.add_staff("bs101", "room", ["P101"])
    assert backend.login("bs101").post(f"/api/v1/visits/{visit}/bhyt-recheck").status_code == 403


def test_a_pending_his_registration_can_be_sent_now(backend):
    visit = _bhyt_visit(backend)
    backend.add_staff("letan", "reception")
    desk = backend.login("letan")
    rows = desk.get("/api/v1/visits/not-in-his").get_json()["visits"]
    [row] = [r for r in rows if r["visit_id"] == visit]
    assert row["status"] == "pending" and "Gửi ngay" in row["todo_vi"] and "Send now" in row["todo_en"]
    assert desk.post(f"/api/v1/visits/{visit}/his-retry").status_code == 204
