"""Issue 15 §3: the demo's simulators never log the BHXH account, its password (hash) or tokens."""
import os

import pytest

from backend.adapters.bhxh.client import BhxhClient, md5_upper
from backend.demo_simulators import start_identity_simulators
from backend.simulators.bhxh_data import DEFAULT_ACCOUNT


@pytest.fixture
def demo_environment():
    saved = dict(os.environ)
    yield
    changed = {k for k in {*saved, *os.environ} if saved.get(k) != os.environ.get(k)} - {"PYTEST_CURRENT_TEST"}
    os.environ.clear()
    os.environ.update(saved)
    assert not changed, "the demo's simulators put their addresses in the demo's environment, not this process's"


def test_a_demo_bhxh_login_and_card_check_log_no_credentials_or_tokens(demo_environment, caplog, capfd):
    caplog.set_level("DEBUG")
    env: dict[str, str] = {}
    start_identity_simulators(env, latency_ms=0)
    client = BhxhClient(env["BHXH_URL"], env["BHXH_USERNAME"], env["BHXH_PASSWORD"],
                        env["BHXH_STAFF_NAME"], env["BHXH_STAFF_CCCD"], read_timeout=5.0)
    client.check_card("HT2019001090012", "Nguyễn Văn An", "15/08/1990")
    token = client._tokens.get()
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "/api/token/take" in logged or "/api/egw/" in logged  # requests were logged
    for secret in (DEFAULT_ACCOUNT.username, DEFAULT_ACCOUNT.password, md5_upper(DEFAULT_ACCOUNT.password),
                   token.access_token, token.id_token, env["BHXH_STAFF_CCCD"], "HT2019001090012"):
        assert secret not in logged, secret
