"""Issue 15 §3: the development SMS sink is opt-in, never prints a sign-in code, and its outbox
route exists only with the development setting."""
import re
import subprocess
import sys

import pytest

from backend import create_app
from backend.adapters.db.migrate import upgrade
from tests.support.app import CONFIG, TEST_PII_KEY, TEST_SECRET, make_backend
from tests.support.servers import server_env


def _config(url, **extra):
    return {"database_url": url, "secret_key": TEST_SECRET, "pii_key": TEST_PII_KEY, "config_path": CONFIG,
            "background_workers": False, **extra}


def test_create_app_refuses_to_start_without_a_gateway_or_the_dev_setting(sqlite_url):
    from backend.bootstrap import SmsGatewayRequired

    upgrade(sqlite_url)
    with pytest.raises(SmsGatewayRequired) as exc:
        create_app(_config(sqlite_url))
    text = str(exc.value)
    assert "SMS_GATEWAY_URL" in text and "TIEPDON_DEV_SMS" in text
    assert "Chưa cấu hình" in text and "is configured" in text  # Vietnamese and English


def test_serve_exits_2_with_a_bilingual_message_without_a_gateway(sqlite_url):
    upgrade(sqlite_url)
    env = server_env(sqlite_url)
    env.pop("TIEPDON_DEV_SMS", None)
    env.pop("SMS_GATEWAY_URL", None)
    done = subprocess.run([sys.executable, "-m", "backend.cli", "serve", "--port", "1"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "SMS_GATEWAY_URL" in done.stderr and "TIEPDON_DEV_SMS" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_dev_outbox_route_does_not_exist_without_the_dev_setting(sqlite_url):
    b = make_backend(sqlite_url, dev_sms=False, sms_gateway_url="http://127.0.0.1:9/v1/sms",
                     sms_gateway_key="k")
    b.add_staff("admin", "admin")
    admin = b.login("admin")
    assert admin.get("/api/v1/dev/sms-outbox").status_code == 404
    spec = b.client().get("/api/v1/openapi.json").get_json()
    assert "/api/v1/dev/sms-outbox" not in spec["paths"]


def test_the_dev_sink_never_prints_or_logs_a_code(sqlite_url, capfd, caplog):
    caplog.set_level("DEBUG")
    b = make_backend(sqlite_url, dev_sms=True, rate_otp=(1000.0, 1000))
    b.add_staff("admin", "admin")
    assert b.client().post("/api/v1/auth/otp", json={"phone": "0912345678"}).status_code == 202
    outbox = b.login("admin").get("/api/v1/dev/sms-outbox")
    assert outbox.status_code == 200
    code = re.search(r"\b(\d{6})\b", outbox.get_json()["messages"][0]["text"]).group(1)
    out, err = capfd.readouterr()
    assert "0912345678" not in out + err and "912345678" not in out + err
    assert code not in out + err and code not in caplog.text
