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
    os.environ.clear()
    os.environ.update(saved)


def test_a_demo_bhxh_login_and_card_check_log_no_credentials_or_tokens(demo_environment, caplog, capfd):
    caplog.set_level("DEBUG")
    start_identity_simulators(latency_ms=0)
    client = BhxhClient(os.environ["BHXH_URL"], os.environ["BHXH_USERNAME"], os.environ["BHXH_PASSWORD"],
                        os.environ["BHXH_STAFF_NAME"], os.environ["BHXH_STAFF_CCCD"], read_timeout=5.0)
    client.check_card("HT2019001090012", "Nguyễn Văn An", "15/08/1990")
    token = client._tokens.get()
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "/api/token/take" in logged or "/api/egw/" in logged  # requests were logged
    for secret in (DEFAULT_ACCOUNT.username, DEFAULT_ACCOUNT.password, md5_upper(DEFAULT_ACCOUNT.password),
                   token.access_token, token.id_token, os.environ["BHXH_STAFF_CCCD"], "HT2019001090012"):
        assert secret not in logged, secret
