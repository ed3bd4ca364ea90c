"""Masking and Vietnamese formatting helpers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from printer_drivers.formatting import format_vnd, format_wait_en, format_wait_vi
from printer_drivers.privacy import mask_long_digit_runs, mask_person_name


def test_mask_person_name_examples():
    assert mask_person_name("Nguyễn Văn An") == "Nguyễn V. A"
    assert mask_person_name("Tôn Nữ Thị Hoa") == "Tôn N. T. H"
    assert mask_person_name("Lê Lan") == "Lê L"
    assert mask_person_name("Hà") == "H"
    assert mask_person_name("  ") == ""


@given(st.lists(st.text(alphabet="abcdeĐđƯưÂâ", min_size=1, max_size=6), min_size=1, max_size=5))
def test_mask_person_name_is_idempotent(words):
    once = mask_person_name(" ".join(words))
    assert mask_person_name(once) == once


def test_mask_long_digit_runs():
    assert mask_long_digit_runs("CCCD 001234567890") == "CCCD 0012******90"
    assert mask_long_digit_runs("Phòng 105, quầy 12345678") == "Phòng 105, quầy 12345678"


@given(st.text(alphabet="0123456789 aB-", max_size=40))
def test_no_long_digit_run_survives_masking(text):
    masked = mask_long_digit_runs(text)
    assert mask_long_digit_runs(masked) == masked
    assert not any(len(run) >= 9 for run in "".join(c if c.isdigit() else " " for c in masked).split())


def test_format_vnd():
    assert format_vnd(150000) == "150.000 đ"
    assert format_vnd(0) == "0 đ"
    assert format_vnd(1250000) == "1.250.000 đ"
    assert format_vnd(-50000) == "-50.000 đ"


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_format_vnd_round_trips(amount):
    text = format_vnd(amount)
    assert text.endswith(" đ")
    assert int(text[:-2].replace(".", "")) == amount


def test_wait_wording():
    assert format_wait_vi(0) == "sắp đến lượt" and format_wait_en(0) == "almost your turn"
    assert format_wait_vi(45) == "khoảng 45 phút" and format_wait_en(45) == "about 45 min"
    assert format_wait_vi(60) == "khoảng 1 giờ" and format_wait_en(120) == "about 2 h"
