"""Two `tiepdon serve` processes and a real redis-server: an event raised in one process reaches
clients of the other; without Redis, requests go on and the fault is logged once."""
import logging

import pytest

from tests.integration.realtime.live import wait_until
from tests.support.app import make_backend
from tests.support.pg import free_port
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def two_processes(rig, redis_server, sqlite_url):
    """Process A and process B on one database, joined by Redis."""
    a = ServerProcess(sqlite_url, REDIS_URL=redis_server.url).start()
    rig.servers.append(a)
    b = ServerProcess(sqlite_url, REDIS_URL=redis_server.url).start()
    rig.servers.append(b)
    return a, b


def test_a_call_on_one_process_reaches_clients_of_the_other(two_processes, rig):
    a, b = two_processes
    http_a = rig.http(a).login()
    first, second = http_a.issue(), http_a.issue()
    display = rig.listen(b, "/display", {"display": "KHU-KHAM"})
    state = display.wait("display.state")
    patient = rig.listen(b, "/patient", {"ticket": second["id"], "token": second["track_token"]})
    patient.wait("patient.state")
    operator = rig.listen(b, "/staff", headers={"Cookie": rig.http(b).login("bs-noi").cookie()})
    operator.wait("staff.state")

    http_a.call_next("P101")
    heard = display.wait("ticket.called")
    assert heard["display_number"] == first["display_number"]
    # A's publisher may still deliver the earlier "issued" update (position 2) after the phone
    # joined; what matters is that the move caused by A's call reaches the phone on B.
    moved = patient.wait("ticket.updated", match=lambda body: body["position"] == 1)
    assert moved["id"] == second["id"] and moved["people_ahead"] == 0  # followed on B, moved by A
    assert operator.wait("ticket.updated", lambda e: e["action"] == "call")["id"] == first["id"]

    # Numbering is shared: a call made on B follows the one made on A in the same room.
    rig.http(b).login().call_next("P102")
    assert display.wait("ticket.called")["seq"] == heard["seq"] + 1
    assert heard["seq"] > state["seq"]


def test_redis_going_away_and_coming_back(two_processes, rig, redis_server):
    a, b = two_processes
    http_a = rig.http(a).login()
    for _ in range(4):
        http_a.issue()
    display = rig.listen(b, "/display", {"display": "KHU-KHAM"})
    display.wait("display.state")
    assert http_a.health()["checks"]["redis"]["status"] == "ok"

    redis_server.stop()
    # Short client timeouts: a request held up by the dead Redis would fail here.
    during = http_a.call_next("P101", timeout=3)
    health = http_a.health()
    assert health["checks"]["redis"]["status"] == "down" and health["status"] == "degraded"
    for _ in range(3):
        rig.http(a).issue(timeout=3)

    redis_server.start()
    wait_until(lambda: rig.http(a).health()["checks"]["redis"]["status"] == "ok", timeout=10)
    # B was deaf while Redis was away: its display gets the whole picture again, with the call
    # made during the outage, without anyone touching the queue.
    resync = display.wait("display.state", timeout=10)
    current = {p["service_point"]["code"]: p["current"] for p in resync["points"]}
    assert current["P101"]["display_number"] == during["display_number"]
    after = http_a.call_next("P102")
    assert display.wait("ticket.called", lambda e: e["display_number"] == after["display_number"],
                        timeout=10)


def test_an_unreachable_redis_never_holds_or_breaks_a_request(sqlite_url, caplog):
    caplog.set_level(logging.WARNING, logger="tiepdon")
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    b = make_backend(sqlite_url, publisher=None, background_workers=False, long_wait_check_s=0,
                     redis_url=dead)
    try:
        b.add_staff("le-tan", "reception")
        staff = b.login("le-tan")
        for _ in range(6):
            r = b.client().post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                                headers=b.kiosk_headers())
            assert r.status_code == 201
        for _ in range(5):
            assert staff.post("/api/v1/service-points/P101/call-next",
                              json={"current": "no_show"}).status_code == 200
        assert b.deps.publisher.flush(10)
        health = b.client().get("/api/v1/health")
        assert health.status_code == 200
        assert health.get_json()["checks"]["redis"]["status"] == "down"
        faults = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
        assert len(faults) == 1
        assert b.deps.publisher.stats["lost"] > 0
    finally:
        b.app.extensions["tiepdon_realtime"].stop()
        b.app.extensions["tiepdon"].engine.dispose()
