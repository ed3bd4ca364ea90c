"""The gateway's access token, cached until shortly before it expires, shared by all threads.

``expires_in`` is documented as a UTC timestamp but its exact shape is not, so ``parse_expiry``
accepts, in order:
- a number (or numeric string): > 1e11 → epoch milliseconds; > 1e9 → epoch seconds; otherwise a
  lifetime in seconds from now (some OAuth-style gateways send that under the same name);
- an ISO 8601 string (``2025-06-01T10:00:00Z``, with or without offset; naive means UTC);
- ``dd/mm/yyyy HH:MM:SS`` (UTC).
Anything else yields None and the caller keeps the token for ``FALLBACK_LIFETIME_S`` only, relying on
the 401-then-retry path if the gateway expires it sooner.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

FALLBACK_LIFETIME_S = 60.0
_EPOCH_MS_THRESHOLD = 1e11
_EPOCH_S_THRESHOLD = 1e9


@dataclass(frozen=True, repr=False)
class AccessToken:
    access_token: str
    id_token: str
    expires_at: float  # epoch seconds (UTC)

    def __repr__(self) -> str:
        return f"AccessToken(expires_at={self.expires_at:.0f})"


def parse_expiry(value: object, now: float) -> float | None:
    """Absolute expiry time in epoch seconds, or None when ``value`` has no recognisable shape."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_number(float(value), now)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return _from_number(float(text), now)
    except ValueError:
        pass
    for parse in (_from_iso, _from_vietnamese):
        try:
            moment = parse(text)
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    return None


def _from_number(number: float, now: float) -> float | None:
    if number != number or number <= 0:  # NaN or not positive
        return None
    if number > _EPOCH_MS_THRESHOLD:
        return number / 1000.0
    if number > _EPOCH_S_THRESHOLD:
        return number
    return now + number


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _from_vietnamese(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M:%S")


class TokenCache:
    """Holds one token; ``get`` takes a new one (once, under a lock) when it is missing or about to expire.

    ``take`` is called with the lock held, so concurrent check requests share a single token take.
    A freshly taken token is returned even if its lifetime is shorter than the margin: otherwise a
    gateway handing out short tokens would make us loop.
    """

    def __init__(self, take: Callable[[], AccessToken], *, refresh_margin_s: float, clock: Callable[[], float]):
        self._take = take
        self._margin = refresh_margin_s
        self._clock = clock
        self._lock = threading.Lock()
        self._token: AccessToken | None = None

    def _usable(self, token: AccessToken | None) -> bool:
        return token is not None and self._clock() < token.expires_at - self._margin

    def get(self) -> AccessToken:
        token = self._token
        if self._usable(token):
            return token  # type: ignore[return-value]
        with self._lock:
            # Another thread may have refreshed while we waited for the lock.
            if self._usable(self._token):
                return self._token  # type: ignore[return-value]
            self._token = self._take()
            return self._token

    def invalidate(self, rejected: AccessToken) -> None:
        """Forget ``rejected`` unless another thread already replaced it."""
        with self._lock:
            if self._token is rejected:
                self._token = None
