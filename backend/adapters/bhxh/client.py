"""Real client for the BHXH card-check gateway (specs/bhxh.md), implementing ``CardChecker``.

Wire format:
- ``POST /api/token/take`` (form: ``username``, ``password`` = UPPERCASE hex MD5) →
  ``{"maKetQua": "200", "APIKey": {"access_token", "id_token", "expires_in", …}}``;
- ``POST /api/egw/KQNhanLichSuKCB2024?token=&id_token=&username=&password=`` with JSON
  ``{maThe, hoTen, ngaySinh, hoTenCb, cccdCb}``; the look-up is attributed to the configured duty staff.

Behaviour:
- the token is cached (thread-safe) until ``token_refresh_margin_s`` before ``expires_in``;
- a 401 (HTTP status or ``maKetQua``) takes a new token once and retries once; a second 401 comes back
  as result code ``401`` (pending, alert IT) — so does a token take refused with 401 (wrong password);
- no answer (timeout, refused connection, 5xx, 408/429, unparsable body) raises ``BhxhUnavailable``,
  without the original exception attached: its text contains the URL and thus the credentials;
- logs carry only result codes, HTTP statuses and timings — never the card code, name, date of birth,
  staff identity, token or password.
"""

from __future__ import annotations

import hashlib
import logging
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import requests

from backend.adapters.bhxh.log_redaction import install_urllib3_redaction
from backend.adapters.bhxh.token_cache import FALLBACK_LIFETIME_S, AccessToken, TokenCache, parse_expiry
from backend.domain.bhyt_check import BhytCheckResult, interpret_check, normalise_result_code
from backend.services.ports.bhxh import BhxhUnavailable
from ..http_session import outbound_session

log = logging.getLogger(__name__)

TOKEN_PATH = "/api/token/take"
CHECK_PATH = "/api/egw/KQNhanLichSuKCB2024"
TOKEN_OK_CODE = "200"
UNAUTHORIZED_CODE = "401"
# Statuses that mean "try again later" rather than "your request is wrong".
_TRANSIENT_STATUSES = frozenset({408, 429})


def md5_upper(password: str) -> str:
    return hashlib.md5(password.encode("utf-8")).hexdigest().upper()


class _TokenRejected(Exception):
    """The gateway refused our account (401 on token take): configuration, not an outage."""


class BhxhClient:
    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        staff_name: str,
        staff_cccd: str,
        *,
        connect_timeout: float = 1.0,
        read_timeout: float = 2.0,
        token_refresh_margin_s: float = 30.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``password`` is the plain account password; only its MD5 goes on the wire."""
        self._base_url = base_url.rstrip("/")
        self._username = username
        self._password_md5 = md5_upper(password)
        self._staff_name = unicodedata.normalize("NFC", staff_name).strip()
        self._staff_cccd = staff_cccd.strip()
        self._timeout = (connect_timeout, read_timeout)
        # requests.Session is shared across threads; urllib3's pool is thread-safe for this use.
        self._session = session or outbound_session(self._base_url)
        self._clock = clock
        self._tokens = TokenCache(self._take_token, refresh_margin_s=token_refresh_margin_s, clock=clock)
        install_urllib3_redaction()

    def __repr__(self) -> str:
        return f"BhxhClient(base_url={self._base_url!r})"

    # --- CardChecker -------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Hold a valid token, taken ahead of time: the first patient of the day, and the first
        after each expiry, then do not wait for a token take on top of their card check."""
        try:
            self._tokens.get()
        except (_TokenRejected, BhxhUnavailable):
            pass  # a check will try again, and report, when a patient is there

    def check_card(self, card_code: str, full_name: str, dob_text: str) -> BhytCheckResult:
        started = time.monotonic()
        body = {
            "maThe": card_code.strip(),
            "hoTen": unicodedata.normalize("NFC", full_name).strip(),
            "ngaySinh": dob_text.strip(),
            "hoTenCb": self._staff_name,
            "cccdCb": self._staff_cccd,
        }
        try:
            answer = self._check_with_one_reauth(body)
        except _TokenRejected:
            log.warning("BHXH token take refused (401): check the gateway account configuration")
            answer = {"maKetQua": UNAUTHORIZED_CODE}
        except BhxhUnavailable as unavailable:
            log.warning(
                "BHXH card check unavailable: %s after %.0f ms",
                unavailable.reason,
                _elapsed_ms(started),
            )
            raise
        code = normalise_result_code(answer.get("maKetQua"))
        log.info("BHXH card check maKetQua=%s in %.0f ms", code or "<missing>", _elapsed_ms(started))
        return interpret_check(
            code,
            new_card_code=_text_or_none(answer.get("maTheMoi")),
            ma_dkbd=_text_or_none(answer.get("maDKBD")),
            holder_name=_text_or_none(answer.get("hoTen")),
            holder_dob=_text_or_none(answer.get("ngaySinh")),
        )

    # --- card check --------------------------------------------------------------------------------

    def _check_with_one_reauth(self, body: dict[str, str]) -> dict[str, Any]:
        token = self._tokens.get()
        status, answer = self._post_check(token, body)
        if _is_unauthorized(status, answer):
            log.info("BHXH answered 401: taking a new token and retrying once")
            self._tokens.invalidate(token)
            token = self._tokens.get()
            status, answer = self._post_check(token, body)
            if _is_unauthorized(status, answer):
                return {"maKetQua": UNAUTHORIZED_CODE}
        return answer

    def _post_check(self, token: AccessToken, body: dict[str, str]) -> tuple[int, dict[str, Any]]:
        params = {
            "token": token.access_token,
            "id_token": token.id_token,
            "username": self._username,
            "password": self._password_md5,
        }
        response = self._send(
            "check",
            lambda: self._session.post(
                self._base_url + CHECK_PATH, params=params, json=body, timeout=self._timeout
            ),
        )
        if response.status_code == 401:
            return 401, _json_or_empty(response)
        answer = _json_object(response)
        if answer is None:
            if 200 <= response.status_code < 300:
                raise BhxhUnavailable("bad_response")
            # A 4xx without a BHXH body (wrong URL, proxy page): surfaces as an unknown code → IT alert.
            return response.status_code, {"maKetQua": f"HTTP{response.status_code}"}
        return response.status_code, answer

    # --- token -------------------------------------------------------------------------------------

    def _take_token(self) -> AccessToken:
        started = time.monotonic()
        response = self._send(
            "token",
            lambda: self._session.post(
                self._base_url + TOKEN_PATH,
                data={"username": self._username, "password": self._password_md5},
                timeout=self._timeout,
            ),
        )
        answer = _json_or_empty(response)
        code = normalise_result_code(answer.get("maKetQua"))
        if response.status_code == 401 or code == UNAUTHORIZED_CODE:
            raise _TokenRejected()
        api_key = answer.get("APIKey")
        if code != TOKEN_OK_CODE or not isinstance(api_key, dict):
            log.warning("BHXH token take answered maKetQua=%s (HTTP %d)", code or "<missing>", response.status_code)
            raise BhxhUnavailable("bad_response")
        access_token = api_key.get("access_token")
        id_token = api_key.get("id_token")
        if not isinstance(access_token, str) or not access_token or not isinstance(id_token, str):
            raise BhxhUnavailable("bad_response")
        now = self._clock()
        expires_at = parse_expiry(api_key.get("expires_in"), now)
        if expires_at is None:
            log.warning("BHXH token expires_in not understood; keeping the token %.0f s", FALLBACK_LIFETIME_S)
            expires_at = now + FALLBACK_LIFETIME_S
        log.info("BHXH token taken in %.0f ms, valid for %.0f s", _elapsed_ms(started), expires_at - now)
        return AccessToken(access_token=access_token, id_token=id_token, expires_at=expires_at)

    # --- transport ---------------------------------------------------------------------------------

    def _send(self, what: str, do_request: Callable[[], requests.Response]) -> requests.Response:
        # "from None" on purpose: requests' exception text embeds the URL with token and password hash.
        try:
            response = do_request()
        except requests.Timeout:
            raise BhxhUnavailable("timeout") from None
        except requests.ConnectionError:
            raise BhxhUnavailable("connection") from None
        except requests.RequestException:
            raise BhxhUnavailable("connection") from None
        if response.status_code >= 500 or response.status_code in _TRANSIENT_STATUSES:
            log.warning("BHXH %s answered HTTP %d", what, response.status_code)
            raise BhxhUnavailable("server_error")
        return response


def _is_unauthorized(status: int, answer: dict[str, Any]) -> bool:
    return status == 401 or normalise_result_code(answer.get("maKetQua")) == UNAUTHORIZED_CODE


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        value = response.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    return _json_object(response) or {}


def _text_or_none(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000.0
