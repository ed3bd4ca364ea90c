import hashlib
import hmac
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from backend.adapters.payments import vnpay
from backend.adapters.payments.vnpay import (
    VnpayFormatError,
    VnpayPaymentRequest,
    build_payment_url,
    format_vnp_datetime,
    from_vnp_amount,
    parse_vnp_datetime,
    payment_params,
    payment_url,
    sanitize_order_info,
    sign_params,
    signing_data,
    to_vnp_amount,
    verify_signature,
)

SECRET = "TESTSECRET0123456789ABCDEFGHIJKL"
SPEC_DATA = (
    "vnp_Amount=15000000&vnp_BankCode=VNPAYQR&vnp_Command=pay&vnp_CreateDate=20250115093000&vnp_CurrCode=VND"
    "&vnp_ExpireDate=20250115094500&vnp_IpAddr=127.0.0.1&vnp_Locale=vn"
    "&vnp_OrderInfo=Thanh+toan+vien+phi+HS+123456&vnp_OrderType=billpayment"
    "&vnp_ReturnUrl=https%3A%2F%2Fkiosk.example.vn%2Fvnpay%2Freturn&vnp_TmnCode=DEMO0001"
    "&vnp_TxnRef=KIOSK20250115093000001&vnp_Version=2.1.0"
)
SPEC_HASH = (
    "4b3d2416d067151cedf091c781373d4dd41e34c0e71df69f5c30053647b78e46"
    "a12e59c2324266305da65b470bf3af3ceaa5053c936705a67f43ce3e62aaceef"
)
GMT7 = timezone(timedelta(hours=7))
SPEC_REQUEST = VnpayPaymentRequest(
    tmn_code="DEMO0001",
    amount=150_000,
    txn_ref="KIOSK20250115093000001",
    order_info="Thanh toán viện phí HS 123456",
    return_url="https://kiosk.example.vn/vnpay/return",
    ip_addr="127.0.0.1",
    # Given in UTC on purpose: formatting must convert to GMT+7.
    created_at=datetime(2025, 1, 15, 2, 30, tzinfo=timezone.utc),
    expires_at=datetime(2025, 1, 15, 9, 45, tzinfo=GMT7),
    bank_code="VNPAYQR",
)


def test_spec_vector_signing_data_and_hash():
    params = payment_params(SPEC_REQUEST)
    assert signing_data(params) == SPEC_DATA
    assert sign_params(params, SECRET) == SPEC_HASH
    assert hmac.new(SECRET.encode(), SPEC_DATA.encode(), hashlib.sha512).hexdigest() == SPEC_HASH


def test_payment_url_is_base_plus_spec_data_plus_hash():
    url = payment_url("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html", SPEC_REQUEST, SECRET)
    assert url == f"https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?{SPEC_DATA}&vnp_SecureHash={SPEC_HASH}"


def test_url_round_trip_verifies_and_any_tampering_fails():
    url = payment_url("https://gw.example/pay", SPEC_REQUEST, SECRET)
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["vnp_OrderInfo"] == "Thanh toan vien phi HS 123456"
    assert verify_signature(params, SECRET)
    assert not verify_signature(params, SECRET + "x")
    for key in [k for k in params if k != "vnp_SecureHash"]:
        tampered = dict(params, **{key: params[key] + "0"})
        assert not verify_signature(tampered, SECRET), key


def test_signature_ignores_hash_type_and_empty_values_and_foreign_keys():
    params = payment_params(SPEC_REQUEST)
    noisy = dict(params, vnp_SecureHashType="HmacSHA512", vnp_Extra="", utm_source="kiosk")
    assert sign_params(noisy, SECRET) == SPEC_HASH


def test_verify_accepts_upper_case_hex_and_rejects_junk_without_raising():
    params = dict(payment_params(SPEC_REQUEST), vnp_SecureHash=SPEC_HASH.upper())
    assert verify_signature(params, SECRET)
    for junk in ["", "zz", "é" * 128, SPEC_HASH[:-1]]:
        assert not verify_signature(dict(params, vnp_SecureHash=junk), SECRET)
    assert not verify_signature(payment_params(SPEC_REQUEST), SECRET)


def test_repeated_parameter_is_rejected():
    params = MultiDict(payment_params(SPEC_REQUEST))
    params["vnp_SecureHash"] = SPEC_HASH
    assert verify_signature(params, SECRET)
    params.add("vnp_Amount", "100")
    assert not verify_signature(params, SECRET)


def test_build_payment_url_refuses_unsigned_extras():
    with pytest.raises(VnpayFormatError):
        build_payment_url("https://x/pay", {"vnp_Amount": "1", "utm": "x"}, SECRET)
    with pytest.raises(VnpayFormatError):
        build_payment_url("https://x/pay", {"vnp_Amount": "1", "vnp_SecureHash": "ab"}, SECRET)
    assert build_payment_url("https://x/pay?a=1", {"vnp_Amount": "1"}, SECRET).startswith("https://x/pay?a=1&vnp_Amount=1&")


def test_money_is_integer_vnd_times_100():
    assert to_vnp_amount(150_000) == "15000000"
    assert from_vnp_amount("15000000") == 150_000
    assert from_vnp_amount(15000000) == 150_000
    for bad in ["15000050", "1.5e7", "-100", "", None, "１００"]:
        with pytest.raises(VnpayFormatError):
            from_vnp_amount(bad)
    for bad in [True, 1.5, -1]:
        with pytest.raises(VnpayFormatError):
            to_vnp_amount(bad)


def test_dates_are_gmt7_and_naive_ones_are_refused():
    assert format_vnp_datetime(datetime(2025, 1, 14, 17, 0, 5, tzinfo=timezone.utc)) == "20250115000005"
    with pytest.raises(VnpayFormatError):
        format_vnp_datetime(datetime(2025, 1, 15, 9, 30))
    parsed = parse_vnp_datetime("20250115093000")
    assert parsed == datetime(2025, 1, 15, 2, 30, tzinfo=timezone.utc)
    assert parse_vnp_datetime("20240229235959") == datetime(2024, 2, 29, 16, 59, 59, tzinfo=timezone.utc)
    for bad in ["2025011509300", "20251315093000", "abcdefghijklmn", None, "20250229120000", "20250115240000",
                "20250115096000", "20250100093000", "٢٠٢٥٠١١٥٠٩٣٠٠٠"]:
        with pytest.raises(VnpayFormatError):
            parse_vnp_datetime(bad)


def test_order_info_sanitiser():
    assert sanitize_order_info("Thanh toán viện phí #123 & HS/456 (Đợt 1)") == "Thanh toan vien phi 123 HS 456 Dot 1"
    assert len(sanitize_order_info("a" * 400)) == 255
    with pytest.raises(VnpayFormatError):
        sanitize_order_info("###")


@given(st.text(min_size=1, max_size=300))
def test_order_info_sanitiser_only_emits_the_safe_alphabet(text):
    try:
        cleaned = sanitize_order_info(text)
    except VnpayFormatError:
        return
    assert re.fullmatch(r"[A-Za-z0-9 .,:_-]{1,255}", cleaned)
    assert cleaned == cleaned.strip() and "  " not in cleaned


@pytest.mark.parametrize(
    "change,message",
    [
        (dict(amount=4_999), "VNPay accepts"),
        (dict(amount=1_000_000_000), "VNPay accepts"),
        (dict(amount=150_000.0), "integer"),
        (dict(txn_ref="bad ref"), "txn_ref"),
        (dict(locale="fr"), "locale"),
        (dict(bank_code="VISA"), "bank_code"),
        (dict(expires_at=SPEC_REQUEST.created_at), "after"),
    ],
)
def test_payment_request_validation(change, message):
    from dataclasses import replace

    with pytest.raises(VnpayFormatError, match=message):
        payment_params(replace(SPEC_REQUEST, **change))


def test_facade_exports_the_public_api():
    for name in ["classify_ipn", "build_querydr_request", "build_refund_request", "describe_response_code"]:
        assert callable(getattr(vnpay, name))
