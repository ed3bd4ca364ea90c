"""`tiepdon doctor`: one line per check of a deployment, Vietnamese and English, OK / WARN / FAIL
with what to do; exit status 1 when something fails."""
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backend.adapters.db.migrate import upgrade
from backend.demo_simulators import start_identity_simulators
from tests.support.certificates import make_p12
from tests.support.pg import free_port
from tests.support.servers import server_env


def doctor(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend.cli", "doctor"], env=env, capture_output=True,
                          text=True, timeout=120)


def line(output: str, name: str) -> str:
    found = [ln for ln in output.splitlines() if ln.split()[1:2] == [name]]
    assert len(found) == 1, output
    return found[0]


@pytest.fixture(scope="module")
def simulators():
    env: dict = {}
    start_identity_simulators(env, latency_ms=0)  # BHXH and HIS (FHIR) on loopback ports, as in the demo
    return env


def test_a_healthy_demo_configuration(sqlite_url, simulators, tmp_path):
    upgrade(sqlite_url)
    env = server_env(sqlite_url, TIEPDON_BACKUP_DIR=str(tmp_path / "backups"), **simulators)
    result = doctor(env)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for name in ("settings", "database", "bhxh", "his", "disk", "clock"):
        assert line(out, name).startswith("OK "), out
    assert "migrated" in line(out, "database") and "đã nâng cấp" in line(out, "database")
    assert line(out, "clock").startswith("OK ") and "BHXH" in line(out, "clock")
    # what a demo leaves undone is a warning with what to do, not a failure
    assert line(out, "sms").startswith("WARN") and "SMS_GATEWAY_URL" in line(out, "sms")
    assert line(out, "backup").startswith("WARN") and "TIEPDON_BACKUP_AT" in line(out, "backup")
    assert line(out, "redis").startswith("SKIP")
    assert "FAIL" not in out


def test_a_broken_configuration_says_what_to_do_and_fails(tmp_path):
    closed = free_port()  # nothing listens there
    env = server_env(f"postgresql+psycopg://tiepdon@127.0.0.1:{closed}/tiepdon",
                     BHXH_URL=f"http://127.0.0.1:{closed}/", TIEPDON_BACKUP_DIR=str(tmp_path / "backups"))
    result = doctor(env)
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert line(out, "settings").startswith("OK ")
    db = line(out, "database")
    assert db.startswith("FAIL") and "DATABASE_URL" in db and "không kết nối được" in db
    bhxh = line(out, "bhxh")
    assert bhxh.startswith("FAIL") and "BHXH_URL" in bhxh and "cannot reach" in bhxh
    assert len(out.splitlines()) >= 8  # every check still ran


def test_an_unmigrated_database_and_bad_settings(sqlite_url, tmp_path):
    env = server_env(sqlite_url, TIEPDON_RATE_KIOSK="fast", TIEPDON_BACKUP_DIR=str(tmp_path / "b"))
    out = doctor(env).stdout
    assert line(out, "settings").startswith("FAIL") and "TIEPDON_RATE_KIOSK" in line(out, "settings")
    env = server_env(sqlite_url, TIEPDON_BACKUP_DIR=str(tmp_path / "b"))
    result = doctor(env)
    db = line(result.stdout, "database")
    assert result.returncode == 1 and db.startswith("FAIL") and "tiepdon db upgrade" in db


def test_certificates_close_to_expiry_are_warned_about(sqlite_url, tmp_path):
    upgrade(sqlite_url)
    soon = make_p12(tmp_path, valid_to=datetime.now(timezone.utc) + timedelta(days=10))
    env = server_env(sqlite_url, TIEPDON_TLS_CERT=str(soon.cert_pem_path), HIS_XML0_DIR=str(tmp_path),
                     HIS_SIGNING_P12=str(soon.p12_path), HIS_SIGNING_P12_PASSWORD=soon.password,
                     TIEPDON_BACKUP_DIR=str(tmp_path / "b"))
    out = doctor(env).stdout
    tls = line(out, "tls")
    assert tls.startswith("WARN") and ("10 " in tls or "9 " in tls)
    assert line(out, "signing").startswith("WARN")
    (tmp_path / "old").mkdir()
    expired = make_p12(tmp_path / "old", valid_from=datetime.now(timezone.utc) - timedelta(days=400),
                       valid_to=datetime.now(timezone.utc) - timedelta(days=1))
    env["TIEPDON_TLS_CERT"] = str(expired.cert_pem_path)
    result = doctor(env)
    assert result.returncode == 1 and line(result.stdout, "tls").startswith("FAIL")


def test_a_clock_far_from_the_endpoints_fails_and_a_rotation_under_way_is_a_warning(sqlite_url, tmp_path):
    upgrade(sqlite_url)

    class SlowClockGateway(BaseHTTPRequestHandler):  # a BHXH gateway whose clock says 10 minutes ago
        def date_time_string(self, timestamp=None):
            return formatdate(time.time() - 600, usegmt=True)

        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowClockGateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = server_env(sqlite_url, BHXH_URL=f"http://127.0.0.1:{server.server_port}/",
                         TIEPDON_PII_KEY_OLD="old-pii-key-" + "o" * 40, TIEPDON_BACKUP_DIR=str(tmp_path / "b"))
        result = doctor(env)
    finally:
        server.shutdown()
    clock = line(result.stdout, "clock")
    assert result.returncode == 1 and clock.startswith("FAIL") and re.search(r"\+60[01] s", clock) and "timedatectl" in clock
    assert line(result.stdout, "bhxh").startswith("OK ")
    assert line(result.stdout, "settings").startswith("WARN") and "rotate-pii-key" in line(result.stdout, "settings")
