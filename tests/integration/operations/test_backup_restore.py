"""`tiepdon backup` while kiosks issue tickets on a real server, then `tiepdon restore` into a fresh
database: every ticket answered 201 before the backup began is there, nothing that was never
answered is, the checksum is checked, a non-empty database is refused, no key is in the copy."""
import json
import os
import subprocess
import sys
import threading
import time

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.integration.test_multiprocess import prepare
from tests.support.app import TEST_PII_KEY, TEST_SECRET
from tests.support.servers import ServerProcess, server_env

pytestmark = pytest.mark.slow


def tiepdon(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def fresh_url(db_url: str, tmp_path, postgres_request) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'tiepdon.db'}"
    return postgres_request.getfixturevalue("postgres").create_database()


def tickets_in(url: str) -> set[tuple[str, int]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT service_code, number FROM tickets")).all()
    engine.dispose()
    return {(r[0], r[1]) for r in rows}


def test_backup_under_load_restores_every_answered_ticket(db_url, tmp_path, request):
    token, _ = prepare(db_url)
    server = ServerProcess(db_url).start()
    backups = tmp_path / "backups"
    env = server_env(db_url, TIEPDON_BACKUP_DIR=str(backups))
    answered: list[tuple[float, str, int]] = []  # (when the 201 came, service, number)
    refused: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    started = threading.Barrier(21)

    def kiosk(i: int):
        session = requests.Session()
        service = ("KHAM-NOI", "KHAM-NGOAI")[i % 2]
        started.wait()
        while not stop.is_set():
            r = session.post(server.url + "/api/v1/tickets", json={"service_code": service, "coverage": "self_pay"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
            with lock:
                if r.status_code == 201:
                    answered.append((time.monotonic(), service, r.json()["number"]))
                else:
                    refused.append(r.status_code)

    kiosks = [threading.Thread(target=kiosk, args=(i,)) for i in range(20)]
    try:
        for t in kiosks:
            t.start()
        started.wait()
        while len(answered) < 100:  # the kiosks are busy before the backup starts
            time.sleep(0.05)
        began = time.monotonic()
        result = tiepdon(env, "backup")
        with lock:
            during = len(answered)
        while len(answered) < during + 50:  # and still busy after it
            time.sleep(0.05)
    finally:
        stop.set()
        for t in kiosks:
            t.join()
        server.stop()
    assert result.returncode == 0, result.stderr
    assert refused == []

    manifests = sorted(backups.glob("*.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    copy = backups / manifest["file"]
    blob = copy.read_bytes()
    assert TEST_PII_KEY.encode() not in blob and TEST_SECRET.encode() not in blob
    assert TEST_PII_KEY not in manifests[0].read_text()

    target = fresh_url(db_url, tmp_path, request)
    restored = tiepdon(server_env(target), "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    in_copy = tickets_in(target)
    before_backup = {(s, n) for when, s, n in answered if when < began}
    assert before_backup <= in_copy  # every ticket answered before the backup began is there
    assert in_copy <= {(s, n) for _, s, n in answered}  # and nothing never answered
    assert len(in_copy) < len(answered)  # the kiosks went on after the backup

    # The restored instance serves and goes on numbering after the copy's last ticket.
    again = ServerProcess(target).start()
    try:
        r = requests.post(again.url + "/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 201, r.text
        assert r.json()["number"] == max(n for s, n in in_copy if s == "KHAM-NOI") + 1
    finally:
        again.stop()

    # A second restore into the now non-empty database is refused and changes nothing; --force replaces.
    refused_restore = tiepdon(server_env(target), "restore", str(copy))
    assert refused_restore.returncode != 0
    assert "--force" in refused_restore.stderr
    assert len(tickets_in(target)) == len(in_copy) + 1
    forced = tiepdon(server_env(target), "restore", "--force", str(copy))
    assert forced.returncode == 0, forced.stderr
    assert tickets_in(target) == in_copy


def test_restore_checks_the_checksum_and_backups_are_pruned(sqlite_url, tmp_path):
    prepare(sqlite_url)
    backups = tmp_path / "backups"
    env = server_env(sqlite_url, TIEPDON_BACKUP_DIR=str(backups), TIEPDON_BACKUP_KEEP="2")
    for _ in range(3):
        assert tiepdon(env, "backup").returncode == 0
    manifests = sorted(backups.glob("*.json"))
    assert len(manifests) == 2 and len(list(backups.glob("tiepdon-*.sqlite3"))) == 2

    copy = backups / json.loads(manifests[-1].read_text())["file"]
    with open(copy, "r+b") as fh:  # one flipped byte
        fh.seek(200)
        byte = fh.read(1)
        fh.seek(200)
        fh.write(bytes([byte[0] ^ 0xFF]))
    target = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = tiepdon(server_env(target), "restore", str(copy))
    assert result.returncode != 0
    assert "sha256" in result.stderr
    assert not os.path.exists(tmp_path / "fresh.db")
