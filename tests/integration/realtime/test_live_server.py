"""A real `tiepdon serve` (gunicorn, threads) and python-socketio clients over real websockets."""
import socketio
import pytest


def test_a_display_and_a_patient_hear_a_call_made_over_http(live):
    http = live.http(live.server).login()
    first, second = http.issue(), http.issue()
    display = live.listen(live.server, "/display", {"display": "KHU-KHAM"})
    state = display.wait("display.state")
    assert {p["service_point"]["code"] for p in state["points"]} >= {"P101", "P201"}
    patient = live.listen(live.server, "/patient", {"ticket": second["id"], "token": second["track_token"]})
    assert patient.wait("patient.state")["position"] == 2

    called = http.call_next("P101")
    assert called["id"] == first["id"]
    heard = display.wait("ticket.called")
    assert heard["display_number"] == first["display_number"]
    assert heard["service_point"]["code"] == "P101" and heard["seq"] == state["seq"] + 1
    moved = patient.wait("ticket.updated")
    assert moved["id"] == second["id"] and moved["position"] == 1 and moved["people_ahead"] == 0


def test_refusals_say_why_over_the_wire(live):
    refused = live.listen(live.server, "/display", {"display": "KHONG-CO"}, connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect()
    error = refused.errors.get(timeout=5)
    assert error["message"] == "DISPLAY_NOT_FOUND"
    assert error["data"]["title_vi"] and error["data"]["title_en"]

    stranger = live.listen(live.server, "/staff", connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        stranger.connect()
    assert stranger.errors.get(timeout=5)["data"]["code"] == "UNAUTHORIZED"


def test_a_client_that_reconnects_gets_the_current_state(live):
    http = live.http(live.server).login()
    tickets = [http.issue() for _ in range(3)]
    last = tickets[-1]
    auth = {"ticket": last["id"], "token": last["track_token"]}
    patient = live.listen(live.server, "/patient", auth)
    assert patient.wait("patient.state")["position"] == 3
    staff = live.listen(live.server, "/staff", headers={"Cookie": http.cookie()})
    before = staff.wait("staff.state")
    waiting = {r["service"]["code"]: r["waiting"] for r in before["services"]}
    assert waiting["KHAM-NOI"] == 3

    patient.close()
    staff.close()
    http.call_next("P101")
    http.call_next("P102")
    http.issue("KHAM-MAT")

    again = live.listen(live.server, "/patient", auth)
    now = again.wait("patient.state")
    assert now["position"] == 1 and now["people_ahead"] == 0 and now["status"] == "waiting"
    staff_again = live.listen(live.server, "/staff", headers={"Cookie": http.cookie()})
    waiting = {r["service"]["code"]: r["waiting"] for r in staff_again.wait("staff.state")["services"]}
    assert waiting["KHAM-NOI"] == 1 and waiting["KHAM-MAT"] == 1
