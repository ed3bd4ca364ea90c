"""VNPay 2.1.0 in one import: signing, payment URL, IPN decision, querydr/refund, code descriptions.

The pieces live in signing, payment, ipn, api and codes (client.py talks HTTP); this module
only gathers them so callers can write `from backend.adapters.payments import vnpay`.
"""

from backend.domain.payments.invoice_view import InvoiceView
from backend.adapters.payments.vnpay.api import (
    COMMAND_QUERYDR,
    COMMAND_REFUND,
    QUERYDR_REQUEST_FIELDS,
    QUERYDR_RESPONSE_FIELDS,
    REFUND_FULL,
    REFUND_PARTIAL,
    REFUND_REQUEST_FIELDS,
    REFUND_RESPONSE_FIELDS,
    QueryDrResult,
    RefundResult,
    VnpayResponseError,
    build_querydr_request,
    build_refund_request,
    parse_querydr_response,
    parse_refund_response,
    pipe_hash,
    pipe_hash_data,
    sign_response,
    verify_request,
    verify_response,
)
from backend.adapters.payments.vnpay.codes import (
    API_RESULT_CODES,
    RESPONSE_CODES,
    TRANSACTION_STATUSES,
    describe_api_result,
    describe_response_code,
    describe_transaction_status,
)
from backend.adapters.payments.vnpay.ipn import (
    FINAL_RSP_CODES,
    IPN_MESSAGES,
    IpnOutcome,
    classify_ipn,
    unknown_error_outcome,
)
from backend.adapters.payments.vnpay.payment import (
    MAX_AMOUNT_VND,
    MIN_AMOUNT_VND,
    VNPAY_VERSION,
    VnpayPaymentRequest,
    build_payment_url,
    payment_params,
    payment_url,
)
from backend.adapters.payments.vnpay.signing import (
    SECURE_HASH,
    SECURE_HASH_TYPE,
    VNPAY_TZ,
    VnpayFormatError,
    format_vnp_datetime,
    from_vnp_amount,
    hmac_sha512_hex,
    parse_vnp_datetime,
    sanitize_order_info,
    sign_params,
    signed_query_string,
    signing_data,
    to_vnp_amount,
    verify_signature,
)

__all__ = [name for name in dir() if not name.startswith("_")]
