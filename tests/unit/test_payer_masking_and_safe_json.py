"""Masking of payer data (issue 15 §3) and the JSON limits (§4), as pure functions."""
import json

import pytest

from backend.adapters.safe_json import MAX_DEPTH, SocketIOJson, loads
from backend.domain.masking import mask_account, mask_digit_runs


def test_accounts_show_only_their_last_four_digits():
    assert mask_account("0123456789") == "******6789"
    assert mask_account("0123 4567 89") == "******6789"
    assert mask_account("12345") == "*****"
    assert mask_account(None) == ""


@pytest.mark.parametrize("text,masked", [
    ("CCCD 001090012345", "CCCD ************"),
    ("CCCD001090012345 kham", "CCCD************ kham"),
    ("sdt 0912 345 678", "sdt **** *** ***"),
    ("stk 0123.456.789-0", "stk ****.***.***-*"),
    ("lan 2 ngay 12", "lan 2 ngay 12"),  # short numbers say nothing about a person
])
def test_digit_runs_in_free_text_are_starred_out(text, masked):
    assert mask_digit_runs(text) == masked


def test_the_reference_survives_masking_even_when_mostly_digits():
    assert mask_digit_runs("td23456789 CCCD 001090012345", keep=("TD23456789",)) == "td23456789 CCCD ************"


def test_limits():
    assert loads('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    in_strings = ["[" * 44, '\\"[[{{']  # brackets inside strings (and an escaped quote) do not count
    assert loads(json.dumps(in_strings)) == in_strings
    for bad in ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "9" * 5000, "1e999", "NaN", "-Infinity",
                b"\xff\xfe"):
        with pytest.raises(json.JSONDecodeError):
            loads(bad)
    assert SocketIOJson.loads("[" * 20_000) == ["invalid-packet"]
