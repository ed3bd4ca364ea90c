"""Ports for cashless payment: the PaymentProvider every payment method implements, the registry the
payment service finds them in, and the QR renderer.

Concrete providers live in backend/adapters/payments/<method>/ (one package each) and are built in
backend/bootstrap.py; simulators speaking the same wire formats in backend/simulators. The errors
here are what the API layer maps to problem responses. docs/payments.md "Adding a payment method"
walks through a new provider.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from backend.domain.errors import DomainError
from backend.domain.invoices import Invoice
from backend.domain.payments.invoice_view import InvoiceView
from backend.domain.payments.transfer_matching import BankTransfer


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


# -- what flows through the port --------------------------------------------------------------


class Confirmation(StrEnum):
    """How a provider tells us that money moved.

    ATTEMPT   we open a payment attempt (txn_ref) before the payer pays; callbacks and queries
              name that attempt (VNPay, e-wallets, card gateways)
    TRANSFER  the payer pushes money carrying the invoice's reference; a notification of the
              transfer is matched to the invoice by the domain's matching policy (VietQR)
    """

    ATTEMPT = "attempt"
    TRANSFER = "transfer"


class AttemptRecord(Protocol):
    """The stored payment attempt a provider may need (a payment_attempts row)."""

    txn_ref: str
    amount: int
    created_at: datetime
    expires_at: datetime
    ip_addr: str | None
    bank_code: str | None
    locale: str | None
    transaction_no: str | None


@dataclass(frozen=True)
class StartOptions:
    """The payer's choices, validated by the provider (stored on the attempt; an open attempt with
    the same options is reused)."""

    bank_code: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class AccountFields:
    """What a payer types into a banking app when not scanning."""

    bank_bin: str
    bank_name: str | None
    account: str
    account_name: str | None
    reference: str


@dataclass(frozen=True)
class PayerInstructions:
    """What the payer needs: a URL to open, a QR payload to scan, account fields to type (any of)."""

    url: str | None = None
    qr_payload: str | None = None
    account: AccountFields | None = None


@dataclass(frozen=True)
class PaymentResult:
    """A provider's final word on one attempt, from a callback or a query."""

    paid: bool
    transaction_no: str | None = None
    pay_bank_code: str | None = None
    pay_date: datetime | None = None
    response_code: str | None = None
    transaction_status: str | None = None


class CallbackAction(StrEnum):
    CREDIT = "credit"  # record it: a final result for an attempt, or money to match to an invoice
    IGNORE = "ignore"  # authentic, nothing to record (unknown order, wrong amount, already confirmed)
    REJECT = "reject"  # not authentic or not readable: change nothing


@dataclass(frozen=True)
class CallbackRequest:
    """A provider's call to us, whatever its shape (query string, headers + raw body)."""

    params: Mapping[str, object] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class CallbackOutcome:
    """What a callback means. `reason` is a stable snake_case code for logs and the route;
    `answer` is what the provider expects back, if it prescribes one (VNPay: RspCode/Message)."""

    action: CallbackAction
    reason: str
    answer: Mapping[str, str] | None = None
    txn_ref: str | None = None
    result: PaymentResult | None = None  # CREDIT of an attempt
    transfer: BankTransfer | None = None  # CREDIT by transfer
    accounts: tuple[str, ...] = ()  # CREDIT by transfer: our accounts the money must have reached
    detail: str | None = None  # REJECT: what was wrong, safe to show the caller
    code: str | None = None  # the provider's own answer code, for logs (VNPay: RspCode)


# Opens the write transaction and returns the facts about the attempt `txn_ref` (None: unknown).
AttemptLookup = Callable[[str, "datetime | None"], "InvoiceView | None"]


@dataclass(frozen=True)
class TransactionStatus:
    """The provider's answer to "what happened to this attempt?" (querydr and the like)."""

    final: bool  # a final answer we may record; otherwise leave the attempt pending
    result: PaymentResult
    amount: int | None = None


@dataclass(frozen=True)
class RefundOutcome:
    accepted: bool
    code: str | None = None
    detail: str | None = None  # English, for the problem's detail
    extensions: Mapping[str, str | None] = field(default_factory=dict)  # extra problem members


@dataclass(frozen=True)
class ReturnInfo:
    """What a payer's browser brings back from the provider's page: display only, never recorded."""

    txn_ref: str | None
    response_code: str | None
    reported_paid: bool


@runtime_checkable
class PaymentProvider(Protocol):
    """One payment method. Wire formats stay inside the provider; the service keeps the money rules."""

    method: str  # the registry key, the route's name, what invoices record as their provider (<= 16 chars)
    label_vi: str  # what payers read on the kiosk's method buttons
    label_en: str
    confirmation: Confirmation
    min_amount: int  # smaller invoices cannot be paid this way (PAYMENT_AMOUNT_INVALID)
    refunds: bool  # can give money back itself (refund method=gateway)
    queries: bool  # can be asked about an attempt whose callback never came

    @property
    def configured(self) -> bool:
        """Can take payments now (offered to kiosks, reported by the health probe)."""
        ...

    def health(self) -> dict[str, str]:
        """Entries for GET /health's payments section, e.g. {"vnpay": "configured"}."""
        ...

    def options(self, raw: Mapping[str, object]) -> StartOptions:
        """Validate the payer's choices; raise DomainError VALIDATION_ERROR (field=...) or
        PAYMENT_PROVIDER_NOT_CONFIGURED."""
        ...

    def instructions(self, invoice: Invoice, attempt: AttemptRecord | None) -> PayerInstructions:
        """What the payer needs for `invoice` (and the open attempt, for ATTEMPT providers).
        Deterministic in its inputs: a retried request gets the very same answer back."""
        ...

    def handle_callback(self, request: CallbackRequest, lookup: AttemptLookup) -> CallbackOutcome:
        """Authenticate and classify a callback. ATTEMPT providers call `lookup(txn_ref, reported
        pay date)` once the call is authentic; it opens the write transaction."""
        ...

    def failure_answer(self, request: CallbackRequest) -> CallbackOutcome | None:
        """What to answer when recording failed unexpectedly (None: let the error propagate)."""
        ...

    def query(self, attempt: AttemptRecord) -> TransactionStatus:
        """Ask about an attempt; raise PaymentGatewayUnavailable / PaymentGatewayError."""
        ...

    def refund(self, attempt: AttemptRecord, *, actor: str) -> RefundOutcome:
        """Give the attempt's whole amount back; raise PaymentGatewayUnavailable / PaymentGatewayError."""
        ...

    def verify_return(self, params: Mapping[str, object]) -> ReturnInfo | None:
        """The payer's browser return, or None when it is not authentic."""
        ...

    def describe(self, code: str | None, lang: str) -> str:
        """A provider result code in words (lang vi or en)."""
        ...


class ProviderRegistry:
    """Payment providers by method name, in the order they are offered to payers."""

    def __init__(self, providers: list[PaymentProvider] | tuple[PaymentProvider, ...] = ()):
        self._by_method: dict[str, PaymentProvider] = {}
        for provider in providers:
            self.register(provider)

    def register(self, provider: PaymentProvider) -> None:
        if provider.method in self._by_method:
            raise ValueError(f"payment method {provider.method!r} registered twice")
        self._by_method[provider.method] = provider

    def find(self, method: str | None) -> PaymentProvider | None:
        return self._by_method.get(method) if method else None

    def get(self, method: str) -> PaymentProvider:
        provider = self._by_method.get(method)
        if provider is None:
            raise DomainError("PAYMENT_PROVIDER_NOT_CONFIGURED", provider=method)
        return provider

    def offered(self) -> list[str]:
        return [m for m, p in self._by_method.items() if p.configured]

    def __iter__(self) -> Iterator[PaymentProvider]:
        return iter(self._by_method.values())

    def __contains__(self, method: object) -> bool:
        return method in self._by_method


class QrRenderer(Protocol):
    def png(self, payload: str) -> bytes: ...

    def svg(self, payload: str) -> str: ...
