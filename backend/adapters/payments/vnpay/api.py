"""VNPay merchant_webapi (POST JSON to .../merchant_webapi/api/transaction): querydr and refund.

Unlike the payment URL, these messages are signed with HMAC-SHA512 over field *values* joined by "|"
in a fixed order per command (absent values count as empty strings). Request orders are from the
spec; response orders are VNPay's documented ones and our simulator signs with the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from backend.adapters.payments.vnpay.payment import VNPAY_VERSION
from backend.adapters.payments.vnpay.signing import (
    SECURE_HASH,
    VnpayFormatError,
    format_vnp_datetime,
    from_vnp_amount,
    hex_digests_equal,
    hmac_sha512_hex,
    parse_vnp_datetime,
    sanitize_order_info,
    to_vnp_amount,
)

COMMAND_QUERYDR = "querydr"
COMMAND_REFUND = "refund"
REFUND_FULL = "02"
REFUND_PARTIAL = "03"

QUERYDR_REQUEST_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
    "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)  # fmt: skip
REFUND_REQUEST_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType", "vnp_TxnRef",
    "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy", "vnp_CreateDate",
    "vnp_IpAddr", "vnp_OrderInfo",
)  # fmt: skip
REFUND_RESPONSE_FIELDS = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef",
    "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType",
    "vnp_TransactionStatus", "vnp_OrderInfo",
)  # fmt: skip
QUERYDR_RESPONSE_FIELDS = REFUND_RESPONSE_FIELDS + ("vnp_PromotionCode", "vnp_PromotionAmount")

REQUEST_FIELDS = {COMMAND_QUERYDR: QUERYDR_REQUEST_FIELDS, COMMAND_REFUND: REFUND_REQUEST_FIELDS}
RESPONSE_FIELDS = {COMMAND_QUERYDR: QUERYDR_RESPONSE_FIELDS, COMMAND_REFUND: REFUND_RESPONSE_FIELDS}

REQUEST_ID_MAX_LEN = 32


class VnpayResponseError(ValueError):
    """A merchant_webapi answer is unsigned where it must be signed, wrongly signed, or malformed."""


def _value(body: Mapping[str, object], key: str) -> str:
    value = body.get(key)
    return "" if value is None else str(value)


def pipe_hash_data(body: Mapping[str, object], fields: Sequence[str]) -> str:
    return "|".join(_value(body, key) for key in fields)


def pipe_hash(body: Mapping[str, object], fields: Sequence[str], secret: str) -> str:
    return hmac_sha512_hex(secret, pipe_hash_data(body, fields))


def _check_request_id(request_id: str) -> None:
    if not request_id or len(request_id) > REQUEST_ID_MAX_LEN or not request_id.isascii():
        raise VnpayFormatError(f"request id must be 1..{REQUEST_ID_MAX_LEN} ASCII characters")


def build_querydr_request(
    *,
    tmn_code: str,
    secret: str,
    request_id: str,
    txn_ref: str,
    transaction_date: datetime,
    create_date: datetime,
    ip_addr: str,
    order_info: str,
    transaction_no: str | None = None,
) -> dict[str, str]:
    """JSON body asking VNPay for the state of the payment `txn_ref`.

    transaction_date is the vnp_CreateDate of the original payment URL (VNPay looks it up by it);
    create_date is now.
    """
    _check_request_id(request_id)
    body = {
        "vnp_RequestId": request_id,
        "vnp_Version": VNPAY_VERSION,
        "vnp_Command": COMMAND_QUERYDR,
        "vnp_TmnCode": tmn_code,
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": sanitize_order_info(order_info),
        "vnp_TransactionDate": format_vnp_datetime(transaction_date),
        "vnp_CreateDate": format_vnp_datetime(create_date),
        "vnp_IpAddr": ip_addr,
    }
    if transaction_no:
        body["vnp_TransactionNo"] = transaction_no
    body[SECURE_HASH] = pipe_hash(body, QUERYDR_REQUEST_FIELDS, secret)
    return body


def build_refund_request(
    *,
    tmn_code: str,
    secret: str,
    request_id: str,
    txn_ref: str,
    amount: int,
    full: bool,
    transaction_no: str | None,
    transaction_date: datetime,
    create_by: str,
    create_date: datetime,
    ip_addr: str,
    order_info: str,
) -> dict[str, str]:
    """JSON body asking VNPay to refund `amount` VND of payment `txn_ref` (full: 02, partial: 03)."""
    _check_request_id(request_id)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise VnpayFormatError("refund amount must be a positive integer number of VND")
    if not create_by:
        raise VnpayFormatError("create_by (the staff member asking for the refund) is required")
    body = {
        "vnp_RequestId": request_id,
        "vnp_Version": VNPAY_VERSION,
        "vnp_Command": COMMAND_REFUND,
        "vnp_TmnCode": tmn_code,
        "vnp_TransactionType": REFUND_FULL if full else REFUND_PARTIAL,
        "vnp_TxnRef": txn_ref,
        "vnp_Amount": to_vnp_amount(amount),
        "vnp_OrderInfo": sanitize_order_info(order_info),
        # VNPay accepts "0" when the gateway's transaction number is unknown.
        "vnp_TransactionNo": transaction_no or "0",
        "vnp_TransactionDate": format_vnp_datetime(transaction_date),
        "vnp_CreateBy": create_by,
        "vnp_CreateDate": format_vnp_datetime(create_date),
        "vnp_IpAddr": ip_addr,
    }
    body[SECURE_HASH] = pipe_hash(body, REFUND_REQUEST_FIELDS, secret)
    return body


def verify_request(body: Mapping[str, object], secret: str) -> bool:
    """Checksum of a querydr/refund request (what VNPay, or our simulator, checks)."""
    fields = REQUEST_FIELDS.get(_value(body, "vnp_Command"))
    if fields is None:
        return False
    return hex_digests_equal(pipe_hash(body, fields, secret), body.get(SECURE_HASH))


def sign_response(body: Mapping[str, object], secret: str) -> str:
    fields = RESPONSE_FIELDS.get(_value(body, "vnp_Command"))
    if fields is None:
        raise VnpayFormatError("response has no known vnp_Command")
    return pipe_hash(body, fields, secret)


def verify_response(body: Mapping[str, object], secret: str, command: str | None = None) -> bool:
    """True when a signed answer's checksum is right.

    Error answers (for example 97 or 03) may come back unsigned; those are accepted as unsigned
    because they change nothing on our side. A successful answer must always be signed.
    """
    received = body.get(SECURE_HASH)
    if received in (None, ""):
        return _value(body, "vnp_ResponseCode") != "00"
    fields = RESPONSE_FIELDS.get(command or _value(body, "vnp_Command"))
    if fields is None:
        return False
    return hex_digests_equal(pipe_hash(body, fields, secret), received)


def _optional_amount(body: Mapping[str, object]) -> int | None:
    raw = body.get("vnp_Amount")
    if raw in (None, ""):
        return None
    try:
        return from_vnp_amount(raw)
    except VnpayFormatError as exc:
        raise VnpayResponseError("vnp_Amount in answer is malformed") from exc


def _optional_date(body: Mapping[str, object], key: str) -> datetime | None:
    raw = body.get(key)
    if raw in (None, ""):
        return None
    try:
        return parse_vnp_datetime(str(raw))
    except VnpayFormatError:
        return None


def _optional(body: Mapping[str, object], key: str) -> str | None:
    text = _value(body, key)
    return text or None


@dataclass(frozen=True)
class QueryDrResult:
    response_code: str  # API result: 00 found, 91 not found, ...
    message: str
    txn_ref: str | None
    amount: int | None  # VND
    transaction_no: str | None
    transaction_status: str | None  # 00 paid, 01 not completed, 02 failed, ...
    transaction_type: str | None
    bank_code: str | None
    pay_date: datetime | None
    response_id: str | None
    # False for an unsigned error answer: fine for logging, not proof enough to give up on a payment.
    signed: bool

    @property
    def found(self) -> bool:
        return self.response_code == "00"

    @property
    def paid(self) -> bool:
        return self.response_code == "00" and self.transaction_status == "00"


@dataclass(frozen=True)
class RefundResult:
    response_code: str  # 00 accepted, 91 not found, 94 duplicate, 95 refused, ...
    message: str
    txn_ref: str | None
    amount: int | None  # VND
    transaction_no: str | None
    transaction_status: str | None
    transaction_type: str | None
    response_id: str | None
    signed: bool

    @property
    def accepted(self) -> bool:
        return self.response_code == "00"


def _checked(body: object, secret: str, command: str) -> bool:
    """Raise unless the answer is acceptable; return whether it carried a valid signature."""
    if not isinstance(body, Mapping) or not _value(body, "vnp_ResponseCode"):
        raise VnpayResponseError("answer has no vnp_ResponseCode")
    if body.get("vnp_Command") not in (None, "", command):
        raise VnpayResponseError("answer is for another command")
    if not verify_response(body, secret, command):
        raise VnpayResponseError("answer checksum is missing or wrong")
    return body.get(SECURE_HASH) not in (None, "")


def parse_querydr_response(body: Mapping[str, object], secret: str) -> QueryDrResult:
    signed = _checked(body, secret, COMMAND_QUERYDR)
    return QueryDrResult(
        response_code=_value(body, "vnp_ResponseCode"),
        message=_value(body, "vnp_Message"),
        txn_ref=_optional(body, "vnp_TxnRef"),
        amount=_optional_amount(body),
        transaction_no=_optional(body, "vnp_TransactionNo"),
        transaction_status=_optional(body, "vnp_TransactionStatus"),
        transaction_type=_optional(body, "vnp_TransactionType"),
        bank_code=_optional(body, "vnp_BankCode"),
        pay_date=_optional_date(body, "vnp_PayDate"),
        response_id=_optional(body, "vnp_ResponseId"),
        signed=signed,
    )


def parse_refund_response(body: Mapping[str, object], secret: str) -> RefundResult:
    signed = _checked(body, secret, COMMAND_REFUND)
    return RefundResult(
        response_code=_value(body, "vnp_ResponseCode"),
        message=_value(body, "vnp_Message"),
        txn_ref=_optional(body, "vnp_TxnRef"),
        amount=_optional_amount(body),
        transaction_no=_optional(body, "vnp_TransactionNo"),
        transaction_status=_optional(body, "vnp_TransactionStatus"),
        transaction_type=_optional(body, "vnp_TransactionType"),
        response_id=_optional(body, "vnp_ResponseId"),
        signed=signed,
    )
