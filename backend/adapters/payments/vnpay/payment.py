"""Building the signed VNPay payment URL (vnp_Command=pay) that the kiosk shows as a QR or link."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from backend.adapters.payments.vnpay.signing import (
    SECURE_HASH,
    SECURE_HASH_TYPE,
    VnpayFormatError,
    format_vnp_datetime,
    sanitize_order_info,
    signed_query_string,
    to_vnp_amount,
)

VNPAY_VERSION = "2.1.0"
COMMAND_PAY = "pay"
CURRENCY_VND = "VND"
BANK_CODES = ("VNPAYQR", "VNBANK", "INTCARD")
LOCALES = ("vn", "en")
# VNPay's gateway refuses payments outside this range (5 000 VND up to, not including, 1 billion).
MIN_AMOUNT_VND = 5_000
MAX_AMOUNT_VND = 999_999_999
_TXN_REF_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")


@dataclass(frozen=True)
class VnpayPaymentRequest:
    tmn_code: str
    amount: int  # VND
    txn_ref: str  # unique per day at VNPay; one per payment attempt
    order_info: str  # free text, sanitised on the way out
    return_url: str
    ip_addr: str
    created_at: datetime  # timezone-aware
    expires_at: datetime  # timezone-aware
    locale: str = "vn"
    order_type: str = "billpayment"
    bank_code: str | None = None


def payment_params(request: VnpayPaymentRequest) -> dict[str, str]:
    """The unsigned vnp_* parameters for `request`, validated."""
    if isinstance(request.amount, bool) or not isinstance(request.amount, int):
        raise VnpayFormatError("amount must be an integer number of VND")
    if not MIN_AMOUNT_VND <= request.amount <= MAX_AMOUNT_VND:
        raise VnpayFormatError(f"VNPay accepts {MIN_AMOUNT_VND}..{MAX_AMOUNT_VND} VND")
    if not _TXN_REF_RE.fullmatch(request.txn_ref or ""):
        raise VnpayFormatError("txn_ref must be 1..100 of [A-Za-z0-9_-]")
    if request.locale not in LOCALES:
        raise VnpayFormatError(f"locale must be one of {LOCALES}")
    if request.bank_code is not None and request.bank_code not in BANK_CODES:
        raise VnpayFormatError(f"bank_code must be one of {BANK_CODES}")
    if request.expires_at <= request.created_at:
        raise VnpayFormatError("expires_at must be after created_at")
    params = {
        "vnp_Version": VNPAY_VERSION,
        "vnp_Command": COMMAND_PAY,
        "vnp_TmnCode": request.tmn_code,
        "vnp_Amount": to_vnp_amount(request.amount),
        "vnp_CurrCode": CURRENCY_VND,
        "vnp_TxnRef": request.txn_ref,
        "vnp_OrderInfo": sanitize_order_info(request.order_info),
        "vnp_OrderType": request.order_type,
        "vnp_Locale": request.locale,
        "vnp_ReturnUrl": request.return_url,
        "vnp_IpAddr": request.ip_addr,
        "vnp_CreateDate": format_vnp_datetime(request.created_at),
        "vnp_ExpireDate": format_vnp_datetime(request.expires_at),
    }
    if request.bank_code:
        params["vnp_BankCode"] = request.bank_code
    return params


def build_payment_url(base_url: str, params: Mapping[str, object], secret: str) -> str:
    """`base_url` + signed query. Only vnp_* parameters are accepted: anything else would travel unsigned."""
    foreign = [key for key in params if not key.startswith("vnp_")]
    if foreign:
        raise VnpayFormatError("only vnp_* parameters can be sent to VNPay")
    if SECURE_HASH in params or SECURE_HASH_TYPE in params:
        raise VnpayFormatError("params are already signed")
    if base_url.endswith(("?", "&")):
        separator = ""
    else:
        separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}{signed_query_string(params, secret)}"


def payment_url(base_url: str, request: VnpayPaymentRequest, secret: str) -> str:
    return build_payment_url(base_url, payment_params(request), secret)
