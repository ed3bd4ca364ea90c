"""Every answer names its request; the log lines say which request they belong to, as JSON when
asked (TIEPDON_LOG_FORMAT=json), and the background work a request set off says so too."""
import io
import json
import logging

import pytest

from backend.adapters.logs import bound_request_id, current_request_id, log_handler
from backend.adapters.realtime.socketio_publisher import _request_ids
from tests.support.app import make_backend

TICKET = {"service_code": "KHAM-NOI", "coverage": "self_pay"}


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    handler = log_handler("json", stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_every_answer_carries_a_new_request_id(sqlite_url):
    b = make_backend(sqlite_url)
    c = b.client()
    ids = {c.get("/api/v1/health").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3 and all(len(i) == 32 for i in ids)


def test_the_trusted_proxys_request_id_is_kept_a_clients_is_not(sqlite_url):
    proxied = make_backend(sqlite_url, trusted_proxies="127.0.0.1")
    r = proxied.client().get("/api/v1/health", headers={"X-Request-ID": "abc123def4567890"})
    assert r.headers["X-Request-ID"] == "abc123def4567890"
    # not well formed: a new one
    r = proxied.client().get("/api/v1/health", headers={"X-Request-ID": "Nguyễn Văn An 0909"})
    assert r.headers["X-Request-ID"] != "Nguyễn Văn An 0909"
    direct = make_backend(sqlite_url)  # nobody trusted: a client's own id is not taken
    r = direct.client().get("/api/v1/health", headers={"X-Request-ID": "abc123def4567890"})
    assert r.headers["X-Request-ID"] != "abc123def4567890"


def test_json_log_lines_name_the_request_route_and_status(sqlite_url, json_lines):
    b = make_backend(sqlite_url)
    r = b.client().post("/api/v1/tickets", json=TICKET, headers=b.kiosk_headers())
    assert r.status_code == 201
    rid = r.headers["X-Request-ID"]
    tid = r.get_json()["id"]
    b.client().get(f"/api/v1/tickets/{tid}?token={r.get_json()['track_token']}")
    lines = json_lines()
    access = [line for line in lines if line["logger"] == "tiepdon.access"]
    mine = [line for line in access if line["request_id"] == rid]
    assert len(mine) == 1
    assert mine[0]["route"] == "/api/v1/tickets" and mine[0]["method"] == "POST" and mine[0]["status"] == 201
    assert {"ts", "level", "message", "duration_ms"} <= set(mine[0])
    text = "\n".join(json.dumps(line) for line in lines)
    assert tid not in text and r.get_json()["track_token"] not in text  # rules, never paths


def test_background_work_logs_under_the_requests_that_started_it(json_lines):
    log = logging.getLogger("tiepdon.test")
    batch = [("ticket", None, "issue", "req-aaaaaaaa"), ("counts", "req-bbbbbbbb"), ("counts", None),
             ("ticket", None, "call", "req-aaaaaaaa")]
    with bound_request_id(_request_ids(batch)):
        log.warning("publishing failed")
    assert current_request_id() is None
    line = json_lines()[-1]
    assert line["request_id"] == "req-aaaaaaaa,req-bbbbbbbb" and line["message"] == "publishing failed"
