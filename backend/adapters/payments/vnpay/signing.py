"""VNPay 2.1.0 primitives: the query-string signature, money and date encodings, OrderInfo text.

Signature (payment URL, return URL and IPN alike): every vnp_* parameter except vnp_SecureHash and
vnp_SecureHashType, empty values dropped, keys in ASCII order, `key=quote_plus(value)` joined by "&",
HMAC-SHA512 with the merchant's hash secret, lower-case hex.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote_plus

from backend.domain.payments.text import strip_diacritics
from backend.domain.payments.timezones import VIETNAM_TZ

SECURE_HASH = "vnp_SecureHash"
SECURE_HASH_TYPE = "vnp_SecureHashType"
_UNSIGNED = frozenset({SECURE_HASH, SECURE_HASH_TYPE})

VNPAY_TZ = VIETNAM_TZ
_DATE_FORMAT = "%Y%m%d%H%M%S"
_DATE_RE = re.compile(r"[0-9]{14}")

ORDER_INFO_MAX_LEN = 255
_ORDER_INFO_DISALLOWED = re.compile(r"[^A-Za-z0-9 .,:_-]+")
_SPACES = re.compile(r" {2,}")


class VnpayFormatError(ValueError):
    """A value cannot be expressed in, or read from, VNPay's wire format."""


def hmac_sha512_hex(secret: str, data: str) -> str:
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def _signed_items(params: Mapping[str, object]) -> list[tuple[str, str]]:
    items = []
    for key, value in params.items():
        if not key.startswith("vnp_") or key in _UNSIGNED or value is None:
            continue
        text = str(value)
        if text == "":
            continue
        items.append((key, text))
    # ASCII order of the keys; all vnp_ keys are ASCII so code-point order is the same thing.
    items.sort(key=lambda kv: kv[0])
    return items


def signing_data(params: Mapping[str, object]) -> str:
    """The exact text VNPay signs, e.g. "vnp_Amount=15000000&vnp_BankCode=VNPAYQR&..."."""
    return "&".join(f"{key}={quote_plus(value)}" for key, value in _signed_items(params))


def sign_params(params: Mapping[str, object], secret: str) -> str:
    return hmac_sha512_hex(secret, signing_data(params))


def signed_query_string(params: Mapping[str, object], secret: str) -> str:
    """Query string VNPay expects: the signed data itself, then &vnp_SecureHash=<hex>."""
    data = signing_data(params)
    return f"{data}&{SECURE_HASH}={hmac_sha512_hex(secret, data)}"


def hex_digests_equal(expected_hex: str, received: object) -> bool:
    """Constant-time comparison of a computed lower-hex digest with whatever the peer sent."""
    if not isinstance(received, str):
        return False
    # Encoding first: compare_digest refuses non-ASCII str, and a forged value may contain anything.
    return hmac.compare_digest(expected_hex.encode("ascii"), received.strip().lower().encode("utf-8"))


def _has_repeated_vnp_keys(params: Mapping[str, object]) -> bool:
    getlist = getattr(params, "getlist", None)
    if getlist is None:
        return False
    # A repeated key would let the signed value and the value some later code reads differ.
    return any(len(getlist(key)) > 1 for key in params if key.startswith("vnp_"))


def verify_signature(params: Mapping[str, object], secret: str) -> bool:
    """True when vnp_SecureHash matches the other vnp_* parameters (return URL or IPN query)."""
    if _has_repeated_vnp_keys(params):
        return False
    return hex_digests_equal(sign_params(params, secret), params.get(SECURE_HASH))


def to_vnp_amount(amount_vnd: int) -> str:
    """VND -> vnp_Amount (VND × 100, the gateway's two implied decimals)."""
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int) or amount_vnd < 0:
        raise VnpayFormatError("amount must be a non-negative integer number of VND")
    return str(amount_vnd * 100)


def from_vnp_amount(vnp_amount: object) -> int:
    """vnp_Amount -> integer VND; raises on anything that is not a whole number of VND."""
    text = str(vnp_amount) if isinstance(vnp_amount, int) and not isinstance(vnp_amount, bool) else vnp_amount
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        raise VnpayFormatError("vnp_Amount must be digits")
    hundredths = int(text)
    if hundredths % 100:
        raise VnpayFormatError("vnp_Amount is not a whole number of VND")
    return hundredths // 100


def format_vnp_datetime(moment: datetime) -> str:
    """yyyyMMddHHmmss in GMT+7. Naive datetimes are refused: their zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise VnpayFormatError("VNPay dates need a timezone-aware datetime")
    return moment.astimezone(VNPAY_TZ).strftime(_DATE_FORMAT)


def parse_vnp_datetime(text: object) -> datetime:
    if not isinstance(text, str) or not _DATE_RE.fullmatch(text):
        raise VnpayFormatError("VNPay date must be yyyyMMddHHmmss")
    try:
        # Sliced, not strptime: every IPN parses its date twice, and strptime costs ten times more.
        return datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                        int(text[12:14]), tzinfo=VNPAY_TZ)
    except ValueError as exc:
        raise VnpayFormatError("VNPay date is not a calendar date") from exc


def sanitize_order_info(text: str, max_len: int = ORDER_INFO_MAX_LEN) -> str:
    """Fold to VNPay's safe OrderInfo alphabet [A-Za-z0-9 .,:_-].

    Some bank apps and VNPay's own pages mangle other characters (notably "#", "&", "%", "/" and
    anything with a diacritic), which then breaks the signature on the way back.
    """
    folded = _ORDER_INFO_DISALLOWED.sub(" ", strip_diacritics(text))
    cleaned = _SPACES.sub(" ", folded).strip()[:max_len].rstrip()
    if not cleaned:
        raise VnpayFormatError("order info is empty after sanitising")
    return cleaned
