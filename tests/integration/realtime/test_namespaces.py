"""Namespaces through Flask-SocketIO's test client: who may connect, what they get on connect, and
that every event reaches the rooms it belongs to and no other."""
import threading
import time

from sqlalchemy import event

from backend.services.auth import add_device, revoke_device
from tests.integration.realtime.live import wait_until


def names(events):
    return [n for n, _ in events]


# --- who may connect ---------------------------------------------------------------------------


def test_kiosk_needs_a_valid_device_token(rt):
    assert not rt.connect("/kiosk").is_connected("/kiosk")
    assert not rt.connect("/kiosk", {"token": "not-a-token"}).is_connected("/kiosk")
    device, token = add_device(rt.b.deps, "kiosk-sanh-b")
    revoke_device(rt.b.deps, "kiosk-sanh-b")
    assert not rt.connect("/kiosk", {"token": token}).is_connected("/kiosk")
    assert rt.connect("/kiosk", {"token": rt.b.device_token}).is_connected("/kiosk")


def test_staff_needs_the_session_cookie(rt):
    rt.b.add_staff("le-tan", "reception")
    assert not rt.connect("/staff").is_connected("/staff")
    anonymous = rt.b.client()
    assert not rt.connect("/staff", staff=anonymous).is_connected("/staff")
    desk, phone = rt.b.login("le-tan"), rt.b.login("le-tan")
    assert rt.connect("/staff", staff=phone).is_connected("/staff")
    # Logging out anywhere ends every session of the account, sockets included.
    assert desk.post("/api/v1/auth/logout").status_code in (200, 204)
    assert not rt.connect("/staff", staff=phone).is_connected("/staff")


def test_display_needs_a_known_area(rt):
    assert not rt.connect("/display").is_connected("/display")
    assert not rt.connect("/display", {"display": "KHU-KHONG-CO"}).is_connected("/display")
    assert not rt.connect("/display", {"display": ["CLS"]}).is_connected("/display")
    for area in ("SANH-A", "KHU-KHAM", "CLS"):
        assert rt.connect("/display", {"display": area}).is_connected("/display")


def test_patient_needs_the_tickets_own_track_token(rt):
    mine, other = rt.issue(), rt.issue()
    assert not rt.connect("/patient").is_connected("/patient")
    assert not rt.connect("/patient", {"ticket": mine["id"]}).is_connected("/patient")
    assert not rt.connect("/patient", {"ticket": mine["id"], "token": other["track_token"]}) \
        .is_connected("/patient")
    assert not rt.connect("/patient", {"ticket": mine["id"], "token": mine["track_token"][:-2]}) \
        .is_connected("/patient")
    assert rt.patient(mine).is_connected("/patient")
    # Refused attempts leave no trace in the registry of tickets someone follows.
    assert [t for _, t in rt.hub.listeners.all_local()] == [mine["id"]]


# --- the state on connect ----------------------------------------------------------------------


def test_every_namespace_sends_the_full_state_on_connect(rt):
    first, second = rt.issue(), rt.issue("KHAM-MAT")
    rt.b.add_staff("le-tan", "reception")
    staff = rt.b.login("le-tan")
    assert staff.post("/api/v1/service-points/P101/call-next").status_code == 200

    s = rt.connect("/staff", staff=staff)
    [(name, state)] = rt.events(s, "/staff")
    assert name == "staff.state"
    rest = staff.get("/api/v1/queues").get_json()
    assert state["services"] == rest["services"]
    assert state["service_points"] == rest["service_points"]
    assert state["staff"]["role"] == "reception"
    assert list(state["rooms"]) == ["staff:all"]

    p = rt.patient(second)
    [(name, state)] = rt.events(p, "/patient")
    assert name == "patient.state"
    rest = rt.b.client().get(f"/api/v1/tickets/{second['id']}?token={second['track_token']}").get_json()
    assert {k: v for k, v in state.items() if k not in ("rooms", "seq")} == rest
    assert state["rooms"] == {f"ticket:{second['id']}": state["seq"]}

    d = rt.connect("/display", {"display": "KHU-KHAM"})
    [(name, state)] = rt.events(d, "/display")
    assert name == "display.state"
    current = {p["service_point"]["code"]: p["current"] for p in state["points"]}
    assert current["P101"]["display_number"] == first["display_number"]
    assert current["P201"] is None and "XN1" not in current
    assert [c["display_number"] for c in state["recent"]] == [first["display_number"]]
    assert state["recent"][0]["name_masked"] is None

    k = rt.connect("/kiosk", {"token": rt.b.device_token})
    [(name, state)] = rt.events(k, "/kiosk")
    assert name == "kiosk.state"
    waiting = {s["code"]: s["waiting"] for s in state["services"]}
    assert waiting["KHAM-MAT"] == 1 and waiting["KHAM-NOI"] == 0


def test_point_bound_staff_state_is_limited_to_their_services(rt):
    rt.b.add_staff("bs-noi", "room", ["P101"])
    s = rt.connect("/staff", staff=rt.b.login("bs-noi"))
    [(_, state)] = rt.events(s, "/staff")
    assert [r["service"]["code"] for r in state["services"]] == ["KHAM-NOI"]
    assert {p["service_point"]["code"] for p in state["service_points"]} == {"P101", "P102", "P103"}
    assert list(state["rooms"]) == ["staff:svc:KHAM-NOI"]


# --- the right rooms only ----------------------------------------------------------------------


def test_a_patient_only_ever_hears_about_their_own_ticket(rt):
    a, b, c = rt.issue(), rt.issue(), rt.issue()
    pa, pc = rt.patient(a), rt.patient(c)
    rt.events(pa, "/patient"), rt.events(pc, "/patient")
    rt.b.add_staff("le-tan", "reception")
    staff = rt.b.login("le-tan")

    assert staff.post("/api/v1/service-points/P101/call-next").get_json()["id"] == a["id"]
    # Published before the next change: two changes in one publisher batch are both read after the
    # second, and c would hear its final place twice (docs/realtime.md, pacing).
    assert rt.publisher.flush(10)
    assert rt.b.client().post(f"/api/v1/tickets/{b['id']}/cancel?token={b['track_token']}").status_code == 200

    got_a, got_c = rt.events(pa, "/patient"), rt.events(pc, "/patient")
    assert {e["id"] for _, e in got_a} == {a["id"]}
    assert {e["id"] for _, e in got_c} == {c["id"]}
    assert got_a[-1][1]["status"] == "called"
    assert got_a[-1][1]["service_point"]["code"] == "P101"
    # c moved from third to first: a was called, b left.
    assert [e["position"] for _, e in got_c] == [2, 1]
    assert got_c[-1][1]["people_ahead"] == 0


def test_a_display_hears_only_calls_in_its_area(rt):
    kham, cls, sanh = (rt.connect("/display", {"display": a}) for a in ("KHU-KHAM", "CLS", "SANH-A"))
    for d in (kham, cls, sanh):
        rt.events(d, "/display")
    t = rt.issue()
    rt.b.add_staff("le-tan", "reception")
    staff = rt.b.login("le-tan")
    assert staff.post("/api/v1/service-points/P101/call-next").status_code == 200
    assert staff.post(f"/api/v1/tickets/{t['id']}/recall").status_code == 200

    called = rt.events(kham, "/display")
    assert names(called) == ["ticket.called", "ticket.called"]
    first, again = called[0][1], called[1][1]
    assert first["display_number"] == t["display_number"] and first["recall"] is False
    assert again["recall"] is True
    assert first["service_point"] == {"code": "P101", "name_vi": "Phòng khám 101", "name_en": "Room 101",
                                      "room_vi": "Phòng khám 101"}
    assert first["service"] == {"code": "KHAM-NOI", "name_vi": "Khám Nội", "name_en": "Internal medicine"}
    assert first["name_masked"] is None
    assert again["seq"] == first["seq"] + 1
    assert rt.events(cls, "/display") == []
    assert rt.events(sanh, "/display") == []

    assert staff.post(f"/api/v1/tickets/{t['id']}/start").status_code == 200
    assert staff.post(f"/api/v1/tickets/{t['id']}/finish").status_code == 200
    [(name, cleared)] = rt.events(kham, "/display")
    assert name == "display.cleared" and cleared["service_point"]["code"] == "P101"


def test_a_room_operator_hears_nothing_about_other_rooms_services(rt):
    rt.b.add_staff("bs-noi", "room", ["P101"])
    rt.b.add_staff("quan-tri", "admin")
    op = rt.connect("/staff", staff=rt.b.login("bs-noi"))
    admin_http = rt.b.login("quan-tri")
    admin = rt.connect("/staff", staff=admin_http)
    rt.events(op, "/staff"), rt.events(admin, "/staff")

    eye = rt.issue("KHAM-MAT")
    assert admin_http.post("/api/v1/service-points/P201/call-next").status_code == 200
    assert admin_http.post(f"/api/v1/tickets/{eye['id']}/skip").status_code == 200
    assert rt.events(op, "/staff") == []
    heard = rt.events(admin, "/staff")
    assert {e["id"] for n, e in heard if n == "ticket.updated"} == {eye["id"]}
    assert [e["action"] for n, e in heard if n == "ticket.updated"] == ["issue", "call", "skip"]
    issued = next(e for n, e in heard if n == "ticket.updated" and e["action"] == "issue")
    assert (issued["position"], issued["people_ahead"]) == (eye["position"], eye["people_ahead"])
    assert issued["estimated_wait_min"] == eye["estimated_wait_min"] is not None
    behind = rt.issue("KHAM-MAT")
    rt.b.clock.advance(seconds=30)  # a no-show who comes back joins the back of the queue
    assert admin_http.post(f"/api/v1/tickets/{eye['id']}/requeue").status_code == 200
    requeued = [e for n, e in rt.events(admin, "/staff") if n == "ticket.updated" and e["id"] == eye["id"]]
    assert requeued[-1]["action"] == "requeue" and requeued[-1]["status"] == "waiting"
    assert (requeued[-1]["position"], requeued[-1]["people_ahead"]) == (2, 1)  # behind `behind`
    assert behind["position"] == 1

    inner = rt.issue("KHAM-NOI")
    got = rt.events(op, "/staff")
    assert names(got) == ["ticket.updated", "queue.updated"]
    assert got[0][1]["id"] == inner["id"] and got[0][1]["room"] == "staff:svc:KHAM-NOI"
    assert [r["service"]["code"] for r in got[1][1]["services"]] == ["KHAM-NOI"]
    assert got[1][1]["services"][0]["waiting"] == 1
    assert {n for n, _ in rt.events(admin, "/staff")} == {"ticket.updated", "queue.updated"}


def test_invoices_go_to_the_kiosk_that_asked_and_the_tickets_patient(rt):
    t, other = rt.issue(), rt.issue()
    device_b, token_b = add_device(rt.b.deps, "kiosk-sanh-b")
    kiosk_a = rt.connect("/kiosk", {"token": rt.b.device_token})
    kiosk_b = rt.connect("/kiosk", {"token": token_b})
    pt, po = rt.patient(t), rt.patient(other)
    for c, ns in ((kiosk_a, "/kiosk"), (kiosk_b, "/kiosk"), (pt, "/patient"), (po, "/patient")):
        rt.events(c, ns)

    rt.publisher.invoice_changed({"id": "inv-1", "status": "paid", "amount": 39000, "ticket_id": t["id"],
                                  "device_id": device_b.id, "provider": "vietqr", "secret": "x"})
    [(name, body)] = rt.events(kiosk_b, "/kiosk")
    assert name == "invoice.updated" and body["status"] == "paid" and body["amount"] == 39000
    assert "secret" not in body and "device_id" not in body
    assert [n for n, _ in rt.events(pt, "/patient")] == ["invoice.updated"]
    assert rt.events(kiosk_a, "/kiosk") == []
    assert rt.events(po, "/patient") == []


def test_device_health_goes_to_reception_not_to_rooms(rt):
    rt.b.add_staff("le-tan", "reception")
    rt.b.add_staff("bs-noi", "room", ["P101"])
    desk = rt.connect("/staff", staff=rt.b.login("le-tan"))
    room = rt.connect("/staff", staff=rt.b.login("bs-noi"))
    rt.events(desk, "/staff"), rt.events(room, "/staff")
    r = rt.b.client().post("/api/v1/devices/heartbeat", json={"printer_status": "paper_low"},
                           headers=rt.b.kiosk_headers())
    assert r.status_code == 200
    [(name, body)] = rt.events(desk, "/staff")
    assert name == "device.updated" and body["printer_status"] == "paper_low"
    assert rt.events(room, "/staff") == []


# --- positions reach every waiting patient, cheaply ---------------------------------------------


def test_a_queue_move_updates_every_listening_patient_with_one_read(rt_db):
    rt = rt_db
    tickets = [rt.issue() for _ in range(8)]
    listening = tickets[1::2]  # four phones follow; four tickets have nobody listening
    clients = [rt.patient(t) for t in listening]
    for c in clients:
        rt.events(c, "/patient")
    rt.b.add_staff("le-tan", "reception")
    staff = rt.b.login("le-tan")

    statements: list[str] = []
    engine = rt.b.app.extensions["tiepdon"].engine

    def count(conn, cursor, statement, *args):
        if threading.current_thread().name != "MainThread":
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    before = rt.publisher.stats["patient_emits"]
    try:
        assert staff.post("/api/v1/service-points/P101/call-next").status_code == 200
        got = [rt.events(c, "/patient") for c in clients]
    finally:
        event.remove(engine, "before_cursor_execute", count)

    for t, events in zip(listening, got):
        [(name, body)] = events
        assert name == "ticket.updated" and body["id"] == t["id"]
        assert body["position"] == t["position"] - 1
        assert body["people_ahead"] == t["people_ahead"] - 1
        assert body["estimated_wait_min"] is not None
    assert rt.publisher.stats["patient_emits"] - before == len(listening)
    waiting_reads = [s for s in statements if "ORDER BY tickets.service_code" in s]
    assert len(waiting_reads) == 1, waiting_reads
    # The reads do not grow with the number of people waiting or listening.
    assert len([s for s in statements if s != "BEGIN"]) <= 4, statements

    # A priority patient arriving at the same moment goes ahead of everyone still waiting.
    rt.issue(priority_reason="pregnant")
    for t, c in zip(listening, clients):
        [(_, body)] = rt.events(c, "/patient")
        assert body["position"] == t["position"]


def test_seq_grows_by_one_per_event_in_a_room(rt):
    d = rt.connect("/display", {"display": "KHU-KHAM"})
    [(_, state)] = rt.events(d, "/display")
    rt.b.add_staff("le-tan", "reception")
    staff = rt.b.login("le-tan")
    for _ in range(3):
        rt.issue()
    for _ in range(3):
        assert staff.post("/api/v1/service-points/P102/call-next",
                          json={"current": "no_show"}).status_code == 200
    seqs = [e["seq"] for _, e in rt.events(d, "/display")]
    # Each call-next after the first also clears the previous number from the point.
    assert len(seqs) >= 3
    assert seqs == list(range(state["seq"] + 1, state["seq"] + 1 + len(seqs)))


# --- long waits ---------------------------------------------------------------------------------


def test_long_wait_alerts_once_per_ticket_to_the_right_staff(rt_alerts, clock):
    rt = rt_alerts
    rt.b.add_staff("le-tan", "reception")
    rt.b.add_staff("bs-mat", "room", ["P201"])
    desk = rt.connect("/staff", staff=rt.b.login("le-tan"))
    eye_room = rt.connect("/staff", staff=rt.b.login("bs-mat"))
    t = rt.issue("KHAM-NOI")
    rt.events(desk, "/staff"), rt.events(eye_room, "/staff")

    watch = rt.hub.watch

    def let_checks_run(n: int):
        target = watch.rounds + n
        wait_until(lambda: watch.rounds >= target, timeout=5, every=0.01)

    long_wait = rt.b.deps.catalog.service("KHAM-NOI").long_wait_min
    clock.advance(minutes=long_wait - 1)
    let_checks_run(3)  # below the threshold: nothing
    assert [n for n, _ in rt.events(desk, "/staff")] == []
    clock.advance(minutes=3)
    [alert] = rt.wait_for(desk, "/staff", "alert")
    assert alert["type"] == "long_wait"
    assert alert["ticket_id"] == t["id"] and alert["display_number"] == t["display_number"]
    assert alert["service"]["code"] == "KHAM-NOI"
    assert alert["waited_min"] == long_wait + 2
    assert alert["message_vi"].startswith(f"Số {t['display_number']}")
    let_checks_run(5)  # many more checks: no repeat
    assert [n for n, _ in rt.events(desk, "/staff") if n == "alert"] == []
    assert rt.events(eye_room, "/staff") == []


def test_a_burst_of_tickets_sends_the_queue_count_at_once_then_the_final_count(rt):
    """queue.updated is held back to one per service per COUNTS_EVERY_S: the first change is heard
    at once, and the last count of a burst follows without anybody asking (no flush here)."""
    from backend.adapters.realtime.socketio_publisher import COUNTS_EVERY_S

    rt.b.add_staff("dem-so", "room", ["P101"])  # hears KHAM-NOI's room
    staff = rt.connect("/staff", staff=rt.b.login("dem-so"))
    rt.events(staff, "/staff")
    time.sleep(COUNTS_EVERY_S * 1.5)  # the counts sent while connecting are long enough ago

    burst = 20
    started = time.monotonic()
    for _ in range(burst):
        rt.issue("KHAM-NOI")
    assert time.monotonic() - started < COUNTS_EVERY_S * 8  # a burst, not a trickle

    counts: list[dict] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (not counts or counts[-1]["services"][0]["waiting"] < burst):
        counts += [e["args"][0] for e in staff.get_received("/staff")
                   if e["name"] == "queue.updated" and e["args"][0]["room"] == "staff:svc:KHAM-NOI"]
        time.sleep(0.02)
    waiting = [c["services"][0]["waiting"] for c in counts]
    assert waiting[-1] == burst, waiting
    assert waiting[0] < burst  # the first went out before the burst was over
    assert len(waiting) < burst / 2, waiting  # folded, not one per ticket
    assert waiting == sorted(waiting)
