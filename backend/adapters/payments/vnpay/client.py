"""VNPay gateway adapter: signed payment URLs, IPN/return checks, and the merchant_webapi over HTTP.

Implements backend.services.ports.payments.VnpayGateway. The same class talks to the real sandbox
or to backend.simulators.vnpay; only the URLs differ.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

import requests

from backend.domain.payments.invoice_view import InvoiceView
from backend.adapters.payments.vnpay.api import (
    QueryDrResult,
    RefundResult,
    VnpayResponseError,
    build_querydr_request,
    build_refund_request,
    parse_querydr_response,
    parse_refund_response,
)
from backend.adapters.payments.vnpay.ipn import InvoiceLookup, IpnOutcome, classify_ipn
from backend.adapters.payments.vnpay.payment import VnpayPaymentRequest, payment_url
from backend.adapters.payments.vnpay.signing import VNPAY_TZ, verify_signature
from backend.services.ports.payments import PaymentGatewayResponseInvalid, PaymentGatewayUnavailable
from ...http_session import outbound_session

log = logging.getLogger(__name__)

SANDBOX_PAYMENT_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
SANDBOX_API_URL = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
# (connect, read): a reconciliation job must not hang a worker; VNPay answers in well under 10 s.
DEFAULT_TIMEOUT = (3.05, 10.0)


def _now_gmt7() -> datetime:
    return datetime.now(VNPAY_TZ)


def _new_request_id() -> str:
    return uuid.uuid4().hex  # 32 characters, VNPay's limit for vnp_RequestId


class VnpayClient:
    def __init__(
        self,
        *,
        tmn_code: str,
        hash_secret: str,
        return_url: str,
        server_ip: str,
        payment_base_url: str = SANDBOX_PAYMENT_URL,
        api_url: str = SANDBOX_API_URL,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] = _now_gmt7,
        new_request_id: Callable[[], str] = _new_request_id,
    ):
        self._tmn_code = tmn_code
        self._secret = hash_secret
        self._return_url = return_url
        self._server_ip = server_ip
        self._payment_base_url = payment_base_url
        self._api_url = api_url
        self._session = session or outbound_session(api_url)
        self._timeout = timeout
        self._clock = clock
        self._new_request_id = new_request_id

    def __repr__(self) -> str:
        return f"VnpayClient(tmn_code={self._tmn_code!r}, api_url={self._api_url!r})"

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
    ) -> str:
        request = VnpayPaymentRequest(
            tmn_code=self._tmn_code,
            amount=amount,
            txn_ref=txn_ref,
            order_info=order_info,
            return_url=self._return_url,
            ip_addr=ip_addr,
            created_at=created_at,
            expires_at=expires_at,
            locale=locale,
            bank_code=bank_code,
        )
        return payment_url(self._payment_base_url, request, self._secret)

    def verify_return(self, params: Mapping[str, object]) -> bool:
        return verify_signature(params, self._secret)

    def classify_ipn(
        self, params: Mapping[str, object], invoice: InvoiceView | None | InvoiceLookup
    ) -> IpnOutcome:
        return classify_ipn(params, self._secret, invoice)

    def querydr(
        self,
        *,
        txn_ref: str,
        transaction_date: datetime,
        order_info: str | None = None,
        transaction_no: str | None = None,
    ) -> QueryDrResult:
        body = build_querydr_request(
            tmn_code=self._tmn_code,
            secret=self._secret,
            request_id=self._new_request_id(),
            txn_ref=txn_ref,
            transaction_date=transaction_date,
            create_date=self._clock(),
            ip_addr=self._server_ip,
            order_info=order_info or f"Truy van giao dich {txn_ref}",
            transaction_no=transaction_no,
        )
        answer = self._post(body, txn_ref)
        try:
            result = parse_querydr_response(answer, self._secret)
        except VnpayResponseError as exc:
            log.warning("vnpay querydr answer rejected txn_ref=%s reason=%s", txn_ref, exc)
            raise PaymentGatewayResponseInvalid(str(exc)) from exc
        log.info(
            "vnpay querydr txn_ref=%s result=%s status=%s",
            txn_ref,
            result.response_code,
            result.transaction_status,
        )
        return result

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
    ) -> RefundResult:
        body = build_refund_request(
            tmn_code=self._tmn_code,
            secret=self._secret,
            request_id=self._new_request_id(),
            txn_ref=txn_ref,
            amount=amount,
            full=full,
            transaction_no=transaction_no,
            transaction_date=transaction_date,
            create_by=create_by,
            create_date=self._clock(),
            ip_addr=self._server_ip,
            order_info=order_info or f"Hoan tien giao dich {txn_ref}",
        )
        answer = self._post(body, txn_ref)
        try:
            result = parse_refund_response(answer, self._secret)
        except VnpayResponseError as exc:
            log.warning("vnpay refund answer rejected txn_ref=%s reason=%s", txn_ref, exc)
            raise PaymentGatewayResponseInvalid(str(exc)) from exc
        log.info("vnpay refund txn_ref=%s result=%s", txn_ref, result.response_code)
        return result

    def _post(self, body: dict[str, str], txn_ref: str) -> dict[str, object]:
        command = body["vnp_Command"]
        try:
            response = self._session.post(self._api_url, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            log.warning("vnpay %s unreachable txn_ref=%s error=%s", command, txn_ref, type(exc).__name__)
            raise PaymentGatewayUnavailable(f"VNPay {command} unreachable") from exc
        if response.status_code >= 500:
            log.warning("vnpay %s http=%s txn_ref=%s", command, response.status_code, txn_ref)
            raise PaymentGatewayUnavailable(f"VNPay {command} answered HTTP {response.status_code}")
        if response.status_code != 200:
            log.warning("vnpay %s http=%s txn_ref=%s", command, response.status_code, txn_ref)
            raise PaymentGatewayResponseInvalid(f"VNPay {command} answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise PaymentGatewayResponseInvalid(f"VNPay {command} answer is not JSON") from exc
        if not isinstance(answer, dict):
            raise PaymentGatewayResponseInvalid(f"VNPay {command} answer is not a JSON object")
        return answer
