"""Authenticating and reading bank-transfer webhooks (bank or aggregator -> our webhook route).

Two schemes, chosen per deployment:
  hmac     header (default X-Signature) = hex HMAC-SHA256 of the raw request body with a shared
           secret; "sha256=<hex>" is accepted too. Proves the body was not altered.
  api_key  header (default X-API-Key) = a shared key. Only proves who sent it; use when the bank
           offers nothing better, and only over TLS.
Both compare in constant time. Replays are harmless because settlement is idempotent on the bank's
transaction id, so no timestamp window is enforced here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum

from backend.adapters import safe_json
from backend.domain.payments.transfer_matching import BankTransfer
from backend.domain.payments.timezones import VIETNAM_TZ
from backend.services.ports.payments import WebhookMalformed, WebhookRejected

MAX_BODY_BYTES = 64 * 1024
_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_ACCOUNT_RE = re.compile(r"[0-9A-Za-z]{1,19}")
_BIN_RE = re.compile(r"[0-9]{6}")
_CONTENT_MAX_LEN = 500
# EMVCo (VietQR) carries an amount in at most 13 characters; anything larger is not a real transfer
# (and would not fit the database's 64-bit integer either).
MAX_AMOUNT_VND = 9_999_999_999_999
# A transfer time no bank can report: refused rather than stored (and compared with invoice times).
_EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


class WebhookAuthMode(StrEnum):
    HMAC = "hmac"
    API_KEY = "api_key"


DEFAULT_HEADERS = {WebhookAuthMode.HMAC: "X-Signature", WebhookAuthMode.API_KEY: "X-API-Key"}


@dataclass(frozen=True)
class BankWebhookConfig:
    mode: WebhookAuthMode
    secret: str  # HMAC secret or API key; from the environment, never from a config file
    header: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", WebhookAuthMode(self.mode))
        # A short secret would make the HMAC or key guessable; refuse to run with one.
        if len(self.secret) < 16:
            raise ValueError("bank webhook secret must be at least 16 characters")

    @property
    def header_name(self) -> str:
        return self.header or DEFAULT_HEADERS[self.mode]


def sign_webhook_body(raw_body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Plain dicts are case-sensitive; HTTP header names are not.
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def authenticate_webhook(headers: Mapping[str, str], raw_body: bytes, config: BankWebhookConfig) -> None:
    """Raise WebhookRejected unless the request carries valid credentials for `config`."""
    presented = _header(headers, config.header_name)
    if not presented:
        raise WebhookRejected("missing credentials")
    presented_bytes = presented.strip().encode("utf-8")
    if config.mode is WebhookAuthMode.HMAC:
        if presented_bytes.lower().startswith(b"sha256="):
            presented_bytes = presented_bytes[len(b"sha256=") :]
        expected = sign_webhook_body(raw_body, config.secret).encode("ascii")
        ok = hmac.compare_digest(expected, presented_bytes.lower())
    else:
        ok = hmac.compare_digest(config.secret.encode("utf-8"), presented_bytes)
    if not ok:
        raise WebhookRejected("bad credentials")


def _required_text(body: Mapping[str, object], key: str, pattern: re.Pattern[str]) -> str:
    value = body.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and key == "transaction_id":
        # Some banks send numeric ids; the id is only ever compared as text.
        value = str(value)
    if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
        raise WebhookMalformed(f"{key} missing or malformed")
    return value.strip()


def _optional_text(body: Mapping[str, object], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise WebhookMalformed(f"{key} malformed")
    return value


def _amount(value: object) -> int:
    # Floats are refused outright: VND has no minor unit and 150000.0 hints at a unit mix-up.
    if isinstance(value, bool):
        raise WebhookMalformed("amount malformed")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 13:
        value = int(value)
    if not isinstance(value, int) or not 0 < value <= MAX_AMOUNT_VND:
        raise WebhookMalformed(f"amount must be a positive integer number of VND, at most {MAX_AMOUNT_VND}")
    return value


def _timestamp(value: object) -> datetime:
    if not isinstance(value, str):
        raise WebhookMalformed("transferred_at missing")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise WebhookMalformed("transferred_at is not ISO 8601") from exc
    if moment.tzinfo is None:
        # Vietnamese banks report local time without an offset; the country has a single zone.
        moment = moment.replace(tzinfo=VIETNAM_TZ)
    try:
        in_utc = moment.astimezone(timezone.utc)  # year 1 or 9999 with an offset overflows here
    except OverflowError as exc:
        raise WebhookMalformed("transferred_at out of range") from exc
    if not _EARLIEST <= in_utc < _LATEST:
        raise WebhookMalformed("transferred_at out of range")
    return moment


def parse_transfer_body(raw_body: bytes) -> BankTransfer:
    """{transaction_id, account, amount, content, transferred_at, bank_bin?, sender_account?, sender_name?}"""
    if len(raw_body) > MAX_BODY_BYTES:
        raise WebhookMalformed("body too large")
    try:
        body = safe_json.loads(raw_body)  # depth and number size bounded: never a RecursionError
    except ValueError as exc:
        raise WebhookMalformed("body is not UTF-8 JSON within limits") from exc
    if not isinstance(body, dict):
        raise WebhookMalformed("body is not a JSON object")
    content = body.get("content")
    if not isinstance(content, str) or len(content) > _CONTENT_MAX_LEN:
        raise WebhookMalformed("content missing or too long")
    bank_bin = _optional_text(body, "bank_bin")
    if bank_bin is not None and not _BIN_RE.fullmatch(bank_bin):
        raise WebhookMalformed("bank_bin malformed")
    return BankTransfer(
        transaction_id=_required_text(body, "transaction_id", _ID_RE),
        account=_required_text(body, "account", _ACCOUNT_RE),
        amount=_amount(body.get("amount")),
        content=content,
        transferred_at=_timestamp(body.get("transferred_at")),
        bank_bin=bank_bin,
        sender_account=_optional_text(body, "sender_account"),
        sender_name=_optional_text(body, "sender_name"),
    )


class BankWebhookVerifier:
    """BankWebhookAuthenticator port implementation: authenticate first, then parse."""

    def __init__(self, config: BankWebhookConfig):
        self._config = config

    @property
    def header_name(self) -> str:
        return self._config.header_name

    def authenticate(self, headers: Mapping[str, str], raw_body: bytes) -> BankTransfer:
        authenticate_webhook(headers, raw_body, self._config)
        return parse_transfer_body(raw_body)
