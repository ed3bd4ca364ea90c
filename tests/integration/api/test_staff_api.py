"""Staff at work: sessions, CSRF, calling, transitions, transfer, queues and stats."""
import csv
import io

import pytest


def issue(backend, service="KHAM-NOI", coverage="self_pay", **extra):
    r = backend.client().post("/api/v1/tickets", json={"service_code": service, "coverage": coverage, **extra},
                              headers=backend.kiosk_headers())
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


def test_login_wrong_password_and_unknown_user_look_the_same(backend):
    backend.add_staff("lan", "reception")
    c = backend.client()
    wrong = c.post("/api/v1/auth/login", json={"username": "lan", "password": "sai-mat-khau-roi"})
    unknown = c.post("/api/v1/auth/login", json={"username": "ai-do", "password": "sai-mat-khau-roi"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["code"] == unknown.get_json()["code"] == "INVALID_CREDENTIALS"


def test_writes_need_the_csrf_token(backend, reception):
    issue(backend)
    token = reception.environ_base.pop("HTTP_X_CSRF_TOKEN")
    r = reception.post("/api/v1/service-points/Q1/call-next")
    assert r.status_code == 403 and r.get_json()["code"] == "CSRF_FAILED"
    r = reception.post("/api/v1/service-points/P101/call-next", headers={"X-CSRF-Token": "guess"})
    assert r.status_code == 403
    r = reception.post("/api/v1/service-points/P101/call-next", headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.get_json()["display_number"] == "N001"


def test_staff_routes_refuse_anonymous_and_kiosk_callers(backend):
    c = backend.client()
    assert c.get("/api/v1/queues").status_code == 401
    assert c.post("/api/v1/service-points/P101/call-next", headers=backend.kiosk_headers()).status_code == 401


def test_logout_ends_every_copy_of_the_session(backend, reception):
    copy = backend.app.test_client()
    copy.set_cookie("tiepdon_session", reception.get_cookie("tiepdon_session").value)
    assert copy.get("/api/v1/queues").status_code == 200
    assert reception.post("/api/v1/auth/logout").status_code == 204
    assert copy.get("/api/v1/queues").status_code == 401


def test_call_next_takes_priority_then_arrival_and_204_when_empty(backend, reception, clock):
    first = issue(backend)
    clock.advance(minutes=1)
    second = issue(backend)
    clock.advance(minutes=1)
    elderly = issue(backend, priority_reason="revolutionary_merit")
    order = []
    for _ in range(3):
        r = reception.post("/api/v1/service-points/P101/call-next", json={"current": "no_show"})
        assert r.status_code == 200
        order.append(r.get_json()["id"])
    assert order == [elderly["id"], first["id"], second["id"]]
    reception.post(f"/api/v1/tickets/{second['id']}/start")
    assert reception.post("/api/v1/service-points/P101/call-next").status_code == 204


def test_call_next_only_takes_the_points_own_services(backend, reception):
    issue(backend, "KHAM-MAT")
    assert reception.post("/api/v1/service-points/P101/call-next").status_code == 204
    r = reception.post("/api/v1/service-points/P201/call-next")
    assert r.status_code == 200 and r.get_json()["service_point"]["code"] == "P201"


def test_full_path_call_start_finish_and_history(backend, reception, clock):
    t = issue(backend)
    called = reception.post("/api/v1/service-points/P101/call-next").get_json()
    assert called["status"] == "called" and called["service_point"]["name_vi"] == "Phòng khám 101"
    clock.advance(seconds=30)
    assert reception.post(f"/api/v1/tickets/{t['id']}/recall").get_json()["recall_count"] == 1
    assert reception.post(f"/api/v1/tickets/{t['id']}/start").get_json()["status"] == "serving"
    clock.advance(minutes=10)
    assert reception.post(f"/api/v1/tickets/{t['id']}/finish").get_json()["status"] == "done"
    with backend.deps.uow.read() as uow:
        actions = [e["action"] for e in uow.tickets.events(t["id"])]
        avg = uow.service_times.average("KHAM-NOI")
    assert actions == ["issue", "call", "recall", "start", "finish"]
    assert avg == pytest.approx(420 + 0.2 * (600 - 420))  # moving average moved toward 10 min
    published = [a for a, _ in backend.publisher.events]
    assert published[-4:] == ["call", "recall", "start", "finish"]


def test_wrong_transitions_are_409_and_change_nothing(backend, reception):
    t = issue(backend)
    for action in ("recall", "start", "finish", "skip", "requeue"):
        r = reception.post(f"/api/v1/tickets/{t['id']}/{action}")
        assert r.status_code == 409 and r.get_json()["code"] == "INVALID_TRANSITION", action
    r = reception.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service_code": "XET-NGHIEM"})
    assert r.status_code == 409
    state = backend.client().get(f"/api/v1/tickets/{t['id']}?token={t['track_token']}").get_json()
    assert state["status"] == "waiting" and state["recall_count"] == 0
    assert reception.post("/api/v1/tickets/nope/start").status_code == 404


def test_skip_and_requeue_once(backend, reception):
    t = issue(backend)
    reception.post("/api/v1/service-points/P101/call-next")
    assert reception.post(f"/api/v1/tickets/{t['id']}/skip").get_json()["status"] == "skipped"
    assert reception.post(f"/api/v1/tickets/{t['id']}/requeue").get_json()["status"] == "waiting"
    reception.post("/api/v1/service-points/P101/call-next")
    reception.post(f"/api/v1/tickets/{t['id']}/skip")
    r = reception.post(f"/api/v1/tickets/{t['id']}/requeue")
    assert r.status_code == 409 and r.get_json()["code"] == "REQUEUE_LIMIT"


def test_call_next_closes_the_points_previous_patient(backend, reception):
    a, b = issue(backend), issue(backend)
    reception.post("/api/v1/service-points/P101/call-next")
    reception.post(f"/api/v1/tickets/{a['id']}/start")
    reception.post("/api/v1/service-points/P101/call-next")
    state = backend.client().get(f"/api/v1/tickets/{a['id']}?token={a['track_token']}").get_json()
    assert state["status"] == "done"


def test_transfer_issues_a_new_ticket_on_the_same_visit(backend, reception):
    t = issue(backend, priority_reason="pregnant")
    reception.post("/api/v1/service-points/P101/call-next")
    reception.post(f"/api/v1/tickets/{t['id']}/start")
    r = reception.post(f"/api/v1/tickets/{t['id']}/transfer", json={"service_code": "XET-NGHIEM"})
    assert r.status_code == 201
    body = r.get_json()
    assert body["from_ticket"]["status"] == "done"
    new = body["ticket"]
    assert new["display_number"] == "X001" and new["visit_id"] == t["visit_id"]
    assert new["transferred_from"] == t["id"] and new["priority"]["code"] == "pregnant"
    # Staff lists answer the same links as the ticket itself (one read for every visit listed).
    listed = reception.get("/api/v1/tickets?status=done").get_json()["tickets"]
    assert [(x["id"], x["replaced_by"]["id"], x["current"]["number"]) for x in listed] == [
        (t["id"], new["id"], "X001")]
    assert body["from_ticket"]["replaced_by"]["id"] == new["id"]
    bad = reception.post(f"/api/v1/tickets/{new['id']}/transfer", json={"service_code": "NOPE"})
    assert bad.status_code == 404


def test_room_operator_acts_only_on_their_own_room(backend, room101, reception):
    mine, other = issue(backend), issue(backend, "KHAM-MAT")
    r = room101.post("/api/v1/service-points/P201/call-next")
    assert r.status_code == 403 and r.get_json()["code"] == "FORBIDDEN"
    reception.post("/api/v1/service-points/P201/call-next")
    r = room101.post(f"/api/v1/tickets/{other['id']}/start")
    assert r.status_code == 403
    ok = room101.post("/api/v1/service-points/P101/call-next")
    assert ok.status_code == 200 and ok.get_json()["id"] == mine["id"]
    assert room101.post(f"/api/v1/tickets/{mine['id']}/start").status_code == 200


def test_queues_overview(backend, reception, clock):
    issue(backend)
    clock.advance(minutes=12)
    issue(backend, priority_reason="pregnant")
    issue(backend, "KHAM-MAT")
    reception.post("/api/v1/service-points/P201/call-next")
    data = reception.get("/api/v1/queues").get_json()
    noi = next(s for s in data["services"] if s["service"]["code"] == "KHAM-NOI")
    assert noi["waiting"] == 2 and noi["priority_waiting"] == 1 and noi["longest_wait_min"] == 12
    p201 = next(p for p in data["service_points"] if p["service_point"]["code"] == "P201")
    assert p201["current"]["display_number"] == "M001" and p201["current"]["status"] == "called"


def test_stats_json_and_csv(backend, reception, clock):
    t1, t2 = issue(backend), issue(backend)
    clock.advance(minutes=4)
    reception.post("/api/v1/service-points/P101/call-next")
    reception.post(f"/api/v1/tickets/{t1['id']}/start")
    clock.advance(minutes=6)
    reception.post(f"/api/v1/tickets/{t1['id']}/finish")
    reception.post("/api/v1/service-points/P101/call-next")
    reception.post(f"/api/v1/tickets/{t2['id']}/skip")
    data = reception.get("/api/v1/stats").get_json()
    noi = data["services"][0]
    assert (noi["issued"], noi["done"], noi["skipped"]) == (2, 1, 1)
    assert noi["no_show_rate"] == 0.5
    assert noi["wait_p50_min"] == 7.0  # 4 and 10 minutes
    assert noi["service_p50_min"] == 6.0
    assert data["per_hour"] == [{"hour": 9, "issued": 2}]
    csv_resp = reception.get(f"/api/v1/stats?format=csv&date={data['date']}&service=KHAM-NOI")
    assert csv_resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(csv_resp.get_data(as_text=True))))
    assert rows[0]["service_code"] == "KHAM-NOI" and rows[0]["skipped"] == "1"
    assert reception.get("/api/v1/stats?date=yesterday").status_code == 422
    assert reception.get("/api/v1/stats?service=NOPE").status_code == 404


def test_staff_can_follow_any_ticket_and_cancel_it(backend, reception):
    t = issue(backend)
    assert reception.get(f"/api/v1/tickets/{t['id']}").status_code == 200
    assert reception.post(f"/api/v1/tickets/{t['id']}/cancel").get_json()["status"] == "cancelled"


def test_heartbeat_records_printer_state(backend):
    c = backend.client()
    r = c.post("/api/v1/devices/heartbeat", json={"printer_status": "paper_out", "app_version": "0.1.0"},
               headers=backend.kiosk_headers())
    assert r.status_code == 200 and r.get_json()["printer_status"] == "paper_out"
    bad = c.post("/api/v1/devices/heartbeat", json={"printer_status": "on fire"},
                 headers=backend.kiosk_headers())
    assert bad.status_code == 422
    assert c.post("/api/v1/devices/heartbeat", json={"printer_status": "ok"}).status_code == 401
    from backend.services.auth import list_devices

    assert any(d.printer_status == "paper_out" for d in list_devices(backend.deps))
