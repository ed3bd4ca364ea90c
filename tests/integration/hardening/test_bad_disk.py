"""Issue 15 §4: a full or read-only disk is a 503 with Retry-After and an unhealthy database in
/health — never a 500, never a crash — and a read-only database is refused at start-up."""
import os
import subprocess
import sys

import pytest
import requests

from tests.support.app import make_backend
from tests.support.disks import ext4_loop, fail_read_only, fill, remount_read_only, remount_read_write, small_tmpfs
from tests.support.servers import ServerProcess, server_env

TICKET = {"service_code": "KHAM-NOI", "coverage": "self_pay"}


def _is_storage_problem(r) -> bool:
    return (r.status_code == 503 and r.headers.get("Content-Type", "").startswith("application/problem+json")
            and r.json()["code"] == "STORAGE_UNAVAILABLE" and int(r.headers["Retry-After"]) > 0)


def test_a_full_disk_answers_503_reports_the_database_unhealthy_and_recovers(tmp_path):
    with small_tmpfs(tmp_path / "disk", "8m") as disk:
        b = make_backend(f"sqlite:///{disk}/tiepdon.db")
        c = b.client()
        try:
            assert c.post("/api/v1/tickets", json=TICKET, headers=b.kiosk_headers()).status_code == 201
            filler = fill(disk)
            health = c.get("/api/v1/health")
            assert health.status_code == 503 and health.get_json()["checks"]["database"]["status"] == "down"
            answers = [c.post("/api/v1/tickets", json=TICKET, headers=b.kiosk_headers()) for _ in range(50)]
            failed = [r for r in answers if r.status_code != 201]
            assert failed, "the disk never filled up"
            for r in failed:
                assert r.status_code == 503 and r.get_json()["code"] == "STORAGE_UNAVAILABLE", r.get_data()[:300]
                assert int(r.headers["Retry-After"]) > 0
            assert c.get("/api/v1/health").status_code == 503

            os.remove(filler)  # space comes back: everything works again by itself
            assert c.post("/api/v1/tickets", json=TICKET, headers=b.kiosk_headers()).status_code == 201
            health = c.get("/api/v1/health")
            assert health.status_code == 200 and health.get_json()["checks"]["database"]["status"] == "ok"
        finally:
            b.app.extensions["tiepdon"].engine.dispose()


def _prepared_database(url: str) -> str:
    """Schema and a kiosk, by the CLI as hospital IT would (nothing stays open in this process)."""
    env = server_env(url)
    subprocess.run([sys.executable, "-m", "backend.cli", "db", "upgrade"], env=env, check=True,
                   capture_output=True, timeout=60)
    added = subprocess.run([sys.executable, "-m", "backend.cli", "device", "add", "kiosk-disk"], env=env,
                           check=True, capture_output=True, text=True, timeout=60)
    return added.stdout.strip().splitlines()[-1]


def test_serve_refuses_a_read_only_database_with_exit_code_2(tmp_path):
    with small_tmpfs(tmp_path / "disk", "16m") as disk:
        url = f"sqlite:///{disk}/tiepdon.db"
        _prepared_database(url)
        remount_read_only(disk)
        try:
            done = subprocess.run([sys.executable, "-m", "backend.cli", "serve", "--port", "0"],
                                  env=server_env(url), capture_output=True, text=True, timeout=60)
        finally:
            remount_read_write(disk)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "chỉ đọc" in done.stderr and "read-only" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_database_that_turns_read_only_under_a_running_server_answers_503(tmp_path):
    with ext4_loop(tmp_path / "disk", tmp_path / "disk.img") as disk:
        url = f"sqlite:///{disk}/tiepdon.db"
        token = _prepared_database(url)
        server = ServerProcess(url).start()
        try:
            headers = {"Authorization": f"Bearer {token}"}
            assert requests.post(server.url + "/api/v1/tickets", json=TICKET, headers=headers,
                                 timeout=10).status_code == 201
            fail_read_only(disk)
            for _ in range(20):
                r = requests.post(server.url + "/api/v1/tickets", json=TICKET, headers=headers, timeout=10)
                assert _is_storage_problem(r), (r.status_code, r.text[:300])
                health = requests.get(server.url + "/api/v1/health", timeout=10)
                assert health.status_code == 503 and health.json()["checks"]["database"]["status"] == "down"
            assert requests.get(server.url + "/api/v1/services", timeout=10).status_code == 200  # reads still work
            assert server.proc.poll() is None
        finally:
            server.stop()
        log = server.proc.stderr.read().decode()
        assert log.count("Booting worker") == 1, log[-3000:]  # the same worker throughout: no crash loop
        assert "Traceback" not in log, log[-3000:]


def test_the_server_master_holds_no_database_file_its_workers_would_inherit(tmp_path):
    """`tiepdon serve` checks the database before gunicorn forks; a connection left open there is
    inherited by every worker (descriptors and the -shm mapping, without SQLite's locks), which
    SQLite forbids: closing it in a worker acts on files the worker's own connections use."""
    url = f"sqlite:///{tmp_path / 'tiepdon.db'}"
    _prepared_database(url)
    server = ServerProcess(url).start()
    try:
        master = server.proc.pid
        maps = open(f"/proc/{master}/maps").read()
        files = [os.readlink(f"/proc/{master}/fd/{fd}") for fd in os.listdir(f"/proc/{master}/fd")]
    finally:
        server.stop()
    assert "tiepdon.db" not in maps
    assert not [f for f in files if "tiepdon.db" in f], files
