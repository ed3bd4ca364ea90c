"""Ports for cashless payment: what services need from VNPay, the bank webhook and QR rendering.

Concrete adapters live in backend/adapters/payments; simulators speaking the same wire formats in
backend/simulators. The errors here are what the API layer maps to problem responses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from backend.domain.payments.invoice_view import InvoiceView
from backend.domain.payments.transfer_matching import BankTransfer
from backend.adapters.payments.vnpay.api import QueryDrResult, RefundResult
from backend.adapters.payments.vnpay.ipn import InvoiceLookup, IpnOutcome


class PaymentGatewayError(Exception):
    """A payment provider call did not give a usable answer."""


class PaymentGatewayUnavailable(PaymentGatewayError):
    """Network error, timeout or 5xx: nothing is known, try again later (reason code PAYMENT_GATEWAY_UNAVAILABLE)."""


class PaymentGatewayResponseInvalid(PaymentGatewayError):
    """The provider answered, but the answer is unsigned, wrongly signed or unreadable: do not act on it."""


class WebhookRejected(Exception):
    """A bank webhook failed authentication (answer 401; never say which check failed)."""


class WebhookMalformed(Exception):
    """A bank webhook authenticated but its body is not a valid transfer notification (answer 400)."""


class VnpayGateway(Protocol):
    def payment_url(
        self,
        *,
        txn_ref: str,
        amount: int,
        order_info: str,
        ip_addr: str,
        created_at: datetime,
        expires_at: datetime,
        bank_code: str | None = None,
        locale: str = "vn",
    ) -> str: ...

    def verify_return(self, params: Mapping[str, object]) -> bool: ...

    def classify_ipn(
        self, params: Mapping[str, object], invoice: InvoiceView | None | InvoiceLookup
    ) -> IpnOutcome: ...

    def querydr(
        self,
        *,
        txn_ref: str,
        transaction_date: datetime,
        order_info: str | None = None,
        transaction_no: str | None = None,
    ) -> QueryDrResult: ...

    def refund(
        self,
        *,
        txn_ref: str,
        amount: int,
        full: bool,
        transaction_no: str | None,
        transaction_date: datetime,
        create_by: str,
        order_info: str | None = None,
    ) -> RefundResult: ...


class BankWebhookAuthenticator(Protocol):
    def authenticate(self, headers: Mapping[str, str], raw_body: bytes) -> BankTransfer:
        """Return the transfer, or raise WebhookRejected / WebhookMalformed."""
        ...


class QrRenderer(Protocol):
    def png(self, payload: str) -> bytes: ...

    def svg(self, payload: str) -> str: ...
