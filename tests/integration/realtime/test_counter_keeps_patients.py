"""Issue 17, items 1 and 2, on a real `tiepdon serve` with real websockets: "next" never finishes a
patient who was only called, the stats count only real services, and a transferred patient's phone
and GET /api/v1/tickets/{id} follow the visit to the new ticket."""
import requests


def ticket(http, t: dict) -> dict:
    r = requests.get(f"{http.url}/api/v1/tickets/{t['id']}?token={t['track_token']}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def post(http, path: str, body=None):
    return http.staff.post(http.url + path, json=body, timeout=10)


def test_next_twice_asks_before_making_the_called_patient_a_no_show(live):
    http = live.http(live.server).login()
    a, b = http.issue(), http.issue()
    phone = live.listen(live.server, "/patient", {"ticket": a["id"], "token": a["track_token"]})
    phone.wait("patient.state")
    assert http.call_next("P101")["id"] == a["id"]
    phone.wait("ticket.updated", lambda t: t["status"] == "called")

    # N pressed again a second later: refused, nothing changes, the problem names the patient.
    again = post(http, "/api/v1/service-points/P101/call-next")
    assert again.status_code == 409, again.text
    problem = again.json()
    assert problem["code"] == "CURRENT_NOT_SERVED"
    assert problem["ticket_id"] == a["id"] and problem["display_number"] == a["display_number"]
    assert problem["title"].startswith("Người bệnh") and again.headers["Content-Type"].startswith(
        "application/problem+json")
    assert ticket(http, a)["status"] == "called"
    assert ticket(http, b)["status"] == "waiting" and ticket(http, b)["position"] == 1
    # Only a patient being served can be finished.
    finish = post(http, f"/api/v1/tickets/{a['id']}/finish")
    assert finish.status_code == 409 and finish.json()["code"] == "NOT_BEING_SERVED"
    assert ticket(http, a)["status"] == "called"

    # Staff confirm: the called patient is a no-show (may be re-queued once), the next one called.
    r = post(http, "/api/v1/service-points/P101/call-next", {"current": "no_show"})
    assert r.status_code == 200 and r.json()["id"] == b["id"]
    heard = phone.wait("ticket.updated", lambda t: t["status"] != "called")
    assert heard["status"] == "skipped"
    assert ticket(http, a)["status"] == "skipped" and ticket(http, a)["requeue_allowed"] is True
    back = post(http, f"/api/v1/tickets/{a['id']}/requeue")
    assert back.status_code == 200 and back.json()["status"] == "waiting"
    assert phone.wait("ticket.updated", lambda t: t["status"] == "waiting")["position"] == 1

    # A patient being served is finished by "next", as before.
    assert post(http, f"/api/v1/tickets/{b['id']}/start").status_code == 200
    assert http.call_next("P101")["id"] == a["id"]
    assert ticket(http, b)["status"] == "done"
    bad = post(http, "/api/v1/service-points/P101/call-next", {"current": "maybe"})
    assert bad.status_code == 422 and bad.json()["code"] == "VALIDATION_ERROR"


def test_stats_count_only_services_that_began(live):
    http = live.http(live.server).login()
    a, b = http.issue("KHAM-MAT"), http.issue("KHAM-MAT")
    http.call_next("P201")
    post(http, "/api/v1/service-points/P201/call-next", {"current": "no_show"})
    post(http, f"/api/v1/tickets/{b['id']}/start")
    assert post(http, f"/api/v1/tickets/{b['id']}/finish").json()["status"] == "done"
    stats = http.staff.get(http.url + "/api/v1/stats?service=KHAM-MAT", timeout=10).json()
    mat = stats["services"][0]
    assert (mat["done"], mat["skipped"]) == (1, 1)
    assert mat["service_p50_min"] == 0.0  # one real service (same minute), the no-show not counted
    assert ticket(http, a)["status"] == "skipped"


def test_a_transferred_ticket_points_to_its_replacement_and_the_phone_follows(live):
    http = live.http(live.server).login()
    n = http.issue()
    phone = live.listen(live.server, "/patient", {"ticket": n["id"], "token": n["track_token"]})
    assert phone.wait("patient.state")["replaced_by"] is None
    http.call_next("P101")
    # A called patient cannot be sent on: they have not been seen.
    early = post(http, f"/api/v1/tickets/{n['id']}/transfer", {"service_code": "XET-NGHIEM"})
    assert early.status_code == 409 and early.json()["code"] == "NOT_BEING_SERVED"
    post(http, f"/api/v1/tickets/{n['id']}/start")
    r = post(http, f"/api/v1/tickets/{n['id']}/transfer", {"service_code": "XET-NGHIEM"})
    assert r.status_code == 201, r.text
    x = r.json()["ticket"]

    # The old ticket's event says where the visit went, and the phone reconnecting with the SAME
    # link is put on the new ticket: its state, then its events.
    moved = phone.wait("ticket.updated", lambda t: t["id"] == n["id"] and t["status"] == "done")
    assert moved["replaced_by"]["id"] == x["id"] and moved["current"]["id"] == x["id"]
    phone.close()
    again = live.listen(live.server, "/patient", {"ticket": n["id"], "token": n["track_token"]})
    state = again.wait("patient.state")
    assert state["id"] == x["id"] and state["display_number"] == x["display_number"]
    assert state["status"] == "waiting" and state["position"] == 1
    assert state["followed_from"] == {"id": n["id"], "display_number": n["display_number"]}
    assert list(state["rooms"]) == [f"ticket:{x['id']}"]
    lab = live.http(live.server).login()
    called = lab.call_next("XN1")
    assert called["id"] == x["id"]
    assert again.wait("ticket.updated", lambda t: t["status"] == "called")["id"] == x["id"]

    # REST: the old ticket points to the ticket that replaced it and to the visit's current one.
    old = ticket(http, n)
    brief = {"id": x["id"], "number": x["display_number"], "display_number": x["display_number"],
             "status": "called", "service_code": "XET-NGHIEM",
             "service_name_vi": x["service"]["name_vi"], "service_name_en": x["service"]["name_en"],
             "room_vi": x["service"]["room_vi"], "room_en": x["service"]["room_en"],
             "track_token": x["track_token"], "track_url": x["track_url"]}
    assert old["status"] == "done" and old["replaced_by"] == brief and old["current"] == brief
    new = ticket(http, x)
    assert new["replaced_by"] is None and new["current"]["id"] == x["id"]

    # Sent on once: a second transfer of the same ticket would leave the visit two current tickets.
    twice = post(http, f"/api/v1/tickets/{n['id']}/transfer", {"service_code": "CDHA"})
    assert twice.status_code == 409 and twice.json()["code"] == "ALREADY_TRANSFERRED"
    assert twice.json()["ticket_id"] == x["id"]
