"""Builds a real backend (real database, migrated) for tests, the way `tiepdon` does."""
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from backend import create_app
from backend.adapters.db.migrate import upgrade
from backend.services.auth import add_device, add_staff
from backend.services.ports.realtime import RecordingPublisher
from backend.settings import ROOT, Settings

CONFIG = os.path.join(ROOT, "config", "hospital.toml")
TEST_SECRET = "test-secret-" + "x" * 40
TEST_PII_KEY = "test-pii-key-" + "y" * 40
PASSWORD = "mat-khau-thu-nghiem"
# make_backend's keywords that are not settings but bootstrap.build's overrides
ADAPTER_OVERRIDES = ("publisher", "card_checker", "his", "notifier", "payments_context", "payments",
                     "payment_providers", "appointments")


class FixedClock:
    """A clock the test moves by hand (numbering across midnight, waits, opening hours)."""

    def __init__(self, at: datetime | None = None):
        self.now = at or datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 09:00 in Vietnam

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw):
        from datetime import timedelta

        self.now = self.now + timedelta(**kw)


@dataclass
class Backend:
    app: object
    deps: object
    publisher: RecordingPublisher
    clock: FixedClock | None
    device_token: str
    url: str

    def client(self):
        return self.app.test_client()

    def kiosk_headers(self, **extra) -> dict:
        return {"Authorization": f"Bearer {self.device_token}", **extra}

    def add_staff(self, username: str, role: str, points: list[str] | None = None):
        return add_staff(self.deps, username, f"Nhân viên {username}", role, PASSWORD, points or [])

    def login(self, username: str):
        c = self.app.test_client()
        r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.get_json()
        c.environ_base["HTTP_X_CSRF_TOKEN"] = r.get_json()["csrf_token"]
        return c


def make_backend(url: str, clock: FixedClock | None = None, ignore_hours: bool = True,
                 **overrides) -> Backend:
    upgrade(url)
    publisher = RecordingPublisher()
    # Settings by name, like the environment; adapters and fakes replace what bootstrap.build would make.
    adapters = {name: overrides.pop(name) for name in ADAPTER_OVERRIDES if name in overrides}
    adapters.setdefault("publisher", publisher)
    if clock is not None:
        adapters["clock"] = clock
    config = {"database_url": url, "secret_key": TEST_SECRET, "config_path": CONFIG,
              "pii_key": TEST_PII_KEY, "background_workers": False,
              "ignore_opening_hours": ignore_hours,
              "rate_kiosk": (1000.0, 1000), "rate_public": (1000.0, 1000),
              "dev_sms": True,  # tests read sign-in codes from the development outbox
              **overrides}
    app = create_app(config, **adapters)
    deps = app.extensions["tiepdon"].deps
    _, token = add_device(deps, "kiosk-" + secrets.token_hex(4))
    return Backend(app, deps, publisher, clock, token, url)
