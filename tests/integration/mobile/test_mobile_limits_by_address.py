"""Guessing share codes from one address is bounded across accounts, not per account."""
from tests.support.app import make_backend

FAST = (100000.0, 100000)


def test_share_code_guesses_are_limited_per_address_across_accounts(sqlite_url, clock, sms):
    from tests.integration.mobile.conftest import Phone

    b = make_backend(sqlite_url, clock=clock, notifier=sms, rate_otp=(0.01, 6), rate_account=FAST)
    phones = [Phone(b, sms, "0912000101").sign_in(), Phone(b, sms, "0912000102").sign_in()]
    guesses = [phones[i % 2].post("/api/v1/me/family", {"code": f"KQ7M-3XW{i}"}) for i in range(6)]
    assert [r.get_json()["code"] for r in guesses] == ["SHARE_CODE_INVALID"] * 6
    for p in phones:
        r = p.post("/api/v1/me/family", {"code": "ABCD-EFGX"})
        assert r.status_code == 429 and r.get_json()["code"] == "RATE_LIMITED"
