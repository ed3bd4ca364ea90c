"""A real backend (real database) with the real Socket.IO publisher, driven through Flask-SocketIO's
test client. The test client cannot sit on a message queue: Redis runs in test_scale_out.py."""
import time

import pytest

from tests.integration.realtime.live import Http, Listener, RedisServer, prepare_db
from tests.support.app import FixedClock, make_backend
from tests.support.servers import ServerProcess


class Realtime:
    def __init__(self, backend):
        self.b = backend
        self.app = backend.app
        self.sio = backend.app.extensions["socketio"]
        self.hub = backend.app.extensions["tiepdon_realtime"]
        self.publisher = backend.deps.publisher

    def issue(self, service: str = "KHAM-NOI", **extra) -> dict:
        r = self.b.client().post("/api/v1/tickets",
                                 json={"service_code": service, "coverage": "self_pay", **extra},
                                 headers=self.b.kiosk_headers())
        assert r.status_code == 201, r.get_json()
        return r.get_json()

    def connect(self, namespace: str, auth=None, staff=None):
        # Events of earlier changes still in flight would otherwise land after the state.
        assert self.publisher.flush(10)
        return self.sio.test_client(self.app, namespace=namespace, auth=auth, flask_test_client=staff)

    def patient(self, ticket: dict):
        return self.connect("/patient", {"ticket": ticket["id"], "token": ticket["track_token"]})

    def events(self, client, namespace: str) -> list[tuple[str, dict]]:
        """Everything the client received since last asked, once the publisher has caught up."""
        assert self.publisher.flush(10), "publisher did not drain"
        return [(e["name"], e["args"][0]) for e in client.get_received(namespace)]

    def wait_for(self, client, namespace: str, name: str, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        seen: list[dict] = []
        while time.monotonic() < deadline:
            seen += [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]
            if seen:
                return seen
            time.sleep(0.02)
        raise AssertionError(f"no {name} on {namespace} within {timeout} s")


def _make(url, clock, **overrides):
    b = make_backend(url, clock=clock, publisher=None, background_workers=False, **overrides)
    return Realtime(b)


@pytest.fixture
def clock():
    return FixedClock()


@pytest.fixture
def rt(sqlite_url, clock):
    r = _make(sqlite_url, clock, long_wait_check_s=0)
    yield r
    r.hub.stop()
    r.b.app.extensions["tiepdon"].engine.dispose()


@pytest.fixture
def rt_db(db_url, clock):
    """The same, on SQLite and on PostgreSQL."""
    r = _make(db_url, clock, long_wait_check_s=0)
    yield r
    r.hub.stop()
    r.b.app.extensions["tiepdon"].engine.dispose()


@pytest.fixture
def rt_alerts(sqlite_url, clock):
    r = _make(sqlite_url, clock, long_wait_check_s=0.05)
    yield r
    r.hub.stop()
    r.b.app.extensions["tiepdon"].engine.dispose()


# --- real servers, real sockets ------------------------------------------------------------------


class LiveRig:
    def __init__(self, device_token: str):
        self.device_token = device_token
        self.listeners: list = []
        self.servers: list = []

    def listen(self, server, namespace: str, auth=None, headers=None, connect: bool = True):
        listener = Listener(server.url, namespace, auth, headers)
        self.listeners.append(listener)
        return listener.connect() if connect else listener

    def http(self, server):
        return Http(server.url, self.device_token)

    def close(self):
        for listener in self.listeners:
            listener.close()
        for server in self.servers:
            server.stop()


@pytest.fixture
def rig(sqlite_url):
    """A prepared database (kiosk, reception and room staff); servers are started by the test."""
    r = LiveRig(prepare_db(sqlite_url))
    yield r
    r.close()


@pytest.fixture
def live(rig, sqlite_url):
    """One `tiepdon serve` process on that database."""
    rig.server = ServerProcess(sqlite_url).start()
    rig.servers.append(rig.server)
    return rig


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.cleanup()
