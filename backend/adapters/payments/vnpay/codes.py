"""Human descriptions (vi first, en second) of VNPay's codes, for staff screens and patient messages.
The words are in the message catalog (backend/messages.py, keys ``vnpay.<table>.<code>``)."""

from __future__ import annotations

from collections.abc import Mapping

from backend.messages import MESSAGES, Text


def _table(prefix: str) -> Mapping[str, tuple[str, str]]:
    return {key[len(prefix):]: tuple(words) for key, words in MESSAGES.items() if key.startswith(prefix)}


# vnp_ResponseCode on the return URL and IPN.
RESPONSE_CODES: Mapping[str, tuple[str, str]] = _table("vnpay.response.")

# vnp_TransactionStatus on the return URL, IPN and querydr answers.
TRANSACTION_STATUSES: Mapping[str, tuple[str, str]] = _table("vnpay.transaction.")

# vnp_ResponseCode of the merchant_webapi (querydr, refund).
API_RESULT_CODES: Mapping[str, tuple[str, str]] = _table("vnpay.api.")

_UNKNOWN: tuple[str, str] = tuple(MESSAGES["vnpay.unknown"])


def describe(table: Mapping[str, tuple[str, str]], code: str | None, lang: str = "vi") -> str:
    return Text(*table.get(code or "", _UNKNOWN)).get(lang)


def describe_response_code(code: str | None, lang: str = "vi") -> str:
    return describe(RESPONSE_CODES, code, lang)


def describe_transaction_status(code: str | None, lang: str = "vi") -> str:
    return describe(TRANSACTION_STATUSES, code, lang)


def describe_api_result(code: str | None, lang: str = "vi") -> str:
    return describe(API_RESULT_CODES, code, lang)
