"""The XML0 check-in record: field list, formats and validation of VisitRegistration."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.domain.his_record import (
    HOSPITAL_TZ,
    XML0_FIELDS,
    XML0_FIELDS_UNKNOWN_AT_CHECK_IN,
    InvalidVisitRegistration,
    VisitRegistration,
    registration_from_xml0_fields,
    xml0_fields,
)


def test_every_spec_field_is_present_in_spec_order(make_registration):
    spec_order = (
        "MA_LK STT MA_BN HO_TEN SO_CCCD NGAY_SINH GIOI_TINH MA_THE_BHYT MA_DKBD GT_THE_TU GT_THE_DEN "
        "MA_DOITUONG_KCB NGAY_VAO NGAY_VAO_NOI_TRU LY_DO_VNT MA_LY_DO_VNT MA_LOAI_KCB MA_CSKCB MA_DICH_VU "
        "TEN_DICH_VU MA_THUOC TEN_THUOC MA_VAT_TU TEN_VAT_TU NGAY_YL DU_PHONG"
    ).split()
    fields = xml0_fields(make_registration())
    assert list(fields) == spec_order == list(XML0_FIELDS)
    assert all(isinstance(value, str) for value in fields.values())


def test_full_record_values(make_registration):
    fields = xml0_fields(make_registration())
    assert fields["MA_LK"] == "LK-79001-20240501-0001"
    assert fields["STT"] == "1"
    assert fields["MA_BN"] == "BN0001"
    assert fields["HO_TEN"] == "Nguyễn Văn An"
    assert fields["SO_CCCD"] == "079090000099"
    assert fields["NGAY_SINH"] == "198503150000"  # time of birth unknown → 0000
    assert fields["GIOI_TINH"] == "1"
    assert fields["MA_THE_BHYT"] == "DN4797920000099"
    assert fields["MA_DKBD"] == "79002"
    assert fields["GT_THE_TU"] == "20240101"
    assert fields["GT_THE_DEN"] == "20241231"
    assert fields["MA_DOITUONG_KCB"] == "1.1"
    assert fields["NGAY_VAO"] == "202405010805"
    assert fields["MA_LOAI_KCB"] == "01"
    assert fields["MA_CSKCB"] == "79001"
    assert fields["MA_DICH_VU"] == "02.1896"
    assert fields["TEN_DICH_VU"] == "Khám Nội"


def test_fields_of_later_stages_are_empty_at_check_in(make_registration):
    fields = xml0_fields(make_registration())
    assert XML0_FIELDS_UNKNOWN_AT_CHECK_IN <= set(XML0_FIELDS)
    assert {name: fields[name] for name in XML0_FIELDS_UNKNOWN_AT_CHECK_IN} == dict.fromkeys(
        XML0_FIELDS_UNKNOWN_AT_CHECK_IN, ""
    )


def test_year_only_birth_date_is_year_then_eight_zeros(make_registration):
    reg = make_registration(dob=date(1950, 7, 3), dob_year_only=True)
    assert xml0_fields(reg)["NGAY_SINH"] == "195000000000"
    # Only the year is meaningful, so two cards printing "1950" describe the same registration.
    assert reg.dob == date(1950, 1, 1)
    assert reg == make_registration(dob=date(1950, 12, 31), dob_year_only=True)


def test_unknown_birth_date_is_empty(make_registration):
    assert xml0_fields(make_registration(dob=None))["NGAY_SINH"] == ""


@pytest.mark.parametrize(("gender", "code"), [("male", "1"), ("female", "2"), ("unknown", "3")])
def test_gender_codes(make_registration, gender, code):
    assert xml0_fields(make_registration(gender=gender))["GIOI_TINH"] == code


def test_several_bhyt_codes_are_joined_by_semicolon_in_order(make_registration):
    reg = make_registration(bhyt_codes=["dn4797920000099", "GD4797920000100", "DN4797920000099"])
    # Normalised to upper case, duplicates dropped, presented card first, frozen as a tuple.
    assert reg.bhyt_codes == ("DN4797920000099", "GD4797920000100")
    assert xml0_fields(reg)["MA_THE_BHYT"] == "DN4797920000099;GD4797920000100"
    hash(reg)  # a list argument must not make the frozen record unhashable


def test_cccd_only_patient_has_empty_card_fields(make_registration):
    reg = make_registration(bhyt_codes=(), ma_dkbd=None, card_valid_from=None, card_valid_to=None, ma_doituong_kcb=None)
    fields = xml0_fields(reg)
    card_fields = ("MA_THE_BHYT", "MA_DKBD", "GT_THE_TU", "GT_THE_DEN", "MA_DOITUONG_KCB")
    assert [fields[name] for name in card_fields] == [""] * len(card_fields)
    assert fields["SO_CCCD"] == "079090000099"
    assert not reg.has_insurance_card


@pytest.mark.parametrize(
    ("arrived_at", "expected"),
    [
        (datetime(2024, 5, 1, 1, 5, tzinfo=timezone.utc), "202405010805"),
        # Late evening UTC is already the next day in Vietnam.
        (datetime(2024, 4, 30, 17, 30, tzinfo=timezone.utc), "202405010030"),
        (datetime(2024, 5, 1, 8, 5, 59, tzinfo=HOSPITAL_TZ), "202405010805"),
    ],
)
def test_arrival_is_written_in_hospital_time(make_registration, arrived_at, expected):
    assert xml0_fields(make_registration(arrived_at=arrived_at))["NGAY_VAO"] == expected


def test_names_are_stored_nfc(make_registration):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn An")
    reg = make_registration(full_name=f"  {decomposed} ")
    assert reg.full_name == "Nguyễn Văn An"
    assert xml0_fields(reg)["HO_TEN"].encode("utf-8") == "Nguyễn Văn An".encode("utf-8")


@pytest.mark.parametrize(
    ("overrides", "field_name"),
    [
        ({"arrived_at": datetime(2024, 5, 1, 8, 5)}, "arrived_at"),
        ({"gender": "other"}, "gender"),
        ({"ma_dkbd": "7900"}, "ma_dkbd"),
        ({"bhyt_codes": ("DN479;GD479",)}, "bhyt_codes"),
        ({"bhyt_codes": "DN4797920000099"}, "bhyt_codes"),
        ({"bhyt_codes": (), "card_valid_from": None, "card_valid_to": None}, "bhyt_codes"),  # MA_DKBD without card
        ({"card_valid_from": date(2025, 1, 1), "card_valid_to": date(2024, 1, 1)}, "card_valid_to"),
        ({"visit_id": "  "}, "visit_id"),
        ({"visit_id": "L" * 101}, "visit_id"),
        ({"seq": 0}, "seq"),
        ({"seq": True}, "seq"),
        ({"full_name": ""}, "full_name"),
        ({"dob": None, "dob_year_only": True}, "dob_year_only"),
        ({"dob": datetime(1985, 3, 15, 0, 0)}, "dob"),
    ],
)
def test_invalid_registrations_name_the_field(make_registration, overrides, field_name):
    with pytest.raises(InvalidVisitRegistration) as caught:
        make_registration(**overrides)
    assert caught.value.field_name == field_name
    assert isinstance(caught.value, ValueError)


def test_validation_messages_never_echo_the_value(make_registration):
    with pytest.raises(InvalidVisitRegistration) as caught:
        make_registration(ma_dkbd="7900X1")
    assert "7900X1" not in str(caught.value)


def test_reading_back_a_record_gives_the_same_registration(make_registration):
    reg = make_registration(bhyt_codes=("DN4797920000099", "GD4797920000100"), dob=date(1950, 1, 1), dob_year_only=True)
    assert registration_from_xml0_fields(xml0_fields(reg)) == reg


@pytest.mark.parametrize(
    ("field_name", "text"),
    [
        ("NGAY_SINH", "195003000000"),  # month without day: not representable, so refused
        ("NGAY_SINH", "19850230"),
        ("NGAY_VAO", "2024050108"),
        ("GIOI_TINH", "0"),
        ("GT_THE_DEN", "20241331"),
        ("STT", "-1"),
    ],
)
def test_malformed_xml0_values_are_refused(make_registration, field_name, text):
    fields = xml0_fields(make_registration())
    fields[field_name] = text
    with pytest.raises(InvalidVisitRegistration) as caught:
        registration_from_xml0_fields(fields)
    assert caught.value.field_name == field_name


# Precomposed letters only (plus XML's special characters): exactly what the NFC-normalising domain keeps.
_NAME_CHARS = (
    'aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯàáả'
    'ãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớở'
    'ỡợùúủũụừứửữựỳýỷỹỵ &<>\'"'
)
_names = st.text(alphabet=_NAME_CHARS, min_size=1, max_size=40).filter(lambda text: text.strip())
_codes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=15)
_minutes = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda moment: moment.replace(second=0, microsecond=0, tzinfo=HOSPITAL_TZ)
)


@st.composite
def _registration_fields(draw) -> dict:
    cards = draw(st.lists(_codes, max_size=3, unique=True))
    valid_from = draw(st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2050, 1, 1))) if cards else None
    valid_to = valid_from + timedelta(days=draw(st.integers(0, 3650))) if valid_from else None
    dob = draw(st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
    return dict(
        visit_id=draw(_codes),
        seq=draw(st.integers(1, 99_999)),
        patient_id=draw(_codes),
        full_name=draw(_names),
        cccd=draw(st.none() | st.from_regex(r"\A\d{12}\Z")),
        dob=dob,
        dob_year_only=draw(st.booleans()) if dob else False,
        gender=draw(st.sampled_from(["male", "female", "unknown"])),
        bhyt_codes=cards,
        ma_dkbd=draw(st.none() | st.from_regex(r"\A\d{5}\Z")) if cards else None,
        card_valid_from=valid_from,
        card_valid_to=valid_to,
        ma_doituong_kcb=draw(st.none() | st.sampled_from(["1.1", "1.2", "2", "3.1"])),
        arrived_at=draw(_minutes),
        service_name=draw(_names),
    )


# make_registration is a plain function behind a fixture, so sharing it across examples is safe.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=_registration_fields())
def test_xml0_fields_round_trip(make_registration, fields):
    reg = make_registration(**fields)
    assert isinstance(reg, VisitRegistration)
    assert registration_from_xml0_fields(xml0_fields(reg)) == reg
