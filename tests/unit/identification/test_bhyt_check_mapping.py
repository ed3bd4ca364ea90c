import pytest

from backend.domain.bhyt_check import (
    RESULT_CODE_RULES,
    CheckOutcome,
    CheckStatus,
    gateway_unavailable,
    interpret_check,
)
from backend.messages import pair

O = CheckOutcome
# specs/bhxh.md, restated by hand: code → (status, outcome, staff_flag, alert_it).
SPEC_TABLE = {
    "000": ("ok", O.OK, False, False),
    "001": ("flagged", O.OK_FLAG_STAFF, True, False),
    "002": ("flagged", O.OK_FLAG_STAFF, True, False),
    "003": ("ok", O.OK_NEW_CARD, False, False),
    "004": ("ok", O.OK, False, False),
    "010": ("refused", O.REFUSE_BHYT_OFFER_SELF_PAY, False, False),
    "050": ("refused", O.REFUSE_BHYT, False, False),
    "051": ("refused", O.REFUSE_BHYT, False, False),
    "052": ("refused", O.REFUSE_BHYT, False, False),
    "053": ("refused", O.REFUSE_BHYT, False, False),
    "054": ("pending", O.CONFIG_ERROR_PENDING, True, True),
    "055": ("pending", O.CONFIG_ERROR_PENDING, True, True),
    "060": ("refused", O.REFUSE_SEE_RECEPTION, True, False),
    "061": ("refused", O.REFUSE_SEE_RECEPTION, True, False),
    "070": ("refused", O.REFUSE_SEE_RECEPTION, True, False),
    "100": ("pending", O.RETRY_PENDING, True, False),
    "101": ("pending", O.RETRY_PENDING, True, False),
    "110": ("refused", O.REFUSE_BHYT, False, False),
    "120": ("refused", O.REFUSE_BHYT, False, False),
    "121": ("refused", O.REFUSE_BHYT, False, False),
    "122": ("refused", O.REFUSE_BHYT, False, False),
    "123": ("refused", O.REFUSE_BHYT, False, False),
    "124": ("refused", O.REFUSE_BHYT, False, False),
    "130": ("refused", O.CHILD_SEE_RECEPTION, True, False),
    "205": ("pending", O.BUG_ALERT_IT, True, True),
    "401": ("pending", O.AUTH_ERROR_PENDING, True, True),
}

VIETNAMESE_MARKS = set("ăâđêôơưàáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ")


@pytest.mark.parametrize("code", sorted(SPEC_TABLE))
def test_every_spec_code_maps_to_its_kiosk_outcome(code):
    status, outcome, staff_flag, alert_it = SPEC_TABLE[code]
    result = interpret_check(code, new_card_code="HT2010000000003" if code == "003" else None)

    assert result.code == code
    assert result.status == status and isinstance(result.status, CheckStatus)
    assert result.outcome is outcome
    assert (result.staff_flag, result.alert_it) == (staff_flag, alert_it)


def test_the_table_has_no_codes_beyond_the_spec():
    assert set(RESULT_CODE_RULES) == set(SPEC_TABLE)


@pytest.mark.parametrize("code", ["999", "", None, "2O0", "HTTP404"])
def test_unknown_codes_are_pending_with_an_it_alert(code):
    result = interpret_check(code)
    assert result.status is CheckStatus.PENDING
    assert result.outcome is O.UNKNOWN_CODE_PENDING
    assert result.alert_it and result.staff_flag


@pytest.mark.parametrize("raw, code", [(0, "000"), ("0", "000"), (10, "010"), (" 050 ", "050"), (401, "401")])
def test_codes_sent_as_numbers_are_normalised(raw, code):
    assert interpret_check(raw).code == code


def test_new_card_code_is_carried_for_003_and_004():
    assert interpret_check("003", new_card_code=" HT2010000000003 ").new_card_code == "HT2010000000003"
    assert interpret_check("004", new_card_code="HN1010000000004").new_card_code == "HN1010000000004"


def test_003_without_the_new_card_number_is_flagged_for_staff():
    result = interpret_check("003", new_card_code="")
    assert result.status is CheckStatus.FLAGGED and result.staff_flag
    assert result.outcome is O.OK_NEW_CARD and result.new_card_code is None


def test_every_outcome_speaks_vietnamese_first_and_english_second():
    results = [interpret_check(code) for code in SPEC_TABLE] + [interpret_check("999"), gateway_unavailable()]
    for result in results:
        words = pair(result.message)  # the words live in the backend's message catalog
        assert words.vi and words.en and words.vi != words.en
        assert VIETNAMESE_MARKS & set(words.vi.lower()), words.vi
        assert words.en.isascii(), words.en


def test_gateway_unavailable_is_pending_without_it_alert():
    result = gateway_unavailable()
    assert result.status is CheckStatus.PENDING and result.outcome is O.GATEWAY_UNAVAILABLE_PENDING
    assert result.staff_flag and not result.alert_it


def test_repr_leaves_out_the_new_card_number():
    assert "HT2010000000003" not in repr(interpret_check("003", new_card_code="HT2010000000003"))
