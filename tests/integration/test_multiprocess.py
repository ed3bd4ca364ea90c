"""Several real backend processes on one database: no duplicate numbers, no lost tickets."""
import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import create_engine, text

from backend.adapters.db.migrate import upgrade
from backend.bootstrap import build_container
from backend.services.auth import add_device, add_staff
from backend.settings import Settings
from tests.support.app import CONFIG, PASSWORD, TEST_PII_KEY, TEST_SECRET
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow


def prepare(db_url: str) -> tuple[str, object]:
    upgrade(db_url)
    container = build_container(Settings.from_env({"database_url": db_url, "secret_key": TEST_SECRET,
                                                    "pii_key": TEST_PII_KEY, "config_path": CONFIG}))
    _, token = add_device(container.deps, "kiosk-load")
    add_staff(container.deps, "quay-a", "Nhân viên A", "reception", PASSWORD)
    add_staff(container.deps, "quay-b", "Nhân viên B", "reception", PASSWORD)
    container.engine.dispose()
    return token, None


def numbers_in_db(db_url: str, service="KHAM-NOI") -> list[int]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT number FROM tickets WHERE service_code = :s"), {"s": service})
        numbers = [r[0] for r in rows]
    engine.dispose()
    return numbers


@pytest.fixture
def two_servers(db_url):
    token, _ = prepare(db_url)
    servers = [ServerProcess(db_url).start(), ServerProcess(db_url).start()]
    yield token, servers, db_url
    for s in servers:
        s.stop()


def test_50_threads_two_processes_no_duplicates_nothing_lost(two_servers):
    token, servers, db_url = two_servers
    per_thread = 10
    results: list[tuple[int, dict | None]] = []
    lock = threading.Lock()
    start = threading.Barrier(50)

    def worker(i: int):
        session = requests.Session()
        start.wait()
        for k in range(per_thread):
            server = servers[(i + k) % 2]
            r = session.post(server.url + "/api/v1/tickets",
                             json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
            with lock:
                results.append((r.status_code, r.json() if r.status_code == 201 else None))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(code for code, _ in results) == {201: 500}
    answered = [body["number"] for _, body in results]
    assert len(set(answered)) == 500
    stored = numbers_in_db(db_url)
    assert sorted(stored) == sorted(answered) == list(range(1, 501))


def _login(server: ServerProcess, username: str) -> requests.Session:
    s = requests.Session()
    r = s.post(server.url + "/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return s


def test_two_staff_call_next_at_the_same_instant_never_get_the_same_ticket(two_servers):
    token, servers, db_url = two_servers
    kiosk = requests.Session()
    for _ in range(300):
        kiosk.post(servers[0].url + "/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                   headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    staff = [_login(servers[0], "quay-a"), _login(servers[1], "quay-b")]
    called: list[str] = []
    statuses: list[int] = []
    lock = threading.Lock()
    for _round in range(200):
        barrier = threading.Barrier(2)

        def press(i):
            barrier.wait()
            r = staff[i].post(servers[i].url + "/api/v1/service-points/P101/call-next",
                              json={"current": "no_show"}, timeout=30)
            with lock:
                statuses.append(r.status_code)
                if r.status_code == 200:
                    called.append(r.json()["id"])

        pair = [threading.Thread(target=press, args=(i,)) for i in range(2)]
        for t in pair:
            t.start()
        for t in pair:
            t.join()
    assert set(statuses) <= {200, 204}
    assert len(called) == 300  # every waiting patient called exactly once, then 204s
    assert len(set(called)) == len(called)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        per_ticket = conn.execute(text(
            "SELECT ticket_id, COUNT(*) FROM ticket_events WHERE action = 'call' GROUP BY ticket_id "
            "HAVING COUNT(*) > 1")).fetchall()
    engine.dispose()
    assert per_ticket == []


def test_sigkill_mid_load_loses_no_acknowledged_ticket(sqlite_url):
    token, _ = prepare(sqlite_url)
    server = ServerProcess(sqlite_url).start()
    acknowledged: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load():
        s = requests.Session()
        while not stop.is_set():
            try:
                r = s.post(server.url + "/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                           headers={"Authorization": f"Bearer {token}"}, timeout=5)
            except requests.RequestException:
                continue
            if r.status_code == 201:
                with lock:
                    acknowledged.append(r.json())

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    while len(acknowledged) < 150:
        threading.Event().wait(0.02)
    server.kill()
    stop.set()
    for t in threads:
        t.join()
    before = set(numbers_in_db(sqlite_url))
    assert {t["number"] for t in acknowledged} <= before
    restarted = ServerProcess(sqlite_url, port=server.port).start()
    try:
        r = requests.post(restarted.url + "/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert r.status_code == 201
        assert r.json()["number"] == max(before) + 1
        after = numbers_in_db(sqlite_url)
        assert len(after) == len(set(after)) == len(before) + 1
    finally:
        restarted.stop()
