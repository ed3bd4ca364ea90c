"""The served process's daily backup (TIEPDON_BACKUP_AT): in the job list only when asked for, due
once a day after its time (hospital time), and one process does it when several share the folder."""
import fcntl
import json
import os
import time as clock
from datetime import datetime, time, timezone

import requests

from backend.adapters.db.backup import ScheduledBackup, list_backups
from backend.adapters.db.migrate import upgrade
from backend.bootstrap import build_container
from backend.settings import Settings
from tests.integration.test_multiprocess import prepare
from tests.support.app import CONFIG, TEST_PII_KEY, TEST_SECRET
from tests.support.servers import ServerProcess


def settings(url: str, **extra) -> Settings:
    return Settings.from_env({"database_url": url, "secret_key": TEST_SECRET, "pii_key": TEST_PII_KEY,
                              "config_path": CONFIG, "dev_sms": True, **extra}, env={})


def test_the_backup_job_is_listed_only_when_a_time_is_set(sqlite_url, tmp_path):
    upgrade(sqlite_url)
    off = build_container(settings(sqlite_url))
    assert "backup" not in [j.name for j in off.jobs]
    on = build_container(settings(sqlite_url, backup_at="02:30", backup_dir=str(tmp_path / "b")))
    job = next(j for j in on.jobs if j.name == "backup")
    assert job.loop == "backup"  # its own loop: a long copy never delays the HIS outbox
    off.engine.dispose()
    on.engine.dispose()


def test_once_a_day_after_its_time_in_hospital_time(sqlite_url, tmp_path):
    upgrade(sqlite_url)
    now = [datetime(2026, 11, 23, 19, 0, tzinfo=timezone.utc)]  # 02:00 on the 24th in Vietnam
    job = ScheduledBackup(sqlite_url, str(tmp_path / "b"), time(2, 30), keep=3, clock=lambda: now[0])
    assert job.run_once() is None  # before 02:30
    now[0] = datetime(2026, 11, 23, 19, 31, tzinfo=timezone.utc)  # 02:31
    assert job.run_once() is not None
    assert job.run_once() is None  # done for today
    now[0] = datetime(2026, 11, 24, 19, 40, tzinfo=timezone.utc)  # the next day, 02:40
    assert job.run_once() is not None
    assert len(list_backups(str(tmp_path / "b"))) == 2


def test_one_process_backs_up_when_several_share_the_folder(sqlite_url, tmp_path):
    upgrade(sqlite_url)
    folder = tmp_path / "b"
    folder.mkdir()
    now = datetime(2026, 11, 23, 20, 0, tzinfo=timezone.utc)
    job = ScheduledBackup(sqlite_url, str(folder), time(2, 30), keep=3, clock=lambda: now)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process is at it
    try:
        assert job.run_once() is None
    finally:
        os.close(fd)
    assert job.run_once() is not None


def test_the_served_process_backs_up_on_its_own_and_keeps_serving(sqlite_url, tmp_path):
    token, _ = prepare(sqlite_url)
    folder = tmp_path / "b"
    server = ServerProcess(sqlite_url, TIEPDON_BACKUP_AT="00:00", TIEPDON_BACKUP_DIR=str(folder)).start()
    try:
        deadline = clock.monotonic() + 60
        while not list_backups(str(folder)):
            assert clock.monotonic() < deadline, "no backup from the served process"
            r = requests.post(server.url + "/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                              headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert r.status_code == 201
    finally:
        server.stop()
    manifest = json.loads(open(list_backups(str(folder))[0]).read())
    assert manifest["kind"] == "sqlite" and manifest["revision"]
    assert len(list_backups(str(folder))) == 1  # once a day, not once a pass
