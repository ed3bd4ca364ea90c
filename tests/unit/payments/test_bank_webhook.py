import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest

from backend.adapters.payments.vietqr.webhook import (
    BankWebhookConfig,
    BankWebhookVerifier,
    WebhookAuthMode,
    parse_transfer_body,
    sign_webhook_body,
)
from backend.services.ports.payments import WebhookMalformed, WebhookRejected

SECRET = "bank-webhook-secret-0123456789"
BODY = {
    "transaction_id": "FT25015000001",
    "account": "1012345678",
    "amount": 150000,
    "content": "MBVCB.1234.TD 7K3M 9QX2.CT tu 0123 NGUYỄN VĂN A",
    "transferred_at": "2025-01-15T09:31:00+07:00",
    "bank_bin": "970436",
    "sender_name": "NGUYỄN VĂN A",
}
RAW = json.dumps(BODY, ensure_ascii=False).encode()
HMAC_VERIFIER = BankWebhookVerifier(BankWebhookConfig(WebhookAuthMode.HMAC, SECRET))
KEY_VERIFIER = BankWebhookVerifier(BankWebhookConfig("api_key", SECRET, header="X-Bank-Key"))


def test_signature_is_hmac_sha256_of_the_raw_body():
    assert sign_webhook_body(RAW, SECRET) == hmac.new(SECRET.encode(), RAW, hashlib.sha256).hexdigest()


def test_valid_hmac_webhook_parses_into_a_transfer():
    transfer = HMAC_VERIFIER.authenticate({"X-Signature": sign_webhook_body(RAW, SECRET)}, RAW)
    assert transfer.transaction_id == "FT25015000001"
    assert transfer.amount == 150000 and isinstance(transfer.amount, int)
    assert transfer.account == "1012345678" and transfer.bank_bin == "970436"
    assert transfer.content == BODY["content"] and transfer.sender_name == "NGUYỄN VĂN A"
    assert transfer.transferred_at == datetime(2025, 1, 15, 2, 31, tzinfo=timezone.utc)


def test_header_name_is_case_insensitive_and_sha256_prefix_is_accepted():
    signature = "sha256=" + sign_webhook_body(RAW, SECRET).upper()
    assert HMAC_VERIFIER.authenticate({"x-signature": signature}, RAW).amount == 150000


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Signature": ""},
        {"X-Signature": sign_webhook_body(RAW, SECRET)[::-1]},
        {"X-Signature": sign_webhook_body(RAW, "another-secret-0123456789")},
        {"X-Signature": sign_webhook_body(RAW + b" ", SECRET)},
        {"X-Signature": "é" * 64},
        {"X-API-Key": SECRET},
    ],
)
def test_forged_or_missing_signature_is_rejected(headers):
    with pytest.raises(WebhookRejected):
        HMAC_VERIFIER.authenticate(headers, RAW)


def test_altered_body_with_original_signature_is_rejected():
    signature = sign_webhook_body(RAW, SECRET)
    altered = RAW.replace(b"150000", b"999999")
    with pytest.raises(WebhookRejected):
        HMAC_VERIFIER.authenticate({"X-Signature": signature}, altered)


def test_api_key_mode():
    assert KEY_VERIFIER.authenticate({"X-Bank-Key": SECRET}, RAW).amount == 150000
    for headers in [{"X-Bank-Key": SECRET + "x"}, {"X-Signature": sign_webhook_body(RAW, SECRET)}, {}]:
        with pytest.raises(WebhookRejected):
            KEY_VERIFIER.authenticate(headers, RAW)


def test_short_secret_is_refused_at_configuration():
    with pytest.raises(ValueError):
        BankWebhookConfig(WebhookAuthMode.HMAC, "short")


def body_with(**changes):
    body = dict(BODY)
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        body_with(amount=150000.0),
        body_with(amount=-5),
        body_with(amount=True),
        body_with(amount="150.000"),
        body_with(transaction_id=...),
        body_with(transaction_id=""),
        body_with(account="10 1234"),
        body_with(content=...),
        body_with(content=5),
        body_with(transferred_at="yesterday"),
        body_with(transferred_at=...),
        body_with(bank_bin="97043"),
        b"{" + b" " * 70_000 + b"}",
    ],
)
def test_malformed_bodies_are_rejected(raw):
    with pytest.raises(WebhookMalformed):
        parse_transfer_body(raw)


def test_malformed_body_is_only_reported_after_authentication():
    with pytest.raises(WebhookRejected):
        HMAC_VERIFIER.authenticate({"X-Signature": "00"}, b"not json")
    with pytest.raises(WebhookMalformed):
        HMAC_VERIFIER.authenticate({"X-Signature": sign_webhook_body(b"not json", SECRET)}, b"not json")


def test_numeric_ids_string_amounts_and_local_times_are_normalised():
    transfer = parse_transfer_body(body_with(transaction_id=123456, amount="150000", transferred_at="2025-01-15 09:31:00"))
    assert transfer.transaction_id == "123456" and transfer.amount == 150000
    assert transfer.transferred_at.utcoffset() == timedelta(hours=7)
