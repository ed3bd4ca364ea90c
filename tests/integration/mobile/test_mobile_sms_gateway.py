"""The HTTP SMS adapter against a small real HTTP server standing in for the brand-name gateway."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backend.adapters.notify.http_sms import HttpSmsGateway
from backend.services.ports.notify import NotifyRejected, NotifyUnavailable, SmsMessage
from tests.support.app import make_backend


class Gateway:
    """Answers with the queued (status, body, delay) and keeps every request it got."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, str, float]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "body": json.loads(raw)})
                status, body, delay = gateway.answers.pop(0) if gateway.answers else (200, '{"id": "gw-1"}', 0)
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/sms"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.stop()


MESSAGE = SmsMessage(to="+84912345678", text="Mời số N012 đến Phòng khám 101", kind="called", ref="ref-1")


def test_wire_format(gateway):
    client = HttpSmsGateway(gateway.url, "secret-key-123", "BV SONG CAU")
    assert client.send_sms(MESSAGE) == "gw-1"
    req = gateway.requests[0]
    assert req["path"] == "/v1/sms"
    assert req["headers"]["Authorization"] == "Bearer secret-key-123"
    assert req["headers"]["X-Request-Id"] == "ref-1"
    assert req["body"] == {"to": "84912345678", "brandname": "BV SONG CAU", "type": "cskh",
                           "message": "Mời số N012 đến Phòng khám 101", "ref": "ref-1"}
    assert "secret-key-123" not in repr(client)


def test_ascii_only_routes_get_text_without_diacritics(gateway):
    client = HttpSmsGateway(gateway.url, "k", "BV", ascii_only=True)
    client.send_sms(SmsMessage(to="+84912345678", text="Đến Phòng khám Nội – Tiếp Đón", kind="otp", ref="r"))
    body = gateway.requests[0]["body"]
    assert body["message"] == "Den Phong kham Noi – Tiep Don" and body["type"] == "otp"


def test_faults_are_told_apart(gateway):
    client = HttpSmsGateway(gateway.url, "k", "BV", read_timeout=0.3)
    gateway.answers = [(503, "{}", 0), (400, '{"error": "template"}', 0), (200, "<html>", 0),
                       (200, '{"id": "late"}', 1.0)]
    with pytest.raises(NotifyUnavailable) as down:
        client.send_sms(MESSAGE)
    assert down.value.reason == "http_503" and not isinstance(down.value, NotifyRejected)
    with pytest.raises(NotifyRejected) as refused:
        client.send_sms(MESSAGE)
    assert refused.value.reason == "http_400"
    with pytest.raises(NotifyUnavailable) as garbage:
        client.send_sms(MESSAGE)
    assert garbage.value.reason == "bad_answer"
    with pytest.raises(NotifyUnavailable) as slow:
        client.send_sms(MESSAGE)
    assert slow.value.reason == "timeout"


def test_the_backend_sends_sign_in_codes_through_the_gateway(gateway, sqlite_url):
    b = make_backend(sqlite_url, sms_gateway_url=gateway.url, sms_gateway_key="key-from-env",
                     sms_brand_name="BV SONG CAU", rate_otp=(1000.0, 1000))
    r = b.client().post("/api/v1/auth/otp", json={"phone": "0912345678"})
    assert r.status_code == 202
    body = gateway.requests[0]["body"]
    assert body["to"] == "84912345678" and body["type"] == "otp" and body["brandname"] == "BV SONG CAU"
    assert body["message"].startswith("Mã xác thực Tiếp Đón của bạn là ")
    code = body["message"].split("là ")[1][:6]
    ok = b.client().post("/api/v1/auth/otp/verify", json={"phone": "0912345678", "code": code})
    assert ok.status_code == 200
    # No dev outbox when a real gateway is configured.
    assert b.deps.mobile.outbox is None
