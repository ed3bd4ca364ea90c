import unicodedata
from datetime import date, datetime

import pytest

from backend.domain.cards import BirthDate, CardErrorCode
from backend.domain.masking import age_on, mask_id, mask_name
from backend.messages import pair


@pytest.mark.parametrize(
    "identifier, masked",
    [
        ("001090012345", "0010******45"),
        ("DN4010123456789", "DN40*********89"),
        ("0123456789", "0123****89"),
        ("123456789", "1234***89"),
        ("1234567", "*******"),  # too short to show any part
        (" 001 090 012 345 ", "0010******45"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id(identifier, masked):
    assert mask_id(identifier) == masked


@pytest.mark.parametrize(
    "name, masked",
    [
        ("Nguyễn Văn An", "Nguyễn V. A"),
        ("Trần Thị Mai", "Trần T. M"),
        ("Tôn Nữ Thị Ánh Hồng", "Tôn N. T. Á. H"),
        ("Đặng Ánh", "Đặng Á"),
        ("  Lê   Văn   Tám ", "Lê V. T"),
        ("Khôi", "K"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_mask_name_composes_nfd_input_so_initials_keep_their_marks():
    masked = mask_name(unicodedata.normalize("NFD", "Đặng Ánh"))
    assert masked == "Đặng Á" and unicodedata.is_normalized("NFC", masked)


@pytest.mark.parametrize(
    "dob, day, age",
    [
        (date(1990, 8, 15), date(2025, 8, 14), 34),
        (date(1990, 8, 15), date(2025, 8, 15), 35),
        (BirthDate(1990, 8, 15), date(2025, 12, 31), 35),
        (date(2000, 2, 29), date(2025, 2, 28), 24),  # leap-day births count on 1 March
        (date(2000, 2, 29), date(2025, 3, 1), 25),
        (BirthDate(1950), date(2025, 1, 1), 75),  # year only: age reached this calendar year
        (1950, date(2025, 1, 1), 75),
        (date(2020, 1, 2), datetime(2026, 1, 1, 23, 59), 5),
    ],
)
def test_age_on(dob, day, age):
    assert age_on(dob, day) == age


def test_birth_date_refuses_impossible_values_and_formats_for_bhxh():
    with pytest.raises(ValueError):
        BirthDate(1990, 2, 30)
    with pytest.raises(ValueError):
        BirthDate(1990, 2)
    assert BirthDate(1990, 8, 5).to_bhxh_text() == "05/08/1990"
    assert str(BirthDate(1940)) == "1940"


def test_every_error_code_has_vietnamese_and_english_words():
    for code in CardErrorCode:
        words = pair(code.value)  # the words live in the backend's message catalog
        assert words.vi and words.en and words.vi != words.en
        assert code.value == code.name  # the API returns these strings verbatim
