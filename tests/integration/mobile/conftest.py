import re
import shutil
from datetime import date

import pytest
from sqlalchemy import create_engine, text

from backend.adapters.bhxh.client import BhxhClient
from backend.adapters.notify import DevSmsSink
from backend.simulators.bhxh import EXTENSION_KEY, create_bhxh_simulator, start_in_thread
from backend.simulators.bhxh_data import DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD, DEFAULT_STAFF_NAME, SimCard
from tests.support.app import FixedClock, make_backend
from tests.support.cards import synthetic_cccd

FAST = (1000.0, 1000)


# Migrating a fresh database takes seconds (SQLite rebuilds tables for each index); these tests copy
# one migrated database per test instead: the same schema, a fraction of the time.
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    from backend.adapters.db.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "tiepdon.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres):
    from backend.adapters.db.migrate import upgrade

    url = postgres.create_database()
    upgrade(url)
    return url


_copies = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        target = tmp_path / "tiepdon.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    template = request.getfixturevalue("postgres_template")
    base, template_name = template.rsplit("/", 1)
    name = f"{template_name}_c{next(_copies)}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    admin.dispose()
    return f"{base}/{name}"


@pytest.fixture
def bhxh_sim():
    sim = start_in_thread(create_bhxh_simulator())
    yield sim
    sim.stop()


def bhxh_client(sim) -> BhxhClient:
    return BhxhClient(sim.url, DEFAULT_ACCOUNT.username, DEFAULT_ACCOUNT.password, DEFAULT_STAFF_NAME,
                      DEFAULT_STAFF_CCCD, read_timeout=2.0)


def add_people(sim, count: int, start: int = 1) -> list[dict]:
    """Synthetic people the BHXH simulator knows, as the phone's manual entry sends them."""
    state = sim.app.extensions[EXTENSION_KEY]
    people = []
    for i in range(start, start + count):
        number = synthetic_cccd(i, 1980)
        name = f"Nguyễn Văn Thử {chr(ord('A') + i % 26)}"
        state.add_card(SimCard(ma_the=f"DN40101{i:08d}", ho_ten=name, ngay_sinh="01/02/1980", gioi_tinh="Nam",
                               cccd=number))
        people.append({"id_type": "cccd", "number": number, "name": name, "dob": "01/02/1980"})
    return people


AN = {"id_type": "cccd", "number": "001090012345", "name": "Nguyễn Văn An", "dob": "15/08/1990"}
MAI = {"id_type": "cccd", "number": "079305001234", "name": "Trần Thị Mai", "dob": "02/02/2005"}


@pytest.fixture
def clock():
    return FixedClock()  # Monday 23/11/2026 09:00 in Vietnam


@pytest.fixture
def sms():
    return DevSmsSink(echo=False)


@pytest.fixture
def backend(db_url, clock, bhxh_sim, sms):
    b = make_backend(db_url, clock=clock, card_checker=bhxh_client(bhxh_sim), notifier=sms,
                     rate_otp=FAST, rate_account=FAST)
    yield b
    b.app.extensions["tiepdon"].engine.dispose()


def code_from(sms: DevSmsSink, phone_e164: str) -> str:
    text = sms.messages(to=phone_e164, kind="otp")[-1].text
    return re.search(r"\b(\d{6})\b", text).group(1)


class Phone:
    """A patient's phone talking to the API the way the app does."""

    def __init__(self, backend, sms, national: str):
        self.backend, self.sms, self.national = backend, sms, national
        self.e164 = "+84" + national[1:]
        self.client = backend.client()
        self.token = None

    def sign_in(self) -> "Phone":
        r = self.client.post("/api/v1/auth/otp", json={"phone": self.national})
        assert r.status_code == 202, r.get_json()
        r = self.client.post("/api/v1/auth/otp/verify",
                             json={"phone": self.national, "code": code_from(self.sms, self.e164)})
        assert r.status_code == 200, r.get_json()
        self.token = r.get_json()["token"]
        return self

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json if json is not None else {}, headers=self.headers, **kw)

    def patch(self, path, json=None):
        return self.client.patch(path, json=json or {}, headers=self.headers)

    def delete(self, path):
        return self.client.delete(path, headers=self.headers)

    def link_self(self, person: dict) -> str:
        r = self.post("/api/v1/me/patients", {"manual": person, "consent": {"accepted": True}})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["id"]

    def book(self, link_id: str, start: str, service="KHAM-NOI", coverage="bhyt", **headers):
        return self.client.post("/api/v1/appointments", headers={**self.headers, **headers}, json={
            "service_code": service, "start": start, "patient_link_id": link_id, "coverage": coverage})


@pytest.fixture
def phone(backend, sms):
    def make(national: str) -> Phone:
        return Phone(backend, sms, national)

    return make


TOMORROW_8 = "2026-11-24T08:00:00+07:00"
TOMORROW = date(2026, 11, 24)
