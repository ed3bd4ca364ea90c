import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from backend.adapters.payments.vnpay.client import VnpayClient
from backend.adapters.payments.vnpay import VNPAY_TZ, build_querydr_request, signing_data
from backend.services.ports.payments import PaymentGatewayUnavailable


def ipn_log(world, txn_ref):
    return requests.get(f"{world.sim_url}/_sim/ipn-log", params={"txn_ref": txn_ref}, timeout=5).json()


def wait_ipn_state(world, wait_until, txn_ref, state):
    """Wait until the simulator's IPN delivery for txn_ref reaches `state`; return the log."""
    return wait_until(lambda: (log := ipn_log(world, txn_ref))["states"].get(txn_ref) == state and log)


def pay(world, txn_ref, **extra):
    response = requests.post(f"{world.sim_url}/_sim/pay", json={"txn_ref": txn_ref, **extra}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def test_payment_page_then_pay_sends_a_signed_ipn_that_marks_the_invoice_paid(vnpay_world, wait_until):
    url, _ = vnpay_world.open_payment("KIOSK0001", 150_000)
    page = requests.get(url, timeout=5)
    assert page.status_code == 200
    assert "Thanh toán / Pay" in page.text and "Huỷ / Cancel" in page.text
    assert page.text.index("Thanh toán") < page.text.index("Pay")
    assert "150.000 ₫" in page.text

    paid = pay(vnpay_world, "KIOSK0001")
    assert paid["response_code"] == "00" and paid["transaction_status"] == "00"

    invoice = vnpay_world.state.vnpay_invoices["KIOSK0001"]
    wait_until(lambda: invoice.status == "paid")
    log = wait_ipn_state(vnpay_world, wait_until, "KIOSK0001", "confirmed")
    assert [(a["attempt"], a["rsp_code"]) for a in log["attempts"]] == [(1, "00")]
    assert vnpay_world.state.ipn_answers == [{"RspCode": "00", "Message": "Confirm Success"}]
    assert invoice.credits == 1

    # The browser's return URL is signed the same way and verifies with our client.
    return_params = dict(parse_qsl(urlsplit(paid["return_url"]).query))
    assert vnpay_world.client.verify_return(return_params)
    assert return_params["vnp_TransactionNo"] == paid["transaction_no"]
    assert requests.get(paid["return_url"], timeout=5).text == "Thanh toán thành công"


def test_ipn_is_retried_after_99_and_succeeds_once(vnpay_world, wait_until):
    url, _ = vnpay_world.open_payment("KIOSK0002", 80_000)
    requests.get(url, timeout=5)
    vnpay_world.state.fail_next_ipns = 1
    pay(vnpay_world, "KIOSK0002")
    log = wait_ipn_state(vnpay_world, wait_until, "KIOSK0002", "confirmed")
    assert [a["rsp_code"] for a in log["attempts"]] == ["99", "00"]
    assert vnpay_world.state.vnpay_invoices["KIOSK0002"].status == "paid"
    assert vnpay_world.state.vnpay_invoices["KIOSK0002"].credits == 1


def test_ipn_retries_are_bounded(vnpay_world, wait_until):
    url, _ = vnpay_world.open_payment("KIOSK0003", 80_000)
    requests.get(url, timeout=5)
    vnpay_world.state.fail_next_ipns = 100
    pay(vnpay_world, "KIOSK0003")
    log = wait_ipn_state(vnpay_world, wait_until, "KIOSK0003", "gave_up")
    assert [a["rsp_code"] for a in log["attempts"]] == ["99", "99", "99"]
    assert vnpay_world.state.vnpay_invoices["KIOSK0003"].status == "pending"


def test_replayed_ipn_gets_02_and_credits_nothing(vnpay_world, wait_until):
    url, _ = vnpay_world.open_payment("KIOSK0004", 80_000)
    requests.get(url, timeout=5)
    pay(vnpay_world, "KIOSK0004")
    wait_ipn_state(vnpay_world, wait_until, "KIOSK0004", "confirmed")
    assert requests.post(f"{vnpay_world.sim_url}/_sim/ipn/KIOSK0004/resend", timeout=5).status_code == 202
    log = wait_until(lambda: len((entry := ipn_log(vnpay_world, "KIOSK0004"))["attempts"]) == 2 and entry)
    assert [(a["rsp_code"], a["replay"]) for a in log["attempts"]] == [("00", False), ("02", True)]
    assert vnpay_world.state.vnpay_invoices["KIOSK0004"].credits == 1


@pytest.mark.parametrize("code", ["24", "51"])
def test_failed_payment_is_confirmed_but_invoice_not_paid(vnpay_world, wait_until, code):
    ref = f"KIOSKF{code}"
    url, _ = vnpay_world.open_payment(ref, 80_000)
    requests.get(url, timeout=5)
    result = pay(vnpay_world, ref, response_code=code)
    assert result["transaction_status"] == "02"
    wait_until(lambda: vnpay_world.state.vnpay_invoices[ref].status == "failed")
    assert vnpay_world.state.ipn_answers[-1]["RspCode"] == "00"
    assert vnpay_world.state.vnpay_invoices[ref].credits == 0


def test_browser_buttons_settle_and_redirect_to_a_signed_return_url(vnpay_world, wait_until):
    url, _ = vnpay_world.open_payment("KIOSK0005", 120_000)
    requests.get(url, timeout=5)
    response = requests.post(
        f"{vnpay_world.sim_url}/_sim/checkout/KIOSK0005", data={"action": "cancel"}, allow_redirects=False, timeout=5
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    params = dict(parse_qsl(urlsplit(location).query))
    assert location.startswith(vnpay_world.client._return_url)
    assert params["vnp_ResponseCode"] == "24" and vnpay_world.client.verify_return(params)
    wait_until(lambda: vnpay_world.state.vnpay_invoices["KIOSK0005"].status == "failed")


def test_late_payment_after_our_expiry_is_confirmed_and_flagged(vnpay_world, wait_until):
    url, _ = vnpay_world.open_payment("KIOSK0006", 80_000, invoice_expired=True)
    requests.get(url, timeout=5)
    pay(vnpay_world, "KIOSK0006")
    wait_until(lambda: vnpay_world.state.vnpay_invoices["KIOSK0006"].status == "needs_refund")
    assert vnpay_world.state.ipn_answers[-1]["RspCode"] == "00"


def test_payment_page_rejects_tampered_and_expired_urls(vnpay_world):
    url, _ = vnpay_world.open_payment("KIOSK0007", 80_000)
    tampered = url.replace("vnp_Amount=8000000", "vnp_Amount=100000")
    assert tampered != url
    response = requests.get(tampered, timeout=5)
    assert response.status_code == 400 and "97" in response.text
    expired_url, _ = vnpay_world.open_payment(
        "KIOSK0008", 80_000, created_ago=timedelta(minutes=20), expires_in=timedelta(minutes=15)
    )
    response = requests.get(expired_url, timeout=5)
    assert response.status_code == 410
    assert requests.post(f"{vnpay_world.sim_url}/_sim/pay", json={"txn_ref": "KIOSK0008"}, timeout=5).status_code == 404


def test_dropped_ipn_is_reconciled_with_querydr(vnpay_world, wait_until):
    requests.post(f"{vnpay_world.sim_url}/_sim/config", json={"drop_ipn": True}, timeout=5)
    url, created_at = vnpay_world.open_payment("KIOSK0009", 150_000)
    requests.get(url, timeout=5)
    before = vnpay_world.client.querydr(txn_ref="KIOSK0009", transaction_date=created_at)
    assert before.found and not before.paid and before.transaction_status == "01"
    paid = pay(vnpay_world, "KIOSK0009")
    assert ipn_log(vnpay_world, "KIOSK0009") == {"attempts": [], "states": {"KIOSK0009": "dropped"}}
    assert vnpay_world.state.vnpay_invoices["KIOSK0009"].status == "pending"

    result = vnpay_world.client.querydr(txn_ref="KIOSK0009", transaction_date=created_at)
    assert result.paid and result.signed
    assert result.amount == 150_000 and result.transaction_no == paid["transaction_no"]
    assert result.txn_ref == "KIOSK0009" and result.bank_code == "VNPAYQR"


def test_querydr_for_unknown_or_wrong_date_is_91(vnpay_world):
    url, created_at = vnpay_world.open_payment("KIOSK0010", 80_000)
    requests.get(url, timeout=5)
    assert vnpay_world.client.querydr(txn_ref="NOPE", transaction_date=created_at).response_code == "91"
    wrong_day = vnpay_world.client.querydr(txn_ref="KIOSK0010", transaction_date=created_at - timedelta(days=1))
    assert wrong_day.response_code == "91" and wrong_day.signed


def test_refunds_full_partial_and_refused(vnpay_world, wait_until):
    url, created_at = vnpay_world.open_payment("KIOSK0011", 150_000)
    requests.get(url, timeout=5)
    paid = pay(vnpay_world, "KIOSK0011")
    refund = dict(txn_ref="KIOSK0011", transaction_no=paid["transaction_no"], transaction_date=created_at, create_by="thungan01")

    too_big = vnpay_world.client.refund(amount=200_000, full=False, **refund)
    assert too_big.response_code == "95"
    partial = vnpay_world.client.refund(amount=50_000, full=False, **refund)
    assert partial.accepted and partial.amount == 50_000 and partial.transaction_type == "03" and partial.signed
    full_wrong_amount = vnpay_world.client.refund(amount=150_000, full=True, **refund)
    assert full_wrong_amount.response_code == "95"
    rest = vnpay_world.client.refund(amount=100_000, full=True, **refund)
    assert rest.accepted and rest.transaction_status == "05"
    assert vnpay_world.client.refund(amount=1_000, full=False, **refund).response_code == "95"
    assert vnpay_world.client.querydr(txn_ref="KIOSK0011", transaction_date=created_at).transaction_status == "05"


def test_refund_of_a_failed_payment_is_refused(vnpay_world):
    url, created_at = vnpay_world.open_payment("KIOSK0012", 80_000)
    requests.get(url, timeout=5)
    pay(vnpay_world, "KIOSK0012", response_code="24")
    result = vnpay_world.client.refund(
        txn_ref="KIOSK0012", amount=80_000, full=True, transaction_no=None, transaction_date=created_at, create_by="a"
    )
    assert result.response_code == "95"


def test_duplicate_request_id_is_94(vnpay_world):
    url, created_at = vnpay_world.open_payment("KIOSK0013", 80_000)
    requests.get(url, timeout=5)
    client = VnpayClient(
        tmn_code="DEMO0001",
        hash_secret=vnpay_world.secret,
        return_url="http://x/return",
        server_ip="10.0.0.2",
        api_url=f"{vnpay_world.sim_url}/merchant_webapi/api/transaction",
        new_request_id=lambda: "same-id-every-time",
    )
    assert client.querydr(txn_ref="KIOSK0013", transaction_date=created_at).response_code == "00"
    assert client.querydr(txn_ref="KIOSK0013", transaction_date=created_at).response_code == "94"


def test_wrong_tmn_code_and_wrong_secret(vnpay_world):
    url, created_at = vnpay_world.open_payment("KIOSK0014", 80_000)
    requests.get(url, timeout=5)
    common = dict(return_url="http://x/return", server_ip="10.0.0.2", api_url=f"{vnpay_world.sim_url}/merchant_webapi/api/transaction")
    other_tmn = VnpayClient(tmn_code="OTHER001", hash_secret=vnpay_world.secret, **common)
    assert other_tmn.querydr(txn_ref="KIOSK0014", transaction_date=created_at).response_code == "02"
    other_secret = VnpayClient(tmn_code="DEMO0001", hash_secret="X" * 32, **common)
    answer = other_secret.querydr(txn_ref="KIOSK0014", transaction_date=created_at)
    assert answer.response_code == "97" and not answer.signed


def test_simulator_checks_the_exact_pipe_order(vnpay_world):
    url, created_at = vnpay_world.open_payment("KIOSK0015", 80_000)
    requests.get(url, timeout=5)
    body = build_querydr_request(
        tmn_code="DEMO0001", secret=vnpay_world.secret, request_id="r-order", txn_ref="KIOSK0015",
        transaction_date=created_at, create_date=created_at, ip_addr="10.0.0.2", order_info="Kiem tra",
    )  # fmt: skip
    # Same values, '&'-joined query-string style instead of '|' in spec order: must be refused.
    body["vnp_SecureHash"] = hmac.new(
        vnpay_world.secret.encode(), signing_data(body).encode(), hashlib.sha512
    ).hexdigest()
    answer = requests.post(f"{vnpay_world.sim_url}/merchant_webapi/api/transaction", json=body, timeout=5).json()
    assert answer["vnp_ResponseCode"] == "97"
    malformed = requests.post(
        f"{vnpay_world.sim_url}/merchant_webapi/api/transaction", json={"vnp_Command": "querydr"}, timeout=5
    ).json()
    assert malformed["vnp_ResponseCode"] == "03"


def test_gateway_down_or_slow_raises_unavailable(vnpay_world):
    url, created_at = vnpay_world.open_payment("KIOSK0016", 80_000)
    requests.get(url, timeout=5)
    requests.post(f"{vnpay_world.sim_url}/_sim/config", json={"down": True}, timeout=5)
    with pytest.raises(PaymentGatewayUnavailable):
        vnpay_world.client.querydr(txn_ref="KIOSK0016", transaction_date=created_at)
    assert requests.get(url, timeout=5).status_code == 503
    requests.post(f"{vnpay_world.sim_url}/_sim/config", json={"down": False, "latency_ms": 600}, timeout=5)
    impatient = VnpayClient(
        tmn_code="DEMO0001", hash_secret=vnpay_world.secret, return_url="http://x/return", server_ip="10.0.0.2",
        api_url=f"{vnpay_world.sim_url}/merchant_webapi/api/transaction", timeout=(1.0, 0.2),
    )  # fmt: skip
    with pytest.raises(PaymentGatewayUnavailable):
        impatient.querydr(txn_ref="KIOSK0016", transaction_date=created_at)


def test_nothing_listening_raises_unavailable():
    client = VnpayClient(
        tmn_code="DEMO0001", hash_secret="X" * 32, return_url="http://x/return", server_ip="10.0.0.2",
        api_url="http://127.0.0.1:9/merchant_webapi/api/transaction", timeout=(0.5, 0.5),
    )  # fmt: skip
    with pytest.raises(PaymentGatewayUnavailable):
        client.querydr(txn_ref="X", transaction_date=datetime.now(VNPAY_TZ))


def test_demo_can_pay_straight_from_the_payment_url(vnpay_world, wait_until):
    url, _ = vnpay_world.open_payment("KIOSK0017", 80_000)
    tampered = url.replace("vnp_Amount=8000000", "vnp_Amount=100")
    rejected = requests.post(f"{vnpay_world.sim_url}/_sim/pay", json={"payment_url": tampered}, timeout=5)
    assert rejected.status_code == 400 and rejected.json()["code"] == "97"
    result = requests.post(f"{vnpay_world.sim_url}/_sim/pay", json={"payment_url": url}, timeout=5).json()
    assert result["txn_ref"] == "KIOSK0017" and result["response_code"] == "00"
    wait_until(lambda: vnpay_world.state.vnpay_invoices["KIOSK0017"].status == "paid")
