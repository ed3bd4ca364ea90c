"""The levels of identity and what each may do (DESIGN rule 9), and how record changes are named."""
import pytest

from backend.domain.assurance import (Assurance, assess, changed_fields, may_change_record, may_see_open_visit,
                                      may_share)
from backend.domain.bhyt_check import gateway_unavailable, interpret_check
from backend.settings import parse_count_per_window


def level(scanned=False, in_hand=True, name="Nguyễn Văn An", dob="15/08/1990",
          answer=("NGUYỄN  VĂN AN", "15/08/1990"), code="000"):
    check = interpret_check(code, holder_name=answer[0], holder_dob=answer[1])
    return assess(scanned=scanned, card_in_hand=in_hand, typed_name=name, typed_dob=dob, check=check)


def test_a_card_scanned_where_it_can_be_seen_is_the_best_level_whatever_bhxh_says():
    assert level(scanned=True, answer=(None, None), code="060") is Assurance.CARD


def test_a_qr_read_by_a_phone_is_worth_what_typing_it_is():
    assert level(scanned=True, in_hand=False, answer=(None, None)) is Assurance.TYPED
    assert level(scanned=True, in_hand=False) is Assurance.CONFIRMED


@pytest.mark.parametrize("answer", [
    (None, None),                              # no card in the answer
    ("Nguyễn Văn Anh", "15/08/1990"),          # another name
    ("Nguyễn Văn An", "16/08/1990"),           # another birth date
    ("Nguyễn Văn An", "1990"),                 # only the year where a full date was typed
    ("Nguyễn Văn An", None),
])
def test_a_typed_number_is_confirmed_only_by_the_same_name_and_birth_date(answer):
    assert level(answer=answer) is Assurance.TYPED


@pytest.mark.parametrize("code", ["050", "060", "061", "070", "205", "401", "100", ""])
def test_an_answer_that_refuses_the_person_or_decides_nothing_confirms_nothing(code):
    # Even if a gateway echoed the typed name and date back with the refusal.
    assert level(code=code, answer=("Nguyễn Văn An", "15/08/1990")) is Assurance.TYPED


def test_a_card_refused_for_other_reasons_still_names_its_holder():
    assert level(code="010") is Assurance.CONFIRMED  # expired card: the person is who they typed
    assert level(code="003") is Assurance.CONFIRMED


def test_no_answer_at_all_confirms_nothing():
    check = gateway_unavailable()
    assert assess(scanned=False, card_in_hand=True, typed_name="An", typed_dob="1990", check=check) \
        is Assurance.TYPED


def test_name_case_spacing_and_unicode_form_do_not_matter():
    nfd = "Nguye\u0302\u0303n Va\u0306n An"  # decomposed, as some keyboards send it
    assert level(name=nfd, answer=("  nguyễn văn an ", "15/08/1990")) is Assurance.CONFIRMED


def test_what_each_level_may_do():
    assert [may_see_open_visit(a) for a in Assurance] == [False, True, True]
    assert [may_change_record(a) for a in Assurance] == [False, True, True]
    assert [may_share(a) for a in Assurance] == [False, False, True]


def test_an_unknown_level_from_a_token_is_the_lowest():
    assert Assurance.parse(None) is Assurance.TYPED and Assurance.parse("admin") is Assurance.TYPED
    assert Assurance.parse("card") is Assurance.CARD


def test_changed_fields_are_named_never_valued():
    stored = {"name": "Lê Văn Tám", "dob_year": 1990, "dob_month": None, "dob_day": None, "gender": "male",
              "cccd": "001090012345"}
    update = {"name": "Nguyễn Văn An", "dob_year": 1990, "dob_month": 8, "dob_day": 15, "gender": "male",
              "cccd": "001090012345"}
    assert changed_fields(stored, update) == ["dob", "name"]
    assert changed_fields(update, update) == []


@pytest.mark.parametrize("text, expected", [("20/hour", (20, 3600)), ("100/day", (100, 86400)),
                                            ("5/600", (5, 600)), ("0/hour", (0, 3600))])
def test_the_manual_lookup_limit_setting(text, expected):
    assert parse_count_per_window(text) == expected


@pytest.mark.parametrize("text", ["many", "20/week", "-1/hour", "20/0"])
def test_a_wrong_manual_lookup_limit_setting_is_refused(text):
    with pytest.raises(ValueError):
        parse_count_per_window(text)


def test_the_limit_comes_from_the_environment(monkeypatch):
    from backend.settings import Settings

    assert Settings.from_env().manual_lookup_limit == (20, 3600)
    monkeypatch.setenv("TIEPDON_MANUAL_LOOKUP_LIMIT", "50/day")
    assert Settings.from_env().manual_lookup_limit == (50, 86400)
