"""A brand-name SMS gateway over HTTP.

Wire format (JSON over HTTPS; most Vietnamese aggregators take something very close, and a
provider-specific adapter fits behind the same port when one does not):

    POST <SMS_GATEWAY_URL>
    Authorization: Bearer <SMS_GATEWAY_KEY>
    X-Request-Id: <our message ref>            (the gateway de-duplicates retries on it)
    {"to": "84912345678", "brandname": "BV SONG CAU", "type": "otp" | "cskh",
     "message": "<text>", "ref": "<our message ref>"}

    2xx {"id": "<gateway message id>"}         accepted
    4xx                                        refused for good (NotifyRejected)
    5xx, timeout, connection error             try again later (NotifyUnavailable)

Brand-name routes often carry only unaccented text (GSM 7-bit; Vietnamese with diacritics is UCS-2
and costs twice the segments); `ascii_only` strips the marks (đ → d) just before sending.
"""
import logging

import requests

from ...domain.diacritics import strip_diacritics
from ...domain.otp import mask_phone
from ...services.ports.notify import NotifyRejected, NotifyUnavailable, SmsMessage
from ..http_session import outbound_session

log = logging.getLogger("tiepdon.sms")


class HttpSmsGateway:
    def __init__(self, url: str, api_key: str, brand_name: str, *, ascii_only: bool = False,
                 connect_timeout: float = 2.0, read_timeout: float = 5.0):
        self.url = url
        self._key = api_key
        self.brand_name = brand_name
        self.ascii_only = ascii_only
        self._timeout = (connect_timeout, read_timeout)
        self._session = outbound_session(url)

    def __repr__(self) -> str:  # the key must never reach a log or a traceback
        return f"HttpSmsGateway(url={self.url!r}, brand_name={self.brand_name!r})"

    def send_sms(self, message: SmsMessage) -> str:
        text = strip_diacritics(message.text) if self.ascii_only else message.text
        body = {"to": message.to.lstrip("+"), "brandname": self.brand_name,
                "type": "otp" if message.kind == "otp" else "cskh", "message": text, "ref": message.ref}
        headers = {"Authorization": f"Bearer {self._key}", "X-Request-Id": message.ref}
        try:
            resp = self._session.post(self.url, json=body, headers=headers, timeout=self._timeout)
        except requests.Timeout:
            raise NotifyUnavailable("timeout") from None
        except requests.RequestException:
            raise NotifyUnavailable("connection") from None
        if resp.status_code >= 500:
            raise NotifyUnavailable(f"http_{resp.status_code}")
        if resp.status_code >= 400:
            log.warning("sms refused to=%s kind=%s http=%s", mask_phone(message.to), message.kind,
                        resp.status_code)
            raise NotifyRejected(f"http_{resp.status_code}")
        try:
            answer = resp.json()
        except ValueError:
            raise NotifyUnavailable("bad_answer") from None
        gateway_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(gateway_id, str) or not gateway_id:
            raise NotifyUnavailable("bad_answer")
        log.info("sms sent to=%s kind=%s ref=%s", mask_phone(message.to), message.kind, message.ref)
        return gateway_id
