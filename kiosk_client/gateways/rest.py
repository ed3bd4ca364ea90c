"""REST client for the kiosk: device token, Accept-Language, problem+json turned into exceptions.

Two kinds of failure reach the flow, because it reacts to them differently:
``Problem`` — the backend answered and refused (a stable ``code``, API.md); ``Offline`` — no usable
answer at all (connection refused, timeout, a proxy's HTML error page), so the kiosk shows the
offline screen and retries. Nothing here logs request bodies: they carry card data.
"""
from __future__ import annotations

import logging
from typing import Any

import requests

log = logging.getLogger("kiosk.rest")


class BackendError(Exception):
    pass


class Offline(BackendError):
    """The backend could not be reached or gave no answer we can read."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Problem(BackendError):
    """An RFC 9457 answer: the request reached the backend and was refused."""

    def __init__(self, code: str, status: int, title: str = "", detail: str = "",
                 retry_after: float | None = None, body: dict | None = None):
        super().__init__(code)
        self.code, self.status, self.title, self.detail = code, status, title, detail
        self.retry_after = retry_after
        self.body = body or {}

    def __repr__(self) -> str:
        return f"Problem({self.code!r}, {self.status})"


class RestGateway:
    def __init__(self, base_url: str, token: str, *, connect_timeout_s: float = 3.0,
                 read_timeout_s: float = 10.0, app_version: str = "", session=None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.app_version = app_version
        self.http = session or requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.http.headers["User-Agent"] = f"tiepdon-kiosk/{app_version or 'dev'}"

    # --- the routes the kiosk uses (API.md) -----------------------------------------------------
    def services(self, lang: str = "vi") -> dict:
        return self._call("GET", "/api/v1/services", lang=lang)

    def identify(self, payload: dict, lang: str = "vi") -> dict:
        return self._call("POST", "/api/v1/kiosk/identify", json=payload, lang=lang)

    def create_ticket(self, body: dict, idempotency_key: str, lang: str = "vi") -> dict:
        return self._call("POST", "/api/v1/tickets", json=body, lang=lang,
                          headers={"Idempotency-Key": idempotency_key})

    def ticket(self, ticket_id: str, token: str, lang: str = "vi") -> dict:
        return self._call("GET", f"/api/v1/tickets/{ticket_id}", params={"token": token}, lang=lang)

    def cancel_ticket(self, ticket_id: str, token: str, lang: str = "vi") -> dict:
        return self._call("POST", f"/api/v1/tickets/{ticket_id}/cancel", params={"token": token},
                          lang=lang)

    def invoice(self, invoice_id: str, lang: str = "vi") -> dict:
        return self._call("GET", f"/api/v1/invoices/{invoice_id}", lang=lang)

    def vnpay(self, invoice_id: str, lang: str = "vi") -> dict:
        return self._call("POST", f"/api/v1/invoices/{invoice_id}/vnpay", json={}, lang=lang)

    def vietqr(self, invoice_id: str, lang: str = "vi") -> dict:
        return self._call("POST", f"/api/v1/invoices/{invoice_id}/vietqr", json={}, lang=lang)

    def pay(self, invoice_id: str, method: str, lang: str = "vi") -> dict:
        return self._call("POST", f"/api/v1/invoices/{invoice_id}/pay", json={"method": method}, lang=lang)

    def pay_at_cashier(self, invoice_id: str, lang: str = "vi") -> dict:
        return self._call("POST", f"/api/v1/invoices/{invoice_id}/pay-at-cashier", json={}, lang=lang)

    def check_in_appointment(self, appointment_id: str, qr: str, lang: str = "vi") -> dict:
        return self._call("POST", f"/api/v1/appointments/{appointment_id}/check-in", json={"qr": qr},
                          lang=lang)

    def heartbeat(self, printer_status: str, lang: str = "vi") -> dict:
        return self._call("POST", "/api/v1/devices/heartbeat",
                          json={"printer_status": printer_status, "app_version": self.app_version},
                          lang=lang)

    # --- plumbing --------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, lang: str, json: Any = None, params=None,
              headers: dict | None = None) -> dict:
        hdrs = {"Accept-Language": lang, "Accept": "application/json"}
        hdrs.update(headers or {})
        try:
            resp = self.http.request(method, self.base_url + path, json=json, params=params,
                                     headers=hdrs, timeout=self.timeout)
        except requests.Timeout:
            raise Offline("timeout") from None
        except requests.RequestException as exc:
            raise Offline(type(exc).__name__) from None
        if 200 <= resp.status_code < 300:
            if resp.status_code == 204 or not resp.content:
                return {}
            try:
                return resp.json()
            except ValueError:
                raise Offline("bad_json") from None
        raise self._problem(resp)

    @staticmethod
    def _problem(resp) -> BackendError:
        body = None
        if "json" in resp.headers.get("Content-Type", ""):
            try:
                body = resp.json()
            except ValueError:
                body = None
        if not isinstance(body, dict) or not body.get("code"):
            # A proxy or a dying server: nothing the patient can act on, so treat it as offline.
            log.warning("backend answered %s without a problem document", resp.status_code)
            return Offline(f"http_{resp.status_code}")
        retry_after = None
        raw = resp.headers.get("Retry-After")
        if raw:
            try:
                retry_after = float(raw)
            except ValueError:
                retry_after = None
        log.info("backend refused: %s (%s)", body["code"], resp.status_code)
        return Problem(body["code"], resp.status_code, body.get("title", ""), body.get("detail", ""),
                       retry_after, body)
