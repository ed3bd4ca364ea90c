"""GET /metrics: refused without its token, counts what happens, and adds up every process's
numbers in Prometheus's multiprocess mode (PROMETHEUS_MULTIPROC_DIR)."""
import requests
from prometheus_client.parser import text_string_to_metric_families

from backend.jobs import Job, JobRunner

from tests.integration.realtime.live import Http, Listener, prepare_db
from tests.support.app import make_backend
from tests.support.servers import ServerProcess

TOKEN = "metrics-token-" + "z" * 30


def samples(text: str) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client) -> str:
    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "text/plain"
    return r.get_data(as_text=True)


def test_metrics_are_refused_without_their_token(sqlite_url):
    b = make_backend(sqlite_url, metrics_token=TOKEN)
    c = b.client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        r = c.get("/metrics", headers=headers)
        assert r.status_code == 401 and r.mimetype == "application/problem+json"
        assert r.get_json()["code"] == "UNAUTHORIZED" and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert c.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_metrics_without_any_setting_are_refused_to_everybody(sqlite_url):
    b = make_backend(sqlite_url)
    assert b.client().get("/metrics").status_code == 401
    assert b.client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_a_network_setting_admits_its_addresses_only(sqlite_url):
    b = make_backend(sqlite_url, metrics_networks="127.0.0.0/8")
    assert b.client().get("/metrics").status_code == 200  # the test client's address is 127.0.0.1
    far = b.client().get("/metrics", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert far.status_code == 401


def test_an_issued_ticket_is_counted_by_service_and_route(sqlite_url):
    b = make_backend(sqlite_url, metrics_token=TOKEN)
    c = b.client()
    before = scrape(c)
    r = c.post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
               headers=b.kiosk_headers())
    assert r.status_code == 201
    tid = r.get_json()["id"]
    assert c.get(f"/api/v1/tickets/{tid}?token={r.get_json()['track_token']}").status_code == 200
    after = scrape(c)
    issued = "tiepdon_tickets_issued_total"
    assert value(after, issued, service="KHAM-NOI") == value(before, issued, service="KHAM-NOI") + 1
    requests_ = "tiepdon_http_requests_total"
    assert value(after, requests_, route="/api/v1/tickets", method="POST", status="201") == \
        value(before, requests_, route="/api/v1/tickets", method="POST", status="201") + 1
    # the URL rule, never the path (which names the ticket and carries its token)
    assert value(after, requests_, route="/api/v1/tickets/<ticket_id>", method="GET", status="200") >= 1
    assert tid not in after and "token=" not in after
    assert value(after, "tiepdon_queue_waiting", service="KHAM-NOI") == 1
    assert value(after, "tiepdon_his_outbox_depth", status="pending") == 0


def test_two_processes_add_up_in_multiprocess_mode(sqlite_url, tmp_path):
    token = prepare_db(sqlite_url)
    shared = tmp_path / "metrics"  # a directory of its own: every *.db file in it is read as metrics
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared), "TIEPDON_METRICS_TOKEN": TOKEN}
    servers = [ServerProcess(sqlite_url, **env).start(), ServerProcess(sqlite_url, **env).start()]
    tvs = []
    try:
        for i, server in enumerate(servers):
            http = Http(server.url, token)
            for _ in range(2 + i):  # 2 on the first, 3 on the second
                http.issue()
            tvs.append(Listener(server.url, "/display", auth={"display": "SANH-A"}).connect())
            tvs[-1].wait("display.state")
        pages = [requests.get(s.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
                 for s in servers]
        for page in pages:  # either process answers for both
            assert value(page, "tiepdon_tickets_issued_total", service="KHAM-NOI") == 5
            assert value(page, "tiepdon_http_requests_total", route="/api/v1/tickets", method="POST",
                         status="201") == 5
            assert value(page, "tiepdon_socketio_connections", namespace="/display") == 2
        assert requests.get(servers[0].url + "/metrics", timeout=10).status_code == 401
    finally:
        for tv in tvs:
            tv.close()
        for server in servers:
            server.stop()


def test_a_failing_background_pass_is_counted_by_name(sqlite_url):
    b = make_backend(sqlite_url, metrics_token=TOKEN)
    before = value(scrape(b.client()), "tiepdon_job_failures_total", job="his_outbox")

    def broken():
        raise ConnectionError("HIS unreachable")

    runner = JobRunner([Job("his_outbox", broken, 60)])
    runner.loops["main"].run_once()
    runner.loops["main"].run_once()
    assert value(scrape(b.client()), "tiepdon_job_failures_total", job="his_outbox") == before + 2
