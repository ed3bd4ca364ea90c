from datetime import date, datetime, timedelta, timezone

import pytest

from backend.domain.errors import DomainError
from backend.domain.priority import (
    PriorityClass as P,
    age_on,
    parse_priority,
    priority_from_age,
    queue_place,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def order(arrivals, boost=30):
    """Sorts (name, minutes after T0, priority) the way call-next does."""
    keyed = [(queue_place(T0 + timedelta(minutes=m), p, boost).as_tuple(), name)
             for name, m, p in arrivals]
    return [name for _, name in sorted(keyed)]


def test_priority_class_goes_before_ordinary_arrivals_within_the_boost():
    assert order([("ordinary", 0, None), ("elderly", 10, P.ELDERLY_75)]) == ["elderly", "ordinary"]


def test_aging_an_ordinary_patient_who_waited_longer_than_the_boost_goes_first():
    assert order([("ordinary", 0, None), ("pregnant", 31, P.PREGNANT)]) == ["ordinary", "pregnant"]


def test_emergency_beats_everyone_however_long_they_waited():
    assert order([("ordinary", 0, None), ("child", 1, P.CHILD_UNDER_6),
                  ("emergency", 500, P.EMERGENCY)])[0] == "emergency"


def test_arrival_order_within_a_class():
    assert order([("b", 5, None), ("a", 1, None), ("c", 9, None)]) == ["a", "b", "c"]
    assert order([("y", 5, P.PREGNANT), ("x", 2, P.ELDERLY_75)]) == ["x", "y"]


def test_no_starvation_under_a_stream_of_priority_patients():
    """An ordinary patient facing a priority arrival every minute is still called within the boost."""
    arrivals = [("ordinary", 0, None)] + [(f"p{i}", i, P.ELDERLY_75) for i in range(1, 120)]
    ranked = order(arrivals, boost=30)
    # Only priority patients who arrived in the first 30 minutes may go ahead of them.
    assert ranked.index("ordinary") <= 30


def test_age_rules_from_date_of_birth():
    today = date(2026, 11, 23)
    assert priority_from_age(date(2021, 11, 24), today) is P.CHILD_UNDER_6  # 4 years 364 days
    assert priority_from_age(date(2020, 11, 23), today) is None  # sixth birthday today
    assert priority_from_age(date(1951, 11, 23), today) is P.ELDERLY_75  # 75 today
    assert priority_from_age(date(1951, 11, 24), today) is None  # 75 tomorrow
    assert priority_from_age(None, today) is None
    assert age_on(date(2000, 2, 29), date(2026, 2, 28)) == 25


def test_parse_priority():
    assert parse_priority("pregnant") is P.PREGNANT
    assert parse_priority(None) is None
    with pytest.raises(DomainError):
        parse_priority("vip")


def test_year_only_birth_dates_use_the_age_in_years():
    from backend.domain.priority import priority_from_years

    assert priority_from_years(5) is P.CHILD_UNDER_6
    assert priority_from_years(75) is P.ELDERLY_75
    assert priority_from_years(40) is None
