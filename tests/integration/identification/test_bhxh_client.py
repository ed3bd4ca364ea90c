"""The real BHXH client against the simulator over HTTP: every result code, tokens, outages, logs."""

from __future__ import annotations

import hashlib
import logging
import threading
import time

import pytest

from backend.domain.bhyt_check import CheckOutcome, CheckStatus
from backend.services.ports.bhxh import BhxhUnavailable, CardChecker
from backend.simulators.bhxh_data import (
    DEFAULT_ACCOUNT,
    DEFAULT_STAFF_CCCD,
    DEFAULT_STAFF_NAME,
    RESULT_CODE_EXAMPLES,
)

BINH = RESULT_CODE_EXAMPLES["000"]

O = CheckOutcome
# specs/bhxh.md restated by hand, so the wire test does not trust the mapping module it exercises.
EXPECTED = {
    "000": ("ok", O.OK),
    "001": ("flagged", O.OK_FLAG_STAFF),
    "002": ("flagged", O.OK_FLAG_STAFF),
    "003": ("ok", O.OK_NEW_CARD),
    "004": ("ok", O.OK),
    "010": ("refused", O.REFUSE_BHYT_OFFER_SELF_PAY),
    "050": ("refused", O.REFUSE_BHYT),
    "051": ("refused", O.REFUSE_BHYT),
    "052": ("refused", O.REFUSE_BHYT),
    "053": ("refused", O.REFUSE_BHYT),
    "054": ("pending", O.CONFIG_ERROR_PENDING),
    "055": ("pending", O.CONFIG_ERROR_PENDING),
    "060": ("refused", O.REFUSE_SEE_RECEPTION),
    "061": ("refused", O.REFUSE_SEE_RECEPTION),
    "070": ("refused", O.REFUSE_SEE_RECEPTION),
    "100": ("pending", O.RETRY_PENDING),
    "101": ("pending", O.RETRY_PENDING),
    "110": ("refused", O.REFUSE_BHYT),
    "120": ("refused", O.REFUSE_BHYT),
    "121": ("refused", O.REFUSE_BHYT),
    "122": ("refused", O.REFUSE_BHYT),
    "123": ("refused", O.REFUSE_BHYT),
    "124": ("refused", O.REFUSE_BHYT),
    "130": ("refused", O.CHILD_SEE_RECEPTION),
    "205": ("pending", O.BUG_ALERT_IT),
    "401": ("pending", O.AUTH_ERROR_PENDING),
}


def test_examples_cover_every_code_of_the_spec():
    assert set(RESULT_CODE_EXAMPLES) == set(EXPECTED)


def test_client_satisfies_the_port(make_client):
    assert isinstance(make_client(), CardChecker)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_result_code_over_the_wire(code, bhxh_sim, make_client):
    example = RESULT_CODE_EXAMPLES[code]
    client = make_client(
        password=example.password, staff_name=example.staff_name, staff_cccd=example.staff_cccd
    )

    result = client.check_card(example.card_code, example.full_name, example.dob_text)

    status, outcome = EXPECTED[code]
    assert (result.code, result.status, result.outcome) == (code, status, outcome)
    assert result.new_card_code == example.new_card_code
    calls = bhxh_sim.calls()
    if code == "401":
        # The account itself is refused: no card check may be sent with a token we never got.
        assert (calls["token_takes"], calls["card_checks"]) == (1, 0)
    else:
        assert (calls["token_takes"], calls["card_checks"]) == (1, 1)
        assert calls["results"] == {code: 1}


@pytest.mark.parametrize(
    "card_code, name, dob",
    [
        ("0123456789", "Trần Thị Bình", "15/08/1990"),  # newer card: 10-digit BHXH number
        ("001090012345", "Nguyễn Văn An", "15/08/1990"),  # CCCD only
        ("079305001234", "Trần Thị Mai", "02/02/2005"),  # CCCD only
        ("HT2140000001940", "Lò Văn Pành", "1940"),  # year-only birth date
        ("HT2010000000003", "Đỗ Thị Lan", "12/12/1950"),  # the new card issued in 003 is itself valid
        ("DN4010123456789", "TRẦN  THỊ BÌNH", "15/08/1990"),  # case and spacing do not matter
    ],
)
def test_other_ways_to_identify_a_valid_card(card_code, name, dob, make_client):
    result = make_client().check_card(card_code, name, dob)
    assert result.code == "000" and result.status is CheckStatus.OK


def test_token_is_taken_once_and_reused(bhxh_sim, make_client):
    client = make_client()
    for _ in range(3):
        assert client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text).code == "000"
    assert bhxh_sim.calls()["token_takes"] == 1
    assert bhxh_sim.calls()["card_checks"] == 3


def test_prepare_takes_the_token_ahead_so_the_first_check_does_not_wait_for_one(bhxh_sim, make_client):
    client = make_client()
    client.prepare()
    client.prepare()  # still valid: nothing more to do
    assert (bhxh_sim.calls()["token_takes"], bhxh_sim.calls()["card_checks"]) == (1, 0)
    assert client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text).code == "000"
    assert (bhxh_sim.calls()["token_takes"], bhxh_sim.calls()["card_checks"]) == (1, 1)


@pytest.mark.parametrize("mode", ["down", "error500"])
def test_prepare_with_bhxh_away_never_raises_and_the_check_still_reports(mode, bhxh_sim, make_client):
    bhxh_sim.configure(mode=mode)
    client = make_client()
    client.prepare()
    error, _ = _unavailable(client)
    assert error.reason == "server_error"


@pytest.mark.parametrize("expires_format", ["iso", "epoch"])
def test_expiring_token_is_replaced_before_bhxh_has_to_refuse_it(expires_format, bhxh_sim, make_client):
    bhxh_sim.configure(token_lifetime_s=1.0, expires_format=expires_format)
    client = make_client(token_refresh_margin_s=0.3)

    client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)
    client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)
    assert bhxh_sim.calls()["token_takes"] == 1
    time.sleep(0.8)  # inside the margin, though the gateway would still accept the token
    result = client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)

    calls = bhxh_sim.calls()
    assert result.code == "000"
    assert calls["token_takes"] == 2
    assert calls["results"] == {"000": 3}  # no 401 was ever needed


def test_token_rejected_by_bhxh_is_replaced_once_and_the_check_retried(bhxh_sim, make_client):
    client = make_client()
    client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)
    bhxh_sim.revoke_tokens()  # e.g. the gateway restarted: our cached token is now unknown

    result = client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)

    calls = bhxh_sim.calls()
    assert result.code == "000"
    assert calls["token_takes"] == 2
    assert calls["card_checks"] == 3
    assert calls["results"] == {"000": 2, "401": 1}


def test_401_is_retried_only_once(bhxh_sim, make_client):
    bhxh_sim.configure(token_lifetime_s=0)  # every token is already expired when it arrives

    result = make_client().check_card(BINH.card_code, BINH.full_name, BINH.dob_text)

    calls = bhxh_sim.calls()
    assert (result.code, result.outcome, result.alert_it) == ("401", O.AUTH_ERROR_PENDING, True)
    assert (calls["token_takes"], calls["card_checks"]) == (2, 2)


def test_concurrent_checks_share_one_token(bhxh_sim, make_client):
    bhxh_sim.configure(latency_ms=100)  # keeps the first token take in flight while others arrive
    client = make_client()
    codes: list[str] = []
    threads = [
        threading.Thread(target=lambda: codes.append(client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text).code))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert codes == ["000"] * 8
    assert bhxh_sim.calls()["token_takes"] == 1


def _unavailable(client) -> tuple[BhxhUnavailable, float]:
    started = time.monotonic()
    with pytest.raises(BhxhUnavailable) as raised:
        client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)
    return raised.value, time.monotonic() - started


def test_slow_gateway_gives_unavailable_within_the_read_timeout(bhxh_sim, make_client):
    bhxh_sim.configure(latency_ms=5000)
    error, elapsed = _unavailable(make_client(read_timeout=0.3))
    assert error.reason == "timeout"
    assert elapsed < 1.5


def test_hanging_gateway_gives_unavailable_within_the_read_timeout(bhxh_sim, make_client):
    client = make_client(read_timeout=0.3)
    client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)  # token cached: the check itself hangs
    bhxh_sim.configure(mode="timeout", hang_s=5)
    error, elapsed = _unavailable(client)
    assert error.reason == "timeout"
    assert elapsed < 1.5
    assert bhxh_sim.calls()["card_checks"] == 2


@pytest.mark.parametrize("mode", ["down", "error500"])
def test_gateway_answering_5xx_is_unavailable(mode, bhxh_sim, make_client):
    bhxh_sim.configure(mode=mode)
    error, elapsed = _unavailable(make_client())
    assert error.reason == "server_error"
    assert elapsed < 1.0


def test_gateway_answering_a_non_json_page_is_unavailable(bhxh_sim, make_client):
    client = make_client()
    client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)
    bhxh_sim.configure(mode="garbage")
    error, _ = _unavailable(client)
    assert error.reason == "bad_response"


def test_stopped_gateway_is_unavailable_quickly(bhxh_sim, make_client):
    client = make_client()
    bhxh_sim.stop()
    error, elapsed = _unavailable(client)
    assert error.reason == "connection"
    assert elapsed < 1.5


def test_unavailable_error_carries_no_url_or_credentials(bhxh_sim, make_client):
    client = make_client()
    client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)
    bhxh_sim.stop()
    error, _ = _unavailable(client)
    assert error.__cause__ is None and error.__suppress_context__
    assert "KQNhanLichSuKCB2024" not in str(error) and "password" not in str(error)


def test_logs_carry_no_personal_data_or_credentials(bhxh_sim, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    password_md5 = hashlib.md5(DEFAULT_ACCOUNT.password.encode()).hexdigest()
    secrets = [
        BINH.card_code,
        BINH.full_name,
        BINH.dob_text,
        "0123456789",
        "001090012345",
        "Nguyễn Văn An",
        DEFAULT_ACCOUNT.password,
        password_md5,
        password_md5.upper(),
        DEFAULT_ACCOUNT.username,
        DEFAULT_STAFF_NAME,
        DEFAULT_STAFF_CCCD,
    ]

    client = make_client(read_timeout=0.3)
    client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)  # 000
    client.check_card("0123456789", BINH.full_name, "16/08/1990")  # 070
    client.check_card("001090012345", "Nguyễn Văn An", "15/08/1990")  # CCCD look-up
    bhxh_sim.revoke_tokens()
    client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)  # 401 → new token → 000
    for mode in ("down", "timeout"):
        bhxh_sim.configure(mode=mode, hang_s=2)
        with pytest.raises(BhxhUnavailable):
            client.check_card(BINH.card_code, BINH.full_name, BINH.dob_text)
    bhxh_sim.configure(mode="ok")
    make_client(password="sai-mat-khau").check_card(BINH.card_code, BINH.full_name, BINH.dob_text)

    logged = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    # The test only means something if the interesting records were captured at all.
    assert "maKetQua=000" in logged and "maKetQua=070" in logged and "maKetQua=401" in logged
    assert "KQNhanLichSuKCB2024?<redacted>" in logged  # urllib3's request line, query blanked
    assert "unavailable: timeout" in logged and "unavailable: server_error" in logged
    for secret in secrets:
        assert secret not in logged, secret
