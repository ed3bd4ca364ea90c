"""Real things for the live tests: a redis-server process, a prepared database for `tiepdon serve`,
and a python-socketio client that records what it hears."""
import queue
import shutil
import subprocess
import tempfile
import time

import requests
import socketio

from backend.adapters.db.migrate import upgrade
from backend.bootstrap import build_container
from backend.services.auth import add_device, add_staff
from backend.settings import Settings
from tests.support.app import CONFIG, PASSWORD, TEST_PII_KEY, TEST_SECRET
from tests.support.pg import free_port


def prepare_db(db_url: str) -> str:
    """Migrates, adds a kiosk and staff accounts; returns the kiosk's token."""
    upgrade(db_url)
    container = build_container(Settings.from_env({
        "database_url": db_url, "secret_key": TEST_SECRET, "pii_key": TEST_PII_KEY,
        "config_path": CONFIG, "background_workers": False}))
    _, token = add_device(container.deps, "kiosk-live")
    add_staff(container.deps, "le-tan", "Nhân viên lễ tân", "reception", PASSWORD)
    add_staff(container.deps, "bs-noi", "Bác sĩ phòng 101", "room", PASSWORD, ["P101"])
    container.engine.dispose()
    return token


class Http:
    """Kiosk and staff calls against one running server."""

    def __init__(self, url: str, device_token: str):
        self.url = url
        self.kiosk = {"Authorization": f"Bearer {device_token}"}
        self.staff = requests.Session()

    def login(self, username: str = "le-tan") -> "Http":
        r = self.staff.post(self.url + "/api/v1/auth/login",
                            json={"username": username, "password": PASSWORD}, timeout=10)
        assert r.status_code == 200, r.text
        self.staff.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return self

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.staff.cookies)

    def issue(self, service: str = "KHAM-NOI", timeout: float = 10) -> dict:
        r = requests.post(self.url + "/api/v1/tickets",
                          json={"service_code": service, "coverage": "self_pay"},
                          headers=self.kiosk, timeout=timeout)
        assert r.status_code == 201, r.text
        return r.json()

    def call_next(self, point: str = "P101", timeout: float = 10) -> dict:
        r = self.staff.post(f"{self.url}/api/v1/service-points/{point}/call-next", timeout=timeout)
        assert r.status_code == 200, r.text
        return r.json()

    def health(self) -> dict:
        return requests.get(self.url + "/api/v1/health", timeout=5).json()


class Listener:
    """A real python-socketio client over a real websocket, recording every event it hears."""

    def __init__(self, url: str, namespace: str, auth: dict | None = None, headers: dict | None = None):
        self.namespace = namespace
        self.events: queue.Queue = queue.Queue()
        self.errors: queue.Queue = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", lambda event, data=None: self.events.put((event, data)), namespace=namespace)
        self.client.on("connect_error", lambda data=None: self.errors.put(data), namespace=namespace)
        self.url, self.auth, self.headers = url, auth, headers

    def connect(self) -> "Listener":
        self.client.connect(self.url, namespaces=[self.namespace], auth=self.auth, headers=self.headers,
                            transports=["websocket"], wait_timeout=10)
        return self

    def wait(self, name: str, match=lambda body: True, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching {name} on {self.namespace} within {timeout} s")
            try:
                event, body = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event == name and match(body):
                return body

    def drain(self) -> list[tuple[str, dict]]:
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        try:
            self.client.disconnect()
        except Exception:  # already gone with its server
            pass


class RedisServer:
    """A throwaway redis-server on a loopback port, without persistence, restartable on that port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="tiepdon-redis-")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_until(predicate, timeout: float = 10.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")
