"""`tiepdon demo` builds its environment and hands it to what it starts; its own stays untouched."""
import os

import pytest

from backend import demo
from backend.settings import Settings


@pytest.fixture
def demo_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_DIR", str(tmp_path))
    monkeypatch.setattr(demo, "SECRETS_FILE", str(tmp_path / "secrets.env"))
    monkeypatch.setattr(demo, "PAYMENTS_ENV_FILE", str(tmp_path / "payments.env"))
    return tmp_path


def test_the_demo_environment_is_built_not_written_into_the_process(demo_dir):
    before = dict(os.environ)
    env = demo.prepare_demo_environment(8131, base={"PATH": "/usr/bin", "TIEPDON_DEV_SMS": "0"})
    assert dict(os.environ) == before
    assert env["PATH"] == "/usr/bin" and env["TIEPDON_DEV_SMS"] == "0"  # what the operator set wins
    assert env["TIEPDON_PUBLIC_URL"] == "http://localhost:8131" and env["TIEPDON_IGNORE_OPENING_HOURS"] == "1"
    settings = Settings.from_env(env=env)
    assert settings.database_url.endswith(os.path.join(str(demo_dir), "tiepdon.db"))
    assert len(settings.secret_key) >= 32 and settings.pii_key and settings.ignore_opening_hours
    # secrets are kept for the next run, readable by the owner only
    assert oct(os.stat(demo.SECRETS_FILE).st_mode & 0o777) == "0o600"
    assert demo.prepare_demo_environment(8131, base={})["SECRET_KEY"] == env["SECRET_KEY"]


def test_tiepdon_pay_reads_the_running_demo_without_changing_its_process(demo_dir):
    (demo_dir / "payments.env").write_text("BANK_SIMULATOR_URL=http://127.0.0.1:9\nVNPAY_TMN_CODE=DEMO0001\n")
    before = dict(os.environ)
    env = demo.load_demo_environment(base={"VNPAY_TMN_CODE": "REAL0001"})
    assert dict(os.environ) == before
    assert env["BANK_SIMULATOR_URL"] == "http://127.0.0.1:9" and env["VNPAY_TMN_CODE"] == "REAL0001"
    assert env["TIEPDON_IGNORE_OPENING_HOURS"] == "1"
