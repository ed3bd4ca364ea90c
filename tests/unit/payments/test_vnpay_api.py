import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest

from backend.adapters.payments.vnpay import (
    VnpayFormatError,
    VnpayResponseError,
    build_querydr_request,
    build_refund_request,
    describe_api_result,
    describe_response_code,
    describe_transaction_status,
    parse_querydr_response,
    parse_refund_response,
    verify_request,
    verify_response,
)

SECRET = "APISECRET-0123456789abcdefghijkl"
GMT7 = timezone(timedelta(hours=7))
PAID_AT = datetime(2025, 1, 15, 9, 30, tzinfo=GMT7)
NOW = datetime(2025, 1, 15, 10, 0, tzinfo=GMT7)


def hmac512(data: str) -> str:
    return hmac.new(SECRET.encode(), data.encode(), hashlib.sha512).hexdigest()


def test_querydr_checksum_uses_spec_field_order():
    body = build_querydr_request(
        tmn_code="DEMO0001",
        secret=SECRET,
        request_id="req1",
        txn_ref="KIOSK1",
        transaction_date=PAID_AT,
        create_date=NOW,
        ip_addr="10.0.0.5",
        order_info="Truy vấn giao dịch KIOSK1",
        transaction_no="14422574",
    )
    expected = "req1|2.1.0|querydr|DEMO0001|KIOSK1|20250115093000|20250115100000|10.0.0.5|Truy van giao dich KIOSK1"
    assert body["vnp_SecureHash"] == hmac512(expected)
    assert body["vnp_TransactionNo"] == "14422574"
    assert verify_request(body, SECRET)
    assert not verify_request(dict(body, vnp_TxnRef="KIOSK2"), SECRET)


@pytest.mark.parametrize("full,kind,amount", [(True, "02", 150_000), (False, "03", 50_000)])
def test_refund_checksum_uses_spec_field_order(full, kind, amount):
    body = build_refund_request(
        tmn_code="DEMO0001",
        secret=SECRET,
        request_id="req2",
        txn_ref="KIOSK1",
        amount=amount,
        full=full,
        transaction_no=None,
        transaction_date=PAID_AT,
        create_by="thungan01",
        create_date=NOW,
        ip_addr="10.0.0.5",
        order_info="Hoan tien KIOSK1",
    )
    expected = (
        f"req2|2.1.0|refund|DEMO0001|{kind}|KIOSK1|{amount * 100}|0|20250115093000|thungan01|"
        "20250115100000|10.0.0.5|Hoan tien KIOSK1"
    )
    assert body["vnp_SecureHash"] == hmac512(expected)
    assert body["vnp_Amount"] == str(amount * 100) and body["vnp_TransactionType"] == kind
    assert verify_request(body, SECRET)
    assert not verify_request(dict(body, vnp_Amount="1"), SECRET)


@pytest.mark.parametrize(
    "change,message",
    [(dict(amount=0), "positive"), (dict(create_by=""), "create_by"), (dict(request_id="x" * 33), "request id")],
)
def test_refund_request_validation(change, message):
    args = dict(
        tmn_code="DEMO0001", secret=SECRET, request_id="r", txn_ref="K", amount=1000, full=True,
        transaction_no="1", transaction_date=PAID_AT, create_by="a", create_date=NOW, ip_addr="1.1.1.1",
        order_info="x",
    )  # fmt: skip
    args.update(change)
    with pytest.raises(VnpayFormatError, match=message):
        build_refund_request(**args)


def querydr_answer(**overrides):
    body = {
        "vnp_ResponseId": "resp1",
        "vnp_Command": "querydr",
        "vnp_ResponseCode": "00",
        "vnp_Message": "QueryDR Success",
        "vnp_TmnCode": "DEMO0001",
        "vnp_TxnRef": "KIOSK1",
        "vnp_Amount": "15000000",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20250115093512",
        "vnp_TransactionNo": "14422574",
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": "00",
        "vnp_OrderInfo": "Thanh toan",
        "vnp_PromotionCode": "",
        "vnp_PromotionAmount": "",
    }
    body.update(overrides)
    order = [
        "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef",
        "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType",
        "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode", "vnp_PromotionAmount",
    ]  # fmt: skip
    body["vnp_SecureHash"] = hmac512("|".join(body[k] for k in order))
    return body


def test_signed_querydr_answer_parses():
    result = parse_querydr_response(querydr_answer(), SECRET)
    assert result.found and result.paid and result.signed
    assert result.amount == 150_000 and result.transaction_no == "14422574"
    assert result.pay_date == datetime(2025, 1, 15, 9, 35, 12, tzinfo=GMT7)


def test_querydr_answer_pending_is_found_but_not_paid():
    result = parse_querydr_response(querydr_answer(vnp_TransactionStatus="01"), SECRET)
    assert result.found and not result.paid


def test_tampered_or_unsigned_success_answer_is_rejected():
    answer = querydr_answer()
    answer["vnp_TransactionStatus"] = "02"
    with pytest.raises(VnpayResponseError):
        parse_querydr_response(answer, SECRET)
    unsigned = querydr_answer()
    del unsigned["vnp_SecureHash"]
    with pytest.raises(VnpayResponseError):
        parse_querydr_response(unsigned, SECRET)
    with pytest.raises(VnpayResponseError):
        parse_querydr_response(querydr_answer(vnp_Command="refund"), SECRET)
    with pytest.raises(VnpayResponseError):
        parse_querydr_response({"vnp_Message": "?"}, SECRET)


def test_unsigned_error_answer_is_accepted_but_marked_unsigned():
    result = parse_querydr_response({"vnp_ResponseCode": "97", "vnp_Message": "Invalid checksum"}, SECRET)
    assert result.response_code == "97" and not result.found and not result.signed


def test_refund_answer_uses_the_13_field_order():
    order = [
        "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef",
        "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType",
        "vnp_TransactionStatus", "vnp_OrderInfo",
    ]  # fmt: skip
    body = {key: "" for key in order}
    body.update(
        vnp_ResponseId="r9", vnp_Command="refund", vnp_ResponseCode="00", vnp_Message="Refund success",
        vnp_TmnCode="DEMO0001", vnp_TxnRef="KIOSK1", vnp_Amount="5000000", vnp_TransactionNo="14422574",
        vnp_TransactionType="03", vnp_TransactionStatus="05",
    )  # fmt: skip
    body["vnp_SecureHash"] = hmac512("|".join(body[k] for k in order))
    assert verify_response(body, SECRET)
    result = parse_refund_response(body, SECRET)
    assert result.accepted and result.amount == 50_000 and result.transaction_status == "05"


def test_code_descriptions_are_vietnamese_first_with_english():
    assert describe_response_code("24") == "Khách hàng huỷ giao dịch"
    assert describe_response_code("24", "en") == "Customer cancelled the transaction"
    assert describe_response_code("51", "en") == "Insufficient balance"
    assert describe_transaction_status("05", "en") == "Refund being processed by VNPAY"
    assert describe_api_result("94", "en") == "Duplicate request"
    assert describe_response_code("42", "en") == "Unknown code"
