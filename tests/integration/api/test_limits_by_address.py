"""Who the limits count: the client behind a trusted proxy, never an address a client wrote itself;
and login is limited per address across usernames before any password is hashed."""
import hashlib
import json
import os
import subprocess
import sys

import pytest

from backend import settings as settings_module
from backend.adapters.db.migrate import upgrade
from tests.support.app import PASSWORD, ROOT, make_backend
from tests.support.servers import server_env

PROXY = "10.0.0.5"


def get_services(client, peer: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.get("/api/v1/services", headers=headers, environ_base={"REMOTE_ADDR": peer})


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit(sqlite_url):
    b = make_backend(sqlite_url, rate_public=(0.01, 3), trusted_proxies=PROXY)
    c = b.client()
    codes = [get_services(c, "198.51.100.7", f"203.0.113.{i}").status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(sqlite_url):
    b = make_backend(sqlite_url, rate_public=(0.01, 3), trusted_proxies=f"{PROXY},2001:db8::/32")
    c = b.client()
    first = [get_services(c, PROXY, "203.0.113.1").status_code for _ in range(4)]
    assert first == [200, 200, 200, 429]
    r = get_services(c, PROXY, "203.0.113.1")
    assert r.get_json()["code"] == "RATE_LIMITED" and int(r.headers["Retry-After"]) >= 1
    assert get_services(c, PROXY, "203.0.113.2").status_code == 200  # another phone behind the same nginx
    # a client prefixing its own X-Forwarded-For is still counted as itself (nginx appends the real one)
    assert get_services(c, PROXY, "203.0.113.77, 203.0.113.1").status_code == 429
    assert get_services(c, "2001:db8::1", "2001:db8:ffff::9").status_code == 200


def test_socket_io_sees_the_client_address_too(sqlite_url):
    b = make_backend(sqlite_url, trusted_proxies=PROXY)
    r = b.client().get("/socket.io/?EIO=4&transport=polling", headers={"X-Forwarded-For": "203.0.113.9"},
                       environ_base={"REMOTE_ADDR": PROXY})
    assert r.status_code == 200
    sid = json.loads(r.get_data(as_text=True)[1:])["sid"]
    socketio = b.app.extensions["socketio"]
    assert socketio.server.environ[sid]["REMOTE_ADDR"] == "203.0.113.9"


@pytest.mark.parametrize("name, value", [
    ("TIEPDON_TRUSTED_PROXIES", "10.0.0.0/33"),
    ("TIEPDON_TRUSTED_PROXIES", "nginx.local"),
    ("TIEPDON_RATE_LOGIN", "fast"),
    ("TIEPDON_RATE_PUBLIC", "10/0"),
])
def test_a_bad_setting_refuses_to_start_with_a_clear_message(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(settings_module.InvalidSetting) as exc:
        settings_module.Settings.from_env()
    assert name in str(exc.value) and "không hợp lệ" in str(exc.value) and "invalid" in str(exc.value)


def test_serve_refuses_a_bad_trusted_proxies_setting(sqlite_url):
    upgrade(sqlite_url)
    env = server_env(sqlite_url, TIEPDON_TRUSTED_PROXIES="10.0.0.1, proxy")
    env["PYTHONPATH"] = ROOT
    done = subprocess.run([sys.executable, "-m", "backend.cli", "serve", "--port", "9"], env=env,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2
    assert "TIEPDON_TRUSTED_PROXIES" in done.stderr and "'proxy'" in done.stderr
    assert "Traceback" not in done.stderr


# -- login --------------------------------------------------------------------------------------------


@pytest.fixture
def hashes(monkeypatch):
    """Counts password hashes however they are reached (scrypt is the only hash staff passwords use)."""
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    return calls


def login(client, username: str, password: str, peer: str):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": peer})


def test_login_is_limited_per_address_across_usernames_before_hashing(sqlite_url, hashes):
    b = make_backend(sqlite_url, rate_login_ip=(0.01, 5), rate_login=(1000.0, 1000))
    b.add_staff("hoa", "reception")
    c = b.client()
    hashes.clear()
    codes = [login(c, f"khong-co-{i}", "doan-bua-di", "198.51.100.7").status_code for i in range(5)]
    assert codes == [401] * 5 and len(hashes) == 5
    refused = [login(c, name, "doan-bua-di", "198.51.100.7") for name in ("hoa", "khac-nua", "them-nua")]
    assert [r.status_code for r in refused] == [429] * 3
    assert refused[0].get_json()["code"] == "RATE_LIMITED" and int(refused[0].headers["Retry-After"]) >= 1
    assert len(hashes) == 5  # the refusals cost no hash
    assert login(c, "hoa", PASSWORD, "198.51.100.8").status_code == 200  # another address is unaffected


def test_a_flood_from_one_address_does_not_lock_the_username_for_anyone_else(sqlite_url):
    b = make_backend(sqlite_url, rate_login_ip=(1000.0, 1000), rate_login=(0.01, 3))
    b.add_staff("hoa", "reception")
    c = b.client()
    codes = [login(c, "hoa", f"sai-{i}-roi-nhe", "198.51.100.7").status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert login(c, "hoa", PASSWORD, "198.51.100.7").status_code == 429
    assert login(c, "hoa", PASSWORD, "203.0.113.20").status_code == 200  # the nurse at her own desk


def test_readme_documents_every_rate_setting():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    for name in ("TIEPDON_RATE_PUBLIC", "TIEPDON_RATE_KIOSK", "TIEPDON_RATE_LOGIN", "TIEPDON_RATE_LOGIN_IP",
                 "TIEPDON_RATE_OTP", "TIEPDON_RATE_ACCOUNT", "TIEPDON_TRUSTED_PROXIES"):
        assert f"`{name}`" in readme, name
