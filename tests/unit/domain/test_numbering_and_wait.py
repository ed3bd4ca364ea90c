from datetime import datetime, timezone

import pytest

from backend.domain.hospital_time import hospital_day
from backend.domain.numbering import display_number
from backend.domain.wait import MAX_SAMPLE_S, estimate_wait_min, updated_average


def test_display_numbers():
    assert display_number("A", 1) == "A001"
    assert display_number("N", 12) == "N012"
    assert display_number("N", 1234) == "N1234"


def test_hospital_day_turns_at_midnight_vietnam_time_not_utc():
    assert str(hospital_day(datetime(2026, 11, 22, 16, 59, tzinfo=timezone.utc))) == "2026-11-22"
    assert str(hospital_day(datetime(2026, 11, 22, 17, 0, tzinfo=timezone.utc))) == "2026-11-23"
    with pytest.raises(ValueError):
        hospital_day(datetime(2026, 11, 22, 17, 0))


def test_estimate_scales_with_people_and_points():
    assert estimate_wait_min(0, 1, 300) == 0
    assert estimate_wait_min(4, 1, 300) == 20
    assert estimate_wait_min(4, 2, 300) == 10
    assert estimate_wait_min(1, 3, 300) == 2  # rounds up: never promise less than the truth
    assert estimate_wait_min(5, 0, 60) == 5  # no open point configured: treat as one


def test_moving_average_moves_a_fifth_and_ignores_nonsense():
    assert updated_average(300, 400) == pytest.approx(320)
    assert updated_average(300, 3) == 300
    assert updated_average(300, MAX_SAMPLE_S + 1) == 300


def test_track_token_check_survives_any_text_from_a_url():
    from backend.domain.tokens import TokenSigner

    signer = TokenSigner(b"k" * 32)
    good = signer.track_token("abc")
    assert signer.verify("track", "abc", good)
    for bad in ("ễ" * len(good), "", None, good[:-1], "\x00"):
        assert not signer.verify("track", "abc", bad)
