"""VNPay as a PaymentProvider: a signed payment URL per attempt (its QR for VNPAYQR), the IPN,
querydr, refund, the return page. Everything VNPay-shaped stays in this package."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from backend.domain.errors import DomainError
from backend.domain.invoices import Invoice
from backend.services.ports.payments import (
    AttemptLookup,
    AttemptRecord,
    CallbackAction,
    CallbackOutcome,
    CallbackRequest,
    Confirmation,
    PayerInstructions,
    PaymentResult,
    RefundOutcome,
    ReturnInfo,
    StartOptions,
    TransactionStatus,
)

from .client import VnpayClient
from .codes import describe_api_result, describe_response_code
from .ipn import RSP_INVALID_SIGNATURE, IpnOutcome, unknown_error_outcome
from .payment import BANK_CODES, LOCALES, MIN_AMOUNT_VND
from .signing import VnpayFormatError, parse_vnp_datetime

METHOD = "vnpay"
# Transaction statuses that are not a final answer yet (01 not completed) or describe a refund of
# a payment we never heard about (05, 06): querydr leaves such attempts pending.
_NOT_FINAL_STATUSES = frozenset({"01", "05", "06"})


def _reported_pay_date(params: Mapping[str, object]) -> datetime | None:
    try:
        return parse_vnp_datetime(params.get("vnp_PayDate")) if params.get("vnp_PayDate") else None
    except VnpayFormatError:
        return None


def _ipn_outcome(outcome: IpnOutcome) -> CallbackOutcome:
    if outcome.should_record:
        action = CallbackAction.CREDIT
    elif outcome.rsp_code == RSP_INVALID_SIGNATURE:
        action = CallbackAction.REJECT
    else:
        action = CallbackAction.IGNORE
    result = None
    if outcome.should_record:
        result = PaymentResult(paid=bool(outcome.paid), transaction_no=outcome.transaction_no,
                               pay_bank_code=outcome.bank_code, pay_date=outcome.pay_date,
                               response_code=outcome.response_code,
                               transaction_status=outcome.transaction_status)
    return CallbackOutcome(action, outcome.reason, outcome.response_body(), outcome.txn_ref, result,
                           code=outcome.rsp_code)


class VnpayProvider:
    method = METHOD
    label_vi = label_en = "VNPay"
    confirmation = Confirmation.ATTEMPT
    min_amount = MIN_AMOUNT_VND
    refunds = True
    queries = True

    def __init__(self, client: VnpayClient | None):
        self._client = client  # None: not configured (IPNs answer 97, starts 503)

    @property
    def configured(self) -> bool:
        return self._client is not None

    def health(self) -> dict[str, str]:
        return {METHOD: "configured" if self.configured else "off"}

    def _gateway(self) -> VnpayClient:
        if self._client is None:
            raise DomainError("PAYMENT_PROVIDER_NOT_CONFIGURED", provider=METHOD)
        return self._client

    def options(self, raw: Mapping[str, object]) -> StartOptions:
        self._gateway()
        bank_code = raw.get("bank_code", "VNPAYQR")
        locale = raw.get("locale", "vn")
        if bank_code is not None and bank_code not in BANK_CODES:
            raise DomainError("VALIDATION_ERROR", field="bank_code")
        if locale not in LOCALES:
            raise DomainError("VALIDATION_ERROR", field="locale")
        return StartOptions(bank_code=bank_code, locale=locale)

    def instructions(self, invoice: Invoice, attempt: AttemptRecord | None) -> PayerInstructions:
        if attempt is None:
            raise DomainError("PAYMENT_NOT_STARTED")
        try:
            # Deterministic in the stored fields, so a retried request gets the very same URL back.
            url = self._gateway().payment_url(
                txn_ref=attempt.txn_ref, amount=attempt.amount,
                order_info=f"Thanh toan vien phi {invoice.reference}", ip_addr=attempt.ip_addr,
                created_at=attempt.created_at, expires_at=attempt.expires_at, bank_code=attempt.bank_code,
                locale=attempt.locale,
            )
        except VnpayFormatError:
            raise DomainError("PAYMENT_AMOUNT_INVALID", provider=METHOD) from None
        # VNPAYQR: the banking app opens the signed payment URL itself.
        return PayerInstructions(url=url, qr_payload=url)

    def handle_callback(self, request: CallbackRequest, lookup: AttemptLookup) -> CallbackOutcome:
        """The IPN, classified in VNPay's order: signature, order, amount, already confirmed."""
        if self._client is None:
            outcome = IpnOutcome(RSP_INVALID_SIGNATURE, "not_configured")
        else:
            pay_date = _reported_pay_date(request.params)
            outcome = self._client.classify_ipn(request.params, lambda ref: lookup(ref, pay_date))
        return _ipn_outcome(outcome)

    def failure_answer(self, request: CallbackRequest) -> CallbackOutcome:
        txn_ref = request.params.get("vnp_TxnRef")
        outcome = unknown_error_outcome(txn_ref if isinstance(txn_ref, str) else None)
        return CallbackOutcome(CallbackAction.IGNORE, outcome.reason, outcome.response_body(), outcome.txn_ref,
                               code=outcome.rsp_code)

    def query(self, attempt: AttemptRecord) -> TransactionStatus:
        result = self._gateway().querydr(txn_ref=attempt.txn_ref, transaction_date=attempt.created_at)
        final = result.found and result.signed and result.transaction_status not in (None, *_NOT_FINAL_STATUSES)
        return TransactionStatus(
            final=final, amount=result.amount,
            result=PaymentResult(paid=result.paid, transaction_no=result.transaction_no,
                                 pay_bank_code=result.bank_code, pay_date=result.pay_date,
                                 transaction_status=result.transaction_status),
        )

    def refund(self, attempt: AttemptRecord, *, actor: str) -> RefundOutcome:
        result = self._gateway().refund(
            txn_ref=attempt.txn_ref, amount=attempt.amount, full=True, transaction_no=attempt.transaction_no,
            transaction_date=attempt.created_at, create_by=actor[:64],
        )
        return RefundOutcome(result.accepted, result.response_code,
                             describe_api_result(result.response_code, "en"),
                             {"vnpay_code": result.response_code})

    def verify_return(self, params: Mapping[str, object]) -> ReturnInfo | None:
        if self._client is None or not self._client.verify_return(params):
            return None
        txn_ref, code = params.get("vnp_TxnRef"), params.get("vnp_ResponseCode")
        code = code if isinstance(code, str) else None
        return ReturnInfo(txn_ref if isinstance(txn_ref, str) else None, code, code == "00")

    def describe(self, code: str | None, lang: str) -> str:
        return describe_response_code(code, lang)
