"""Token expiry parsing and the thread-safe cache (pure parts of the BHXH adapter).

The over-the-wire behaviour (real expiry, 401 retry) is in tests/integration/identification.
"""

import threading
import time
from datetime import datetime, timezone

import pytest

from backend.adapters.bhxh.token_cache import AccessToken, TokenCache, parse_expiry

NOW = datetime(2025, 6, 1, 10, 0, 0, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-06-01T11:00:00Z", NOW + 3600),
        ("2025-06-01T11:00:00", NOW + 3600),  # naive means UTC
        ("2025-06-01T18:00:00+07:00", NOW + 3600),
        ("2025-06-01T11:00:00.500Z", NOW + 3600.5),
        ("01/06/2025 11:00:00", NOW + 3600),
        (NOW + 3600, NOW + 3600),  # epoch seconds
        (str(int(NOW + 3600)), NOW + 3600),
        ((NOW + 3600) * 1000, NOW + 3600),  # epoch milliseconds
        (3600, NOW + 3600),  # a lifetime, not a timestamp
        ("3600", NOW + 3600),
    ],
)
def test_parse_expiry_accepts_timestamps_and_lifetimes(value, expected):
    assert parse_expiry(value, NOW) == pytest.approx(expected)


@pytest.mark.parametrize("value", [None, "", "soon", True, -5, 0, float("nan"), {"at": 1}])
def test_parse_expiry_rejects_anything_else(value):
    assert parse_expiry(value, NOW) is None


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def _taker(clock: _Clock, lifetime: float, takes: list[AccessToken], delay: float = 0.0):
    def take() -> AccessToken:
        time.sleep(delay)
        token = AccessToken(f"a{len(takes)}", f"i{len(takes)}", clock() + lifetime)
        takes.append(token)
        return token

    return take


def test_token_is_reused_until_the_margin_before_expiry():
    clock, takes = _Clock(), []
    cache = TokenCache(_taker(clock, 100, takes), refresh_margin_s=10, clock=clock)

    first = cache.get()
    clock.now += 89
    assert cache.get() is first
    clock.now += 1  # now 10 s before expiry
    second = cache.get()
    assert second is not first and len(takes) == 2


def test_a_fresh_token_shorter_than_the_margin_is_still_used_once():
    clock, takes = _Clock(), []
    cache = TokenCache(_taker(clock, 1, takes), refresh_margin_s=30, clock=clock)
    assert cache.get().access_token == "a0" and len(takes) == 1


def test_invalidate_forgets_only_the_rejected_token():
    clock, takes = _Clock(), []
    cache = TokenCache(_taker(clock, 100, takes), refresh_margin_s=0, clock=clock)
    old = cache.get()
    cache.invalidate(old)
    new = cache.get()
    cache.invalidate(old)  # a late thread reporting the old token must not drop the new one
    assert cache.get() is new and len(takes) == 2


def test_concurrent_callers_share_one_token_take():
    clock, takes = _Clock(), []
    cache = TokenCache(_taker(clock, 100, takes, delay=0.05), refresh_margin_s=0, clock=clock)
    seen: list[AccessToken] = []
    threads = [threading.Thread(target=lambda: seen.append(cache.get())) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(takes) == 1 and len(seen) == 16 and all(token is takes[0] for token in seen)


def test_token_repr_hides_the_secrets():
    assert "secret" not in repr(AccessToken("secret-access", "secret-id", NOW))
