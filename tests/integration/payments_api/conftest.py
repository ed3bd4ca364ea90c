"""A real backend with payments configured, the VNPay and bank simulators, and signed callbacks.

Callbacks are built with the same wire-format functions the simulators use, signed with the
secret the backend is configured with, so the IPN route sees exactly what VNPay would send.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import create_engine, text

from backend.adapters.payments.vietqr.webhook import sign_webhook_body
from backend.adapters.payments.vnpay.signing import VNPAY_TZ, format_vnp_datetime, signed_query_string, to_vnp_amount
from tests.support.app import CONFIG, FixedClock, make_backend
from tests.support.wsgi import serve  # noqa: F401  (the fixture)

VNPAY_SECRET = "PAYTESTSECRET0123456789ABCDEFGHIJ"
TMN_CODE = "DEMO0001"
BANK_SECRET = "bank-webhook-secret-0123456789abcdef"
ACCOUNT = "1012345678"
FEE = 39_000  # KHAM-NOI self-pay fee in config/hospital.toml


def payment_config(tmp_path) -> str:
    """hospital.toml with Khám Nội's self-pay fee due before the call (the product default is after)."""
    source = open(CONFIG, encoding="utf-8").read()
    marker = 'code = "KHAM-NOI"\n'
    assert marker in source
    path = tmp_path / "hospital-pay-first.toml"
    path.write_text(source.replace(marker, marker + "payment_before_call = true\n"), encoding="utf-8")
    return str(path)


def payment_settings(**extra) -> dict:
    return {"vnpay_tmn_code": TMN_CODE, "vnpay_hash_secret": VNPAY_SECRET, "bank_webhook_secret": BANK_SECRET,
            "vnpay_payment_url": "http://vnpay.invalid/paymentv2/vpcpay.html",
            "vnpay_api_url": "http://vnpay.invalid/merchant_webapi/api/transaction", **extra}


def payment_backend(db_url, tmp_path, clock=None, **payments):
    return make_backend(db_url, clock=clock, config_path=payment_config(tmp_path),
                        payments=payment_settings(**payments))


@pytest.fixture
def clock():
    return FixedClock()


@pytest.fixture
def backend(db_url, tmp_path, clock):
    b = payment_backend(db_url, tmp_path, clock)
    yield b
    b.app.extensions["tiepdon"].engine.dispose()


@pytest.fixture
def sqlite_backend(sqlite_url, tmp_path, clock):
    b = payment_backend(sqlite_url, tmp_path, clock)
    yield b
    b.app.extensions["tiepdon"].engine.dispose()


def issue_self_pay(backend, service="KHAM-NOI") -> dict:
    r = backend.client().post("/api/v1/tickets", json={"service_code": service, "coverage": "self_pay"},
                              headers=backend.kiosk_headers())
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def start_vnpay(backend, invoice_id, **body) -> dict:
    r = backend.client().post(f"/api/v1/invoices/{invoice_id}/vnpay", json=body, headers=backend.kiosk_headers())
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def payment_url_params(payment_url: str) -> dict:
    return dict(parse_qsl(urlsplit(payment_url).query))


def ipn_query(txn_ref: str, amount: int, *, response_code="00", transaction_status="00",
              pay_date: datetime | None = None, transaction_no="14400001", secret=VNPAY_SECRET) -> str:
    """The query string VNPay puts on an IPN call (the simulator's result_params, signed)."""
    params = {
        "vnp_Amount": to_vnp_amount(amount),
        "vnp_BankCode": "VNPAYQR",
        "vnp_OrderInfo": f"Thanh toan vien phi {txn_ref}",
        "vnp_PayDate": format_vnp_datetime(pay_date or datetime.now(VNPAY_TZ)),
        "vnp_ResponseCode": response_code,
        "vnp_TmnCode": TMN_CODE,
        "vnp_TransactionNo": transaction_no if response_code == "00" else "0",
        "vnp_TransactionStatus": transaction_status,
        "vnp_TxnRef": txn_ref,
    }
    if response_code == "00":
        params["vnp_BankTranNo"] = f"VNP{transaction_no}"
        params["vnp_CardType"] = "QRCODE"
    return signed_query_string(params, secret)


def webhook_body(content: str, amount: int, transaction_id: str, account=ACCOUNT,
                 transferred_at="2026-11-23T09:05:00+07:00") -> bytes:
    import json

    return json.dumps({"transaction_id": transaction_id, "account": account, "amount": amount,
                       "content": content, "transferred_at": transferred_at, "bank_bin": "970436",
                       "sender_account": "0123456789", "sender_name": "NGUYEN VAN AN"},
                      ensure_ascii=False).encode()


def post_webhook(backend, raw: bytes, signature: str | None = None):
    headers = {"Content-Type": "application/json", "X-Signature": signature or sign_webhook_body(raw, BANK_SECRET)}
    return backend.client().post("/api/v1/payments/bank-webhook", data=raw, headers=headers)


def db_count(db_url: str, sql: str, **params) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()
    finally:
        engine.dispose()
