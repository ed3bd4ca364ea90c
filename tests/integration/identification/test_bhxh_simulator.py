"""The simulator's own wire behaviour, exercised with plain HTTP as the real gateway would be."""

from __future__ import annotations

import hashlib
import time
import unicodedata
from datetime import datetime

import pytest
import requests

from backend.simulators.bhxh_data import (
    DEFAULT_ACCOUNT,
    DEFAULT_STAFF_CCCD,
    DEFAULT_STAFF_NAME,
    RESULT_CODE_EXAMPLES,
    SEEDED_CARDS,
)

BINH = RESULT_CODE_EXAMPLES["000"]
MD5 = hashlib.md5(DEFAULT_ACCOUNT.password.encode()).hexdigest().upper()
ANSWER_FIELDS = {
    "maKetQua", "ghiChu", "maThe", "hoTen", "ngaySinh", "gioiTinh", "diaChi", "maDKBD", "cqBHXH",
    "gtTheTu", "gtTheDen", "maKV", "ngayDu5Nam", "maSoBHXH", "maTheCu", "maTheMoi", "gtTheTuMoi",
    "gtTheDenMoi", "maDKBDMoi", "tenDKBDMoi", "dsLichSuKCB2018", "dsLichSuKT2018",
}


def _take(url: str, password: str = MD5) -> requests.Response:
    return requests.post(
        f"{url}/api/token/take",
        data={"username": DEFAULT_ACCOUNT.username, "password": password},
        timeout=5,
    )


def _check(url: str, api_key: dict | None, body: dict | None = None, **param_overrides) -> requests.Response:
    params = {
        "token": api_key["access_token"] if api_key else "",
        "id_token": api_key["id_token"] if api_key else "",
        "username": DEFAULT_ACCOUNT.username,
        "password": MD5,
    }
    params.update(param_overrides)
    body = body or {
        "maThe": BINH.card_code,
        "hoTen": BINH.full_name,
        "ngaySinh": BINH.dob_text,
        "hoTenCb": DEFAULT_STAFF_NAME,
        "cccdCb": DEFAULT_STAFF_CCCD,
    }
    return requests.post(f"{url}/api/egw/KQNhanLichSuKCB2024", params=params, json=body, timeout=5)


@pytest.fixture
def api_key(bhxh_sim) -> dict:
    return _take(bhxh_sim.url).json()["APIKey"]


def test_token_take_answers_the_documented_shape(bhxh_sim):
    response = _take(bhxh_sim.url)

    assert response.status_code == 200
    answer = response.json()
    assert answer["maKetQua"] == "200"
    key = answer["APIKey"]
    assert {"access_token", "id_token", "token_type", "username", "expires_in"} <= set(key)
    expires = datetime.fromisoformat(key["expires_in"])
    assert expires.utcoffset().total_seconds() == 0 and expires.timestamp() > time.time() + 3000


@pytest.mark.parametrize(
    "password",
    [MD5.lower(), hashlib.md5(b"wrong").hexdigest().upper(), DEFAULT_ACCOUNT.password, ""],
    ids=["lower-case-md5", "wrong-password", "plain-password", "empty"],
)
def test_token_take_refuses_anything_but_the_upper_case_md5(password, bhxh_sim):
    response = _take(bhxh_sim.url, password)
    assert response.status_code == 401 and response.json()["maKetQua"] == "401"


def test_check_answers_every_documented_field(bhxh_sim, api_key):
    answer = _check(bhxh_sim.url, api_key).json()

    assert set(answer) == ANSWER_FIELDS
    assert answer["maKetQua"] == "000"
    assert (answer["hoTen"], answer["gioiTinh"], answer["maSoBHXH"], answer["maDKBD"]) == (
        "Trần Thị Bình",
        "Nữ",
        "0123456789",
        "01001",
    )
    visit = answer["dsLichSuKCB2018"][0]
    assert {"maHoSo", "maCSKCB", "ngayVao", "ngayRa", "tenBenh", "tinhTrang", "kqDieuTri", "lyDoVV"} <= set(visit)
    assert len(visit["ngayVao"]) == 12  # yyyyMMddHHmm
    assert answer["dsLichSuKT2018"][-1]["maLoi"] == "000"


def test_lookup_history_grows_with_every_check(bhxh_sim, api_key):
    first = _check(bhxh_sim.url, api_key).json()["dsLichSuKT2018"]
    second = _check(bhxh_sim.url, api_key).json()["dsLichSuKT2018"]
    assert len(second) == len(first) + 1


@pytest.mark.parametrize(
    "overrides",
    [{"token": ""}, {"token": "made-up"}, {"id_token": "other"}, {"username": "99999_BV"}, {"password": MD5.lower()}],
    ids=["no-token", "unknown-token", "wrong-id-token", "wrong-username", "lower-case-password"],
)
def test_check_requires_a_valid_token_and_account(overrides, bhxh_sim, api_key):
    response = _check(bhxh_sim.url, api_key, **overrides)
    assert response.status_code == 401 and response.json()["maKetQua"] == "401"


def test_tokens_expire_after_the_configured_lifetime(bhxh_sim):
    bhxh_sim.configure(token_lifetime_s=0.6, expires_format="epoch")
    key = _take(bhxh_sim.url).json()["APIKey"]
    assert isinstance(key["expires_in"], float)

    assert _check(bhxh_sim.url, key).status_code == 200
    time.sleep(0.7)
    assert _check(bhxh_sim.url, key).status_code == 401


def test_staff_name_comparison_ignores_case_spacing_and_normal_form(bhxh_sim, api_key):
    body = {
        "maThe": BINH.card_code,
        "hoTen": unicodedata.normalize("NFD", BINH.full_name),
        "ngaySinh": BINH.dob_text,
        "hoTenCb": "  " + unicodedata.normalize("NFD", DEFAULT_STAFF_NAME.upper()) + " ",
        "cccdCb": DEFAULT_STAFF_CCCD,
    }
    assert _check(bhxh_sim.url, api_key, body).json()["maKetQua"] == "000"


@pytest.mark.parametrize("missing", ["maThe", "hoTen", "ngaySinh", "hoTenCb", "cccdCb"])
def test_missing_field_is_a_format_error(missing, bhxh_sim, api_key):
    body = {
        "maThe": BINH.card_code,
        "hoTen": BINH.full_name,
        "ngaySinh": BINH.dob_text,
        "hoTenCb": DEFAULT_STAFF_NAME,
        "cccdCb": DEFAULT_STAFF_CCCD,
    }
    del body[missing]
    assert _check(bhxh_sim.url, api_key, body).json()["maKetQua"] == "205"


def test_calls_counter_and_reset(bhxh_sim, api_key):
    _check(bhxh_sim.url, api_key)
    _check(bhxh_sim.url, api_key, token="bad")
    assert bhxh_sim.calls() == {"card_checks": 2, "token_takes": 1, "results": {"000": 1, "401": 1}}

    requests.post(f"{bhxh_sim.url}/_sim/reset", timeout=5).raise_for_status()
    assert bhxh_sim.calls() == {"card_checks": 0, "token_takes": 0, "results": {}}
    assert _check(bhxh_sim.url, api_key).status_code == 401  # reset also forgets tokens


def test_force_code_switch(bhxh_sim, api_key):
    bhxh_sim.configure(force_code="101")
    assert _check(bhxh_sim.url, api_key).json()["maKetQua"] == "101"


def test_latency_switch_delays_answers(bhxh_sim):
    bhxh_sim.configure(latency_ms=300)
    started = time.monotonic()
    _take(bhxh_sim.url)
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("changes", [{"mode": "sideways"}, {"latency_ms": -1}, {"colour": "red"}])
def test_invalid_configuration_is_refused(changes, bhxh_sim):
    response = requests.post(f"{bhxh_sim.url}/_sim/config", json=changes, timeout=5)
    assert response.status_code == 400
    assert requests.get(f"{bhxh_sim.url}/_sim/config", timeout=5).json()["mode"] == "ok"


def test_cards_can_be_added_at_run_time(bhxh_sim, api_key):
    card = {"ma_the": "TE1010000009999", "ho_ten": "Nguyễn Bảo Ngọc", "ngay_sinh": "01/06/2024", "gioi_tinh": "Nữ"}
    assert requests.post(f"{bhxh_sim.url}/_sim/cards", json=card, timeout=5).status_code == 201

    body = {
        "maThe": "TE1010000009999",
        "hoTen": "Nguyễn Bảo Ngọc",
        "ngaySinh": "01/06/2024",
        "hoTenCb": DEFAULT_STAFF_NAME,
        "cccdCb": DEFAULT_STAFF_CCCD,
    }
    assert _check(bhxh_sim.url, api_key, body).json()["maKetQua"] == "000"
    listed = requests.get(f"{bhxh_sim.url}/_sim/cards", timeout=5).json()
    assert len(listed) == len(SEEDED_CARDS) + 1


def test_examples_endpoint_lists_every_code(bhxh_sim):
    examples = requests.get(f"{bhxh_sim.url}/_sim/examples", timeout=5).json()
    assert set(examples) == set(RESULT_CODE_EXAMPLES)
    assert examples["000"]["full_name"] == "Trần Thị Bình"
