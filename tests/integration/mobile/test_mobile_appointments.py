"""Slots, booking, cancel, reschedule, and check-in on arrival into the right queue and priority."""
from datetime import date, datetime, timezone

from backend.services.appointments import lobby_code_for
from backend.services.calling import StaffScope, call_next
from backend.simulators.bhxh import EXTENSION_KEY
from backend.simulators.bhxh_data import SimCard
from tests.integration.mobile.conftest import AN, MAI, TOMORROW_8
from tests.support.cards import synthetic_cccd

LOCAL_7_30 = datetime(2026, 11, 24, 0, 30, tzinfo=timezone.utc)  # Tuesday 07:30 in Vietnam
IN_LOBBY = {"lat": 21.5943, "lon": 105.8481, "accuracy_m": 15}  # ~15 m from the configured point
ACROSS_TOWN = {"lat": 21.5690, "lon": 105.8250, "accuracy_m": 10}  # ~3.7 km away


def slots(backend, day="2026-11-24", service="KHAM-NOI"):
    return backend.client().get(f"/api/v1/appointments/slots?service={service}&date={day}")


def walk_in(backend, service="KHAM-NOI") -> dict:
    r = backend.client().post("/api/v1/tickets", headers=backend.kiosk_headers(),
                              json={"service_code": service, "coverage": "self_pay"})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_free_slots_follow_hours_capacity_and_holidays(backend, phone):
    body = slots(backend).get_json()
    assert body["state"] == "open" and body["slot_min"] == 30
    starts = [s["start"] for s in body["slots"]]
    # Mon–Fri 07:30–11:00 and 13:30–16:00 in 30-minute slots.
    assert starts[0] == "2026-11-24T07:30:00+07:00" and starts[-1] == "2026-11-24T15:30:00+07:00"
    assert len(starts) == 7 + 5 and all(s["free"] == 10 for s in body["slots"])
    p = phone("0913000001").sign_in()
    assert p.book(p.link_self(AN), TOMORROW_8).status_code == 201
    eight = [s for s in slots(backend).get_json()["slots"] if s["start"] == TOMORROW_8][0]
    assert eight["free"] == 9
    # Today: only slots at least an hour away (it is 09:00 now).
    today = slots(backend, "2026-11-23").get_json()["slots"]
    assert today[0]["start"] == "2026-11-23T10:00:00+07:00"
    assert slots(backend, "2027-01-01").get_json()["state"] == "out_of_range"  # beyond 30 days
    assert slots(backend, "2026-11-29").get_json()["state"] == "closed"  # Sunday
    assert slots(backend, "2026-11-22").get_json()["state"] == "out_of_range"
    assert slots(backend, "2026-11-24", "TD-BHYT").get_json()["code"] == "SERVICE_NOT_BOOKABLE"


def test_holidays_have_no_slots(backend, clock):
    clock.advance(days=10)  # 03/12/2026: 1 January 2027 is now within the horizon
    body = slots(backend, "2027-01-01").get_json()
    assert body["state"] == "holiday" and body["slots"] == []


def test_book_cancel_and_reschedule(backend, phone):
    p = phone("0913000002").sign_in()
    link = p.link_self(AN)
    r = p.book(link, TOMORROW_8, **{"Idempotency-Key": "book-1"})
    assert r.status_code == 201, r.get_json()
    appt = r.get_json()
    assert appt["status"] == "booked" and appt["start"] == TOMORROW_8 and appt["end"] == "2026-11-24T08:30:00+07:00"
    assert appt["check_in_from"] == "2026-11-24T07:00:00+07:00" and appt["qr_payload"].startswith("TDA1.")
    replay = p.book(link, TOMORROW_8, **{"Idempotency-Key": "book-1"})
    assert replay.status_code == 201 and replay.get_json()["id"] == appt["id"]
    assert replay.data == r.data  # byte for byte: the first result, presented again
    assert replay.headers["Idempotency-Replayed"] == "true"
    dup = p.book(link, "2026-11-24T09:00:00+07:00")
    assert dup.status_code == 409 and dup.get_json()["code"] == "APPOINTMENT_DUPLICATE"
    off_grid = p.book(link, "2026-11-24T08:10:00+07:00")
    assert off_grid.status_code == 422 and off_grid.get_json()["code"] == "SLOT_NOT_AVAILABLE"
    png = p.get(f"/api/v1/appointments/{appt['id']}/qr.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    moved = p.post(f"/api/v1/appointments/{appt['id']}/reschedule", {"start": "2026-11-24T13:30:00+07:00"})
    assert moved.status_code == 200 and moved.get_json()["start"] == "2026-11-24T13:30:00+07:00"
    assert moved.get_json()["qr_payload"] == appt["qr_payload"]
    frees = {s["start"]: s["free"] for s in slots(backend).get_json()["slots"]}
    assert frees[TOMORROW_8] == 10 and frees["2026-11-24T13:30:00+07:00"] == 9
    cancelled = p.post(f"/api/v1/appointments/{appt['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert {s["start"]: s["free"] for s in slots(backend).get_json()["slots"]}["2026-11-24T13:30:00+07:00"] == 10
    again = p.post(f"/api/v1/appointments/{appt['id']}/cancel")
    assert again.status_code == 409 and again.get_json()["code"] == "APPOINTMENT_NOT_CHANGEABLE"
    assert p.book(link, TOMORROW_8).status_code == 201  # a cancelled booking does not block a new one


def test_too_late_to_change(backend, phone, clock):
    p = phone("0913000003").sign_in()
    appt = p.book(p.link_self(AN), TOMORROW_8).get_json()
    clock.now = LOCAL_7_30
    r = p.post(f"/api/v1/appointments/{appt['id']}/cancel")
    assert r.status_code == 409 and r.get_json()["code"] == "APPOINTMENT_CHANGE_CLOSED"


def test_check_in_on_time_from_the_lobby_queues_with_appointment_priority(backend, phone, clock):
    p = phone("0913000004").sign_in()
    link = p.link_self(AN)
    appt = p.book(link, TOMORROW_8).get_json()
    clock.now = datetime(2026, 11, 24, 0, 5, tzinfo=timezone.utc)  # 07:05
    early_walk_ins = [walk_in(backend), walk_in(backend)]
    clock.now = LOCAL_7_30
    far = p.post(f"/api/v1/appointments/{appt['id']}/check-in", {"location": ACROSS_TOWN})
    assert far.status_code == 422 and far.get_json()["code"] == "NOT_AT_HOSPITAL"
    vague = p.post(f"/api/v1/appointments/{appt['id']}/check-in", {"location": {**IN_LOBBY, "accuracy_m": 2000}})
    assert vague.get_json()["code"] == "NOT_AT_HOSPITAL"
    r = p.post(f"/api/v1/appointments/{appt['id']}/check-in", {"location": IN_LOBBY})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    ticket = body["ticket"]
    assert body["arrival"] == "on_time" and body["appointment"]["status"] == "checked_in"
    assert ticket["service"]["code"] == "KHAM-NOI" and ticket["display_number"].startswith("N")
    assert ticket["priority"]["code"] == "appointment" and ticket["coverage"] == "bhyt"
    # Checked in after two walk-ins, served before them: the appointment's time window counts.
    assert ticket["position"] == 1 and ticket["people_ahead"] == 0
    assert body["appointment"]["ticket_id"] == ticket["id"] and ticket["patient"]["id"] == link
    staff = StaffScope("staff:test", None)
    assert call_next(backend.deps, "P101", staff).id == ticket["id"]
    assert call_next(backend.deps, "P102", staff).id == early_walk_ins[0]["id"]
    mine = p.get("/api/v1/me/tickets").get_json()["tickets"]
    assert [t["id"] for t in mine] == [ticket["id"]] and mine[0]["track_token"] == ticket["track_token"]
    assert ("issue", ticket["id"]) in [(a, t.id) for a, t in backend.publisher.events if a == "issue"]


def test_second_check_in_is_refused_with_the_existing_ticket(backend, phone, clock):
    p = phone("0913000005").sign_in()
    appt = p.book(p.link_self(AN), TOMORROW_8).get_json()
    clock.now = LOCAL_7_30
    backend.add_staff("letan", "reception")
    lobby = backend.login("letan").get("/api/v1/appointments/lobby-code").get_json()
    assert lobby["date"] == "2026-11-24" and len(lobby["code"]) == 8
    yesterdays = lobby_code_for(backend.deps, date(2026, 11, 23))
    assert yesterdays != lobby["code"]
    for wrong_code in ("00000000", yesterdays):
        wrong = p.post(f"/api/v1/appointments/{appt['id']}/check-in", {"lobby_code": wrong_code})
        assert wrong.status_code == 422 and wrong.get_json()["code"] == "LOBBY_CODE_INVALID"
    first = p.post(f"/api/v1/appointments/{appt['id']}/check-in", {"lobby_code": lobby["qr_payload"]})
    assert first.status_code == 201, first.get_json()
    ticket = first.get_json()["ticket"]
    # The kiosk scans the same appointment's QR a minute later.
    clock.advance(minutes=1)
    second = backend.client().post(f"/api/v1/appointments/{appt['id']}/check-in", headers=backend.kiosk_headers(),
                       json={"qr": appt["qr_payload"]})
    assert second.status_code == 409
    assert second.headers["Content-Type"].startswith("application/problem+json")
    problem = second.get_json()
    assert problem["code"] == "APPOINTMENT_ALREADY_CHECKED_IN" and problem["ticket"]["id"] == ticket["id"]
    assert problem["ticket"]["display_number"] == ticket["display_number"]
    with backend.deps.uow.read() as uow:
        assert [t.id for t in uow.tickets.for_day(date(2026, 11, 24), "KHAM-NOI")] == [ticket["id"]]


def elderly(bhxh_sim) -> dict:
    number = synthetic_cccd(77, 1945)
    bhxh_sim.app.extensions[EXTENSION_KEY].add_card(SimCard(
        ma_the="HT2010000007745", ho_ten="Hà Văn Cụ", ngay_sinh="05/05/1945", gioi_tinh="Nam", cccd=number))
    return {"id_type": "cccd", "number": number, "name": "Hà Văn Cụ", "dob": "05/05/1945"}


def test_kiosk_scan_late_arrival_joins_as_walk_in_and_keeps_legal_priority(backend, phone, clock, bhxh_sim):
    elder = phone("0913000006").sign_in()
    elder_appt = elder.book(elder.link_self(elderly(bhxh_sim)), TOMORROW_8, coverage="self_pay").get_json()
    young = phone("0913000007").sign_in()
    young_appt = young.book(young.link_self(MAI), TOMORROW_8, coverage="self_pay").get_json()
    kiosk = backend.client()
    forged = kiosk.post(f"/api/v1/appointments/{young_appt['id']}/check-in", headers=backend.kiosk_headers(),
                        json={"qr": elder_appt["qr_payload"]})
    assert forged.status_code == 422 and forged.get_json()["code"] == "APPOINTMENT_QR_INVALID"
    too_early = kiosk.post(f"/api/v1/appointments/{young_appt['id']}/check-in", headers=backend.kiosk_headers(),
                           json={"qr": young_appt["qr_payload"]})
    assert too_early.status_code == 409 and too_early.get_json()["code"] == "APPOINTMENT_TOO_EARLY"
    assert too_early.get_json()["check_in_from"] == "2026-11-24T07:00:00+07:00"
    clock.now = datetime(2026, 11, 24, 1, 20, tzinfo=timezone.utc)  # 08:20: slot 08:00 + 15 min grace passed
    ahead = walk_in(backend)
    late = kiosk.post(f"/api/v1/appointments/{young_appt['id']}/check-in", headers=backend.kiosk_headers(),
                      json={"qr": young_appt["qr_payload"]})
    assert late.status_code == 201, late.get_json()
    assert late.get_json()["arrival"] == "late" and late.get_json()["ticket"]["priority"] is None
    assert late.get_json()["ticket"]["position"] == 2  # behind the walk-in who came first
    assert late.get_json()["ticket"]["invoice"]["amount"] == 39000  # self-pay: the fee is due as usual
    old = kiosk.post(f"/api/v1/appointments/{elder_appt['id']}/check-in", headers=backend.kiosk_headers(),
                     json={"qr": elder_appt["qr_payload"]})
    assert old.get_json()["arrival"] == "late"
    assert old.get_json()["ticket"]["priority"]["code"] == "elderly_75"
    assert old.get_json()["ticket"]["position"] == 1 and ahead["id"] != old.get_json()["ticket"]["id"]
    clock.now = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    assert elder.get(f"/api/v1/appointments/{elder_appt['id']}").get_json()["status"] == "checked_in"


def test_a_missed_appointment_cannot_be_checked_in_the_next_day(backend, phone, clock):
    p = phone("0913000008").sign_in()
    appt = p.book(p.link_self(AN), TOMORROW_8).get_json()
    clock.now = datetime(2026, 11, 25, 1, 0, tzinfo=timezone.utc)
    r = p.post(f"/api/v1/appointments/{appt['id']}/check-in", {"location": IN_LOBBY})
    assert r.status_code == 409 and r.get_json()["code"] == "APPOINTMENT_EXPIRED"
    assert p.get(f"/api/v1/appointments/{appt['id']}").get_json()["status"] == "missed"


def test_text_from_other_scripts_is_refused_not_crashed_on(backend, phone, clock):
    p = phone("0913000009").sign_in()
    appt = p.book(p.link_self(AN), TOMORROW_8).get_json()
    clock.now = LOCAL_7_30
    lobby = p.post(f"/api/v1/appointments/{appt['id']}/check-in", {"lobby_code": "١٢٣٤٥٦٧٨"})
    assert lobby.status_code == 422 and lobby.get_json()["code"] == "LOBBY_CODE_INVALID"
    qr = backend.client().post(f"/api/v1/appointments/{appt['id']}/check-in", headers=backend.kiosk_headers(),
                               json={"qr": f"TDA1.{appt['id']}.ünïcødé"})
    assert qr.status_code == 422 and qr.get_json()["code"] == "APPOINTMENT_QR_INVALID"
    code = backend.client().post("/api/v1/auth/otp/verify", json={"phone": "0913000009", "code": "١٢٣٤٥٦"})
    assert code.status_code == 422 and code.get_json()["code"] == "VALIDATION_ERROR"
    assert p.post(f"/api/v1/appointments/{appt['id']}/check-in", {"location": IN_LOBBY}).status_code == 201
