"""Issuing, following and cancelling tickets over the REST API, on SQLite and PostgreSQL."""
from sqlalchemy import func, select, text

from backend.adapters.db.models import TicketRow


def issue(backend, service="KHAM-NOI", coverage="self_pay", **extra):
    body = {"service_code": service, "coverage": coverage, **extra}
    r = backend.client().post("/api/v1/tickets", json=body, headers=backend.kiosk_headers())
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def ticket_count(backend) -> int:
    with backend.deps.uow.read() as uow:
        return uow.conn.execute(select(func.count()).select_from(TicketRow)).scalar_one()


def test_numbers_are_sequential_per_service_and_prefixed(backend):
    a = [issue(backend)["display_number"] for _ in range(3)]
    b = issue(backend, "KHAM-MAT")["display_number"]
    assert a == ["N001", "N002", "N003"]
    assert b == "M001"


def test_new_ticket_tells_position_wait_and_track_url(backend):
    first = issue(backend)
    second = issue(backend)
    assert first["position"] == 1 and first["people_ahead"] == 0
    assert second["position"] == 2 and second["people_ahead"] == 1
    # Khám Nội: 3 rooms, default 420 s per patient → 1 person ahead = ceil(420/3/60) = 3 min
    assert second["estimated_wait_min"] == 3
    assert second["issued_at"].endswith("+07:00")
    assert second["track_url"].endswith(f"/t/{second['id']}?token={second['track_token']}")


def test_patient_follows_the_ticket_with_its_token_only(backend):
    t = issue(backend)
    c = backend.client()
    ok = c.get(f"/api/v1/tickets/{t['id']}?token={t['track_token']}")
    assert ok.status_code == 200 and ok.get_json()["status"] == "waiting"
    tampered = t["track_token"][:-1] + ("B" if t["track_token"][-1] == "A" else "A")
    for bad in ("", "?token=wrong", f"?token={tampered}"):
        r = c.get(f"/api/v1/tickets/{t['id']}{bad}")
        assert r.status_code == 404
        assert r.get_json()["code"] == "TICKET_NOT_FOUND"
        assert r.headers["Content-Type"] == "application/problem+json"


def test_priority_patient_goes_ahead_and_positions_follow(backend):
    plain = issue(backend)
    elderly = issue(backend, priority_reason="pregnant")
    assert elderly["position"] == 1
    again = backend.client().get(f"/api/v1/tickets/{plain['id']}?token={plain['track_token']}")
    assert again.get_json()["position"] == 2


def test_patient_cancels_with_token_and_it_is_final(backend):
    t = issue(backend)
    c = backend.client()
    r = c.post(f"/api/v1/tickets/{t['id']}/cancel?token={t['track_token']}")
    assert r.status_code == 200 and r.get_json()["status"] == "cancelled"
    again = c.post(f"/api/v1/tickets/{t['id']}/cancel?token={t['track_token']}")
    assert again.status_code == 409 and again.get_json()["code"] == "INVALID_TRANSITION"
    assert backend.publisher.events[-1][0] == "cancel"


def test_cancel_without_token_or_session_is_refused_and_changes_nothing(backend):
    t = issue(backend)
    r = backend.client().post(f"/api/v1/tickets/{t['id']}/cancel?token=nope")
    assert r.status_code == 401
    status = backend.client().get(f"/api/v1/tickets/{t['id']}?token={t['track_token']}")
    assert status.get_json()["status"] == "waiting"


def test_idempotency_key_replays_the_first_answer(backend):
    c = backend.client()
    h = backend.kiosk_headers(**{"Idempotency-Key": "tap-123"})
    body = {"service_code": "KHAM-NOI", "coverage": "self_pay"}
    first = c.post("/api/v1/tickets", json=body, headers=h)
    second = c.post("/api/v1/tickets", json=body, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert first.data == second.data  # byte for byte: the first result, presented again
    assert second.headers.get("Idempotency-Replayed") == "true"
    assert ticket_count(backend) == 1


def test_idempotency_key_with_another_body_is_422_and_changes_nothing(backend):
    c = backend.client()
    h = backend.kiosk_headers(**{"Idempotency-Key": "tap-9"})
    c.post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"}, headers=h)
    r = c.post("/api/v1/tickets", json={"service_code": "KHAM-MAT", "coverage": "self_pay"}, headers=h)
    assert r.status_code == 422 and r.get_json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert ticket_count(backend) == 1


def test_bad_input_gets_a_translated_problem_and_changes_nothing(backend):
    c = backend.client()
    h = backend.kiosk_headers()
    cases = [
        (c.post("/api/v1/tickets", data="{not json", headers={**h, "Content-Type": "application/json"}),
         400, "INVALID_JSON"),
        (c.post("/api/v1/tickets", json={"service_code": "NOPE", "coverage": "self_pay"}, headers=h),
         404, "SERVICE_NOT_FOUND"),
        (c.post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "cash"}, headers=h),
         422, "VALIDATION_ERROR"),
        (c.post("/api/v1/tickets", json={"coverage": "self_pay"}, headers=h), 422, "VALIDATION_ERROR"),
        (c.post("/api/v1/tickets", json={"service_code": "TD-BHYT", "coverage": "self_pay"}, headers=h),
         422, "COVERAGE_NOT_ALLOWED"),
        (c.post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay",
                                         "priority_reason": "vip"}, headers=h), 422, "VALIDATION_ERROR"),
        (c.post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay",
                                         "extra": 1}, headers=h), 422, "VALIDATION_ERROR"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.get_json()
        body = response.get_json(force=True)
        assert body["code"] == code
        assert body["title"] and body["status"] == status
    assert ticket_count(backend) == 0


def test_titles_follow_accept_language(backend):
    c = backend.client()
    vi = c.post("/api/v1/tickets", json={"service_code": "NOPE", "coverage": "self_pay"},
                headers=backend.kiosk_headers())
    en = c.post("/api/v1/tickets", json={"service_code": "NOPE", "coverage": "self_pay"},
                headers=backend.kiosk_headers(**{"Accept-Language": "en-US,en;q=0.9"}))
    assert vi.get_json()["title"] == "Không có dịch vụ này"
    assert en.get_json()["title"] == "Unknown service"


def test_missing_wrong_and_revoked_device_tokens(backend):
    from backend.services.auth import add_device, revoke_device

    c = backend.client()
    body = {"service_code": "KHAM-NOI", "coverage": "self_pay"}
    assert c.post("/api/v1/tickets", json=body).status_code == 401
    r = c.post("/api/v1/tickets", json=body, headers={"Authorization": "Bearer forged"})
    assert r.status_code == 401 and r.get_json()["code"] == "UNAUTHORIZED"
    _, token = add_device(backend.deps, "kiosk-to-revoke")
    assert c.post("/api/v1/tickets", json=body,
                  headers={"Authorization": f"Bearer {token}"}).status_code == 201
    revoke_device(backend.deps, "kiosk-to-revoke")
    assert c.post("/api/v1/tickets", json=body,
                  headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert ticket_count(backend) == 1


def test_closed_service_refuses_new_tickets(db_url):
    from datetime import datetime, timezone

    from tests.support.app import FixedClock, make_backend

    night = FixedClock(datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc))  # 22:00 in Vietnam
    b = make_backend(db_url, clock=night, ignore_hours=False)
    r = b.client().post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                        headers=b.kiosk_headers())
    assert r.status_code == 409 and r.get_json()["code"] == "QUEUE_CLOSED"
    services = b.client().get("/api/v1/services").get_json()["services"]
    assert {s["code"]: s["open_now"] for s in services}["KHAM-NOI"] is False
    b.app.extensions["tiepdon"].engine.dispose()


def test_services_list_for_the_kiosk(backend):
    issue(backend)
    data = backend.client().get("/api/v1/services").get_json()
    noi = next(s for s in data["services"] if s["code"] == "KHAM-NOI")
    assert noi["name_vi"] == "Khám Nội" and noi["fee_vnd"] == 39000 and noi["waiting"] == 1
    assert data["hospital"]["name_vi"].startswith("Bệnh viện")


def test_numbering_restarts_on_the_new_hospital_day_without_deleting(backend, clock):
    from datetime import datetime, timezone

    clock.now = datetime(2026, 11, 23, 16, 58, tzinfo=timezone.utc)  # 23:58 Vietnam
    assert issue(backend)["display_number"] == "N001"
    assert issue(backend)["display_number"] == "N002"
    clock.now = datetime(2026, 11, 23, 17, 1, tzinfo=timezone.utc)  # 00:01 next day
    nxt = issue(backend)
    assert nxt["display_number"] == "N001" and nxt["date"] == "2026-11-24"
    assert nxt["position"] == 1  # yesterday's leftovers are not ahead of today's patients
    assert ticket_count(backend) == 3


def test_health_reports_the_database(backend):
    r = backend.client().get("/api/v1/health")
    assert r.status_code == 200
    assert r.get_json()["checks"]["database"]["status"] == "ok"


def test_unique_constraint_backs_the_counter(backend):
    """Even a buggy writer cannot create a second N001 today: the database refuses it."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    t = issue(backend)
    with pytest.raises(IntegrityError):
        with backend.deps.uow.write() as uow:
            uow.conn.execute(text(
                "INSERT INTO tickets (id, visit_id, service_code, day, number, display_number, status,"
                " coverage, priority_confirmed, rank, queue_key, issued_at, estimated_wait_min,"
                " people_ahead_at_issue, recall_count, requeue_count, payment_required, paid)"
                " SELECT 'dup', visit_id, service_code, day, number, display_number, status, coverage,"
                " priority_confirmed, rank, queue_key, issued_at, 0, 0, 0, 0, payment_required, paid"
                f" FROM tickets WHERE id = '{t['id']}'"))
            uow.commit()


def test_an_insurance_ticket_needs_an_identified_card(backend):
    r = backend.client().post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "bhyt"},
                              headers=backend.kiosk_headers())
    assert r.status_code == 422 and r.get_json()["code"] == "CARD_REQUIRED"
    assert ticket_count(backend) == 0
