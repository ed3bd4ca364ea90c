"""The backend's one message catalog (backend/messages.py): every code a person can be shown has
Vietnamese and English words, and each text fills in the same fields in both languages."""
import ast
import pathlib
import re
import string

import pytest

from backend.adapters.payments.vnpay.codes import (
    API_RESULT_CODES,
    RESPONSE_CODES,
    TRANSACTION_STATUSES,
    describe_response_code,
)
from backend.api.problems import PROBLEMS, STATUS
from backend.domain.appointments import Arrival
from backend.domain.bhyt_check import RESULT_CODE_RULES, gateway_unavailable, interpret_check
from backend.domain.cards import CardErrorCode
from backend.domain.otp import VERDICT_CODES
from backend.domain.priority import PriorityClass
from backend.messages import MESSAGES, PROBLEM_TEXTS, SOCKET_REFUSALS, pair, text

BACKEND = pathlib.Path(__file__).resolve().parents[2] / "backend"
VIETNAMESE = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def _fields(s: str) -> set[str]:
    # A place name comes in both languages: {room_vi} in the Vietnamese text is {room_en} in the English.
    return {re.sub(r"_(vi|en)$", "", name) for _, name, _, _ in string.Formatter().parse(s) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_text_has_both_languages_with_the_same_fields(key):
    words = MESSAGES[key]
    assert words.vi.strip() and words.en.strip() and words.vi != words.en
    assert VIETNAMESE & set(words.vi.lower()), words.vi  # Vietnamese with its marks, not ASCII
    assert _fields(words.vi) == _fields(words.en), key


def test_every_problem_code_has_a_status_and_words():
    assert set(STATUS) == set(PROBLEM_TEXTS)
    for code, (status, vi, en) in PROBLEMS.items():
        assert 400 <= status < 600 and (vi, en) == PROBLEM_TEXTS[code]
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", code)


def test_the_domains_codes_all_have_words():
    for code in CardErrorCode:
        assert code.value in PROBLEM_TEXTS
    for code in VERDICT_CODES.values():
        assert code in PROBLEM_TEXTS
    for arrival in Arrival:
        assert pair(f"arrival.{arrival.value}")
    for result in [interpret_check(code) for code in RESULT_CODE_RULES] + [interpret_check("999"),
                                                                           gateway_unavailable()]:
        assert result.message in MESSAGES


def test_every_code_the_backend_raises_by_name_has_words():
    raised = re.compile(r'\b(DomainError|ProblemException|problem|Refused)\(\s*"([A-Z][A-Z0-9_]+)"')
    found = {}
    for path in BACKEND.rglob("*.py"):
        if "simulators" in path.parts:
            continue  # they answer in the wire formats of other systems
        for kind, code in raised.findall(path.read_text(encoding="utf-8")):
            found[code] = (kind, path.name)
    assert len(found) > 60  # the scan still finds the codes
    missing = {code: where for code, where in found.items()
               if code not in (SOCKET_REFUSALS if where[0] == "Refused" else PROBLEM_TEXTS)}
    assert missing == {}


def test_text_fills_in_fields_and_falls_back_to_vietnamese():
    assert text("sms.called", "en", number="A001", point_vi="Quầy 1", point_en="Counter 1") == \
        "Number A001, please go to Counter 1."
    assert text("sms.called", "fr", number="A001", point_vi="Quầy 1", point_en="Counter 1") == \
        "Tiếp Đón: mời số A001 đến Quầy 1."
    with pytest.raises(KeyError):
        text("NO_SUCH_CODE")


def test_every_priority_reason_has_a_label():
    for reason in PriorityClass:
        assert pair(f"priority.{reason.value}")
    assert pair("priority_status.declared") and pair("priority_status.confirmed")


def _vietnamese_literals(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and VIETNAMESE & set(node.value.lower())]


def test_vnpay_words_and_the_payment_return_page_come_from_the_catalog():
    for path in (BACKEND / "adapters/payments/vnpay/codes.py", BACKEND / "api/payments_routes.py"):
        assert _vietnamese_literals(path) == [], path.name
    assert len(RESPONSE_CODES) == 11 and len(TRANSACTION_STATUSES) == 8 and len(API_RESULT_CODES) == 8
    assert describe_response_code("24") == text("vnpay.response.24") == "Khách hàng huỷ giao dịch"
    assert describe_response_code("42", "en") == text("vnpay.unknown", "en") == "Unknown code"
    assert pair("payment_return.failed", message_vi="Lỗi khác", message_en="Other error").en == \
        "The payment did not go through: Other error"
