"""Property-based tests: whatever a scanner or a keypad sends, the parser either returns a card whose
every required field is valid, or one documented error code — never an exception, never half a patient."""

from __future__ import annotations

import os
import unicodedata
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.domain.cards import (
    BhytCard,
    BirthDate,
    CardErrorCode,
    CccdCard,
    Gender,
    ParseResult,
    parse_manual,
    parse_scan,
)
from tests.unit.identification.card_samples import (
    ALL_SPEC_SCANS,
    CCCD_AN,
    TODAY,
    assert_valid_card,
    to_hex,
)

# 300 keeps the suite fast; set TIEPDON_PROPERTY_EXAMPLES=10000 for a deep run before a release.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("TIEPDON_PROPERTY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SYLLABLES = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
    "Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thùy", "Xuân", "An", "Bình", "Mai", "Lan", "Hương",
    "Khôi", "Tuấn", "Quỳnh", "Yến", "Phượng", "Nguyệt", "Ánh", "Ỷ", "Ưng", "Kdăm", "H'Hen", "Niê",
]

# Pieces that look like real field values, so random joins often get deep into the parsers.
FIELD_PIECES = sorted({piece for scan in ALL_SPEC_SCANS for piece in scan.split("|")}) + [
    "", "-", "$", "Nam", "Nữ", "1", "2", "3", "00000000", "31022020", "01/01/2025", "1990",
]


def _assert_documented_outcome(result: object, today: date = TODAY) -> None:
    assert isinstance(result, ParseResult)
    if result.card is None:
        assert isinstance(result.error_code, CardErrorCode)
    else:
        assert result.error_code is None
        assert_valid_card(result.card, today)


# --- never crash, never half a patient ------------------------------------------------------------


@PROPERTY_SETTINGS
@given(st.text())
def test_any_unicode_text(text):
    _assert_documented_outcome(parse_scan(text, TODAY))


@PROPERTY_SETTINGS
@given(st.binary())
def test_any_bytes(raw):
    _assert_documented_outcome(parse_scan(raw, TODAY))


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(st.sampled_from(FIELD_PIECES), st.text(max_size=20)), max_size=20))
def test_random_pipe_joins_of_plausible_and_random_fields(pieces):
    _assert_documented_outcome(parse_scan("|".join(pieces), TODAY))


@PROPERTY_SETTINGS
@given(st.sampled_from(ALL_SPEC_SCANS), st.data())
def test_one_field_of_a_spec_example_replaced_by_anything(example, data):
    fields = example.split("|")
    index = data.draw(st.integers(0, len(fields) - 1))
    fields[index] = data.draw(st.one_of(st.text(max_size=30), st.sampled_from(FIELD_PIECES)))
    _assert_documented_outcome(parse_scan("|".join(fields), TODAY))


@PROPERTY_SETTINGS
@given(st.sampled_from(ALL_SPEC_SCANS), st.data())
def test_truncated_spec_example_followed_by_anything(example, data):
    cut = data.draw(st.integers(0, len(example) - 1))
    tail = data.draw(st.text(max_size=10))
    _assert_documented_outcome(parse_scan(example[:cut] + tail, TODAY))


def test_every_strict_truncation_of_every_spec_example_is_rejected():
    # Exhaustive rather than sampled: a truncated scan must never become a patient.
    for example in ALL_SPEC_SCANS:
        assert parse_scan(example, TODAY).ok
        for cut in range(len(example)):
            result = parse_scan(example[:cut], TODAY)
            assert not result.ok, (example[:cut], result)
            assert isinstance(result.error_code, CardErrorCode)


@PROPERTY_SETTINGS
@given(
    st.sampled_from(["cccd", "bhyt", "CCCD", "passport"]),
    st.one_of(st.text(max_size=20), st.sampled_from(["001090012345", "DN4010123456789", "0123456789"])),
    st.one_of(st.text(max_size=30), st.sampled_from(["Nguyễn Văn An", "Trần Thị Bình"])),
    st.one_of(st.text(max_size=12), st.dates(), st.sampled_from(["15/08/1990", "1990", "15081990"])),
)
def test_manual_entry_with_anything(id_type, number, name, dob):
    _assert_documented_outcome(parse_manual(id_type, number, name, dob, TODAY))


@PROPERTY_SETTINGS
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30))
def test_random_names_are_either_rejected_or_plausible(name):
    result = parse_scan(CCCD_AN.replace("Nguyễn Văn An", name.replace("|", "")), TODAY)
    _assert_documented_outcome(result)
    if not result.ok:
        assert result.error_code in (CardErrorCode.CARD_NAME_INVALID, CardErrorCode.CARD_UNREADABLE)


# --- valid cards always parse, in NFC and in NFD --------------------------------------------------

names = st.lists(st.sampled_from(SYLLABLES), min_size=2, max_size=5).map(" ".join)


@st.composite
def cccd_people(draw):
    gender = draw(st.sampled_from([Gender.MALE, Gender.FEMALE]))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    century_digit = (born.year // 100 - 19) * 2 + (0 if gender is Gender.MALE else 1)
    province = draw(st.integers(1, 96))
    number = f"{province:03d}{century_digit}{born.year % 100:02d}{draw(st.integers(0, 999999)):06d}"
    issued = born + timedelta(days=draw(st.integers(0, (TODAY - born).days)))
    cmnd = draw(st.sampled_from(["", "123456789", None]))
    name = draw(names)
    address = draw(st.sampled_from(["Hà Nội", "Số 5, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh", "Xã Ea Tu"]))
    gender_word = "Nam" if gender is Gender.MALE else "Nữ"
    head = [number] if cmnd is None else [number, cmnd]
    text = "|".join(
        head + [name, born.strftime("%d%m%Y"), gender_word, address, issued.strftime("%d%m%Y")]
    )
    return text, (number, name, born, gender, address, issued)


@PROPERTY_SETTINGS
@given(cccd_people())
def test_generated_valid_cccd_parses_to_exactly_its_fields_in_nfc_and_nfd(person):
    text, (number, name, born, gender, address, issued) = person
    for form in ("NFC", "NFD"):
        card = parse_scan(unicodedata.normalize(form, text), TODAY).card
        assert isinstance(card, CccdCard), (form, text)
        assert (card.number, card.name, card.dob, card.gender, card.address, card.issue_date) == (
            number,
            name,
            BirthDate.of(born),
            gender,
            address,
            issued,
        )


@st.composite
def bhyt_cards(draw):
    code = draw(
        st.one_of(
            st.from_regex(r"[A-Z]{2}[1-5][0-9]{2}[0-9]{10}", fullmatch=True),
            st.from_regex(r"[0-9]{10}", fullmatch=True),
        )
    )
    name = draw(names)
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    year_only = draw(st.booleans())
    valid_from = draw(st.dates(min_value=date(2000, 1, 1), max_value=TODAY))
    valid_to = draw(st.one_of(st.none(), st.dates(min_value=TODAY, max_value=date(2060, 12, 31))))
    issued = draw(st.dates(min_value=max(date(1992, 1, 1), born), max_value=TODAY))
    body = [
        code,
        to_hex(unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), name)),
        str(born.year) if year_only else born.strftime("%d/%m/%Y"),
        draw(st.sampled_from(["1", "2"])),
        draw(st.sampled_from(["-", to_hex("Thành phố Huế")])),
        "01 - 001",
        valid_from.strftime("%d/%m/%Y"),
        "-" if valid_to is None else valid_to.strftime("%d/%m/%Y"),
        issued.strftime("%d/%m/%Y"),
    ]
    tail_length = draw(st.sampled_from([0, 5, 7]))
    tail = ["-", "-", "4", "01/01/2030", "a1b2c3d4e5f60718-1234", "4", to_hex("Hà Nội")][:tail_length]
    expected_dob = BirthDate(born.year) if year_only else BirthDate.of(born)
    return "|".join(body + tail + ["$"]), (code, name, expected_dob, valid_from, valid_to, issued)


@PROPERTY_SETTINGS
@given(bhyt_cards())
def test_generated_valid_bhyt_parses_to_exactly_its_fields(generated):
    text, (code, name, dob, valid_from, valid_to, issued) = generated
    result = parse_scan(text, TODAY)
    card = result.card
    assert isinstance(card, BhytCard), (result.error_code, text)
    assert (card.card_code, card.name, card.dob, card.valid_from, card.valid_to, card.issue_date) == (
        code,
        name,
        dob,
        valid_from,
        valid_to,
        issued,
    )
    assert_valid_card(card, TODAY)
