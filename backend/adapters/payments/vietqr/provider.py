"""VietQR as a PaymentProvider: a dynamic EMVCo QR to the hospital's account with the invoice's
reference in the purpose; the bank webhook reports the transfer, which the domain's matching policy
ties to an invoice."""
from __future__ import annotations

from collections.abc import Mapping

from backend.domain.errors import DomainError
from backend.domain.invoices import Invoice
from backend.services.ports.payments import (
    AccountFields,
    AttemptLookup,
    AttemptRecord,
    CallbackAction,
    CallbackOutcome,
    CallbackRequest,
    Confirmation,
    PayerInstructions,
    RefundOutcome,
    ReturnInfo,
    StartOptions,
    TransactionStatus,
    WebhookMalformed,
    WebhookRejected,
)

from .payload import build_vietqr
from .webhook import BankWebhookVerifier

METHOD = "vietqr"


class VietQrProvider:
    method = METHOD
    label_vi = "Chuyển khoản (VietQR)"
    label_en = "Bank transfer (VietQR)"
    confirmation = Confirmation.TRANSFER
    min_amount = 1
    refunds = False  # a transfer is returned by the cashier (refund method=manual)
    queries = False

    def __init__(self, *, bank_bin: str | None, account: str | None, account_name: str | None = None,
                 bank_name: str | None = None, webhook: BankWebhookVerifier | None = None):
        self.bank_bin = bank_bin
        self.account = account
        self.account_name = account_name
        self.bank_name = bank_name
        self._webhook = webhook

    @property
    def configured(self) -> bool:
        return bool(self.bank_bin and self.account)

    def health(self) -> dict[str, str]:
        return {METHOD: "configured" if self.configured else "off",
                "bank_webhook": "configured" if self._webhook else "off"}

    def options(self, raw: Mapping[str, object]) -> StartOptions:
        return StartOptions()  # nothing to choose: the QR carries account, amount and reference

    def instructions(self, invoice: Invoice, attempt: AttemptRecord | None) -> PayerInstructions:
        if not self.configured:
            raise DomainError("PAYMENT_PROVIDER_NOT_CONFIGURED", provider=METHOD)
        # Only the reference goes in the purpose: banks cut long purposes, and matching needs it whole.
        payload = build_vietqr(self.bank_bin, self.account, invoice.amount, invoice.reference)
        return PayerInstructions(qr_payload=payload, account=AccountFields(
            self.bank_bin, self.bank_name, self.account, self.account_name, invoice.reference))

    def handle_callback(self, request: CallbackRequest, lookup: AttemptLookup) -> CallbackOutcome:
        """The bank webhook: authenticated by HMAC or API key, then handed over as a transfer."""
        if self._webhook is None:
            raise DomainError("PAYMENT_PROVIDER_NOT_CONFIGURED", provider="bank")
        try:
            transfer = self._webhook.authenticate(request.headers, request.body)
        except WebhookRejected:
            return CallbackOutcome(CallbackAction.REJECT, "unauthenticated")
        except WebhookMalformed as exc:
            return CallbackOutcome(CallbackAction.REJECT, "malformed", detail=str(exc))
        return CallbackOutcome(CallbackAction.CREDIT, "transfer", transfer=transfer,
                               accounts=(self.account,) if self.account else ())

    def failure_answer(self, request: CallbackRequest) -> None:
        return None  # the bank retries a 5xx delivery; the transaction id keeps it once

    def query(self, attempt: AttemptRecord) -> TransactionStatus:
        raise DomainError("PAYMENT_NOT_REFUNDABLE")  # never called: queries is False

    def refund(self, attempt: AttemptRecord, *, actor: str) -> RefundOutcome:
        raise DomainError("PAYMENT_NOT_REFUNDABLE",
                          detail="bank transfers are returned by the cashier (method=manual)")

    def verify_return(self, params: Mapping[str, object]) -> ReturnInfo | None:
        return None  # no browser round trip

    def describe(self, code: str | None, lang: str) -> str:
        return code or ""
