"""Phone sign-in by SMS code: normalisation, single use, expiry, brute force, rate limits, no leaks."""
import logging

from sqlalchemy import text

from tests.integration.mobile.conftest import code_from
from tests.support.app import make_backend

PHONE = "0912345678"
E164 = "+84912345678"


def ask(backend, phone=PHONE):
    return backend.client().post("/api/v1/auth/otp", json={"phone": phone})


def verify(backend, code, phone=PHONE):
    return backend.client().post("/api/v1/auth/otp/verify", json={"phone": phone, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_sign_in_with_any_spelling_of_the_number_gives_one_account(backend, sms):
    r = ask(backend, "+84 912.345.678")
    assert r.status_code == 202
    assert r.get_json() == {"phone_masked": "09******78", "expires_in_s": 300, "resend_after_s": 60}
    message = sms.messages(to=E164)[-1]
    # No language asked for and no account yet: Vietnamese only.
    assert message.text.startswith("Mã xác thực Tiếp Đón của bạn là ") and "Your Tiếp Đón code is" not in message.text
    first = verify(backend, code_from(sms, E164), "0912345678")
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["token"].startswith("pa_") and body["token_type"] == "Bearer"
    assert body["account"]["phone_masked"] == "09******78" and body["account"]["notifications"] is True
    backend.clock.advance(minutes=2)
    assert ask(backend, "84912345678").status_code == 202
    second = verify(backend, code_from(sms, E164), "0912 345 678").get_json()
    assert second["account"]["id"] == body["account"]["id"]
    assert second["token"] != body["token"]
    me = backend.client().get("/api/v1/me", headers={"Authorization": f"Bearer {second['token']}"})
    assert me.status_code == 200 and me.get_json()["account"]["id"] == body["account"]["id"]


def test_not_a_vietnamese_mobile_number_is_refused(backend, sms):
    for bad in ("0212345678", "+1 650 555 0100", "091234567", "09123456789", "abc0912345678"):
        r = ask(backend, bad)
        assert r.status_code == 422 and r.get_json()["code"] == "PHONE_INVALID", bad
    assert sms.messages() == []


def test_a_code_works_once(backend, sms):
    ask(backend)
    code = code_from(sms, E164)
    assert verify(backend, code).status_code == 200
    replay = verify(backend, code)
    assert replay.status_code == 422 and replay.get_json()["code"] == "OTP_INVALID"


def test_an_expired_code_is_refused(backend, sms, clock):
    ask(backend)
    code = code_from(sms, E164)
    clock.advance(minutes=5, seconds=1)
    r = verify(backend, code)
    assert r.status_code == 422 and r.get_json()["code"] == "OTP_EXPIRED"


def test_a_new_code_replaces_the_old_one(backend, sms, clock):
    ask(backend)
    old = code_from(sms, E164)
    clock.advance(seconds=61)
    ask(backend)
    new = code_from(sms, E164)
    if old != new:
        assert verify(backend, old).get_json()["code"] == "OTP_INVALID"
    assert verify(backend, new).status_code == 200


def test_brute_force_kills_the_code_then_locks_the_number(backend, sms, clock):
    ask(backend)
    code = code_from(sms, E164)
    for left in (4, 3, 2, 1, 0):
        r = verify(backend, wrong(code))
        assert r.status_code == 422 and r.get_json()["attempts_left"] == left
    # Five wrong guesses: even the right code is refused now.
    dead = verify(backend, code)
    assert dead.status_code == 429 and dead.get_json()["code"] == "OTP_LOCKED"
    clock.advance(seconds=61)
    ask(backend)
    code = code_from(sms, E164)
    for _ in range(5):
        verify(backend, wrong(code))
    # Ten wrong guesses within the hour: the number itself is locked, for asking and for verifying.
    clock.advance(seconds=61)
    again = ask(backend)
    assert again.status_code == 429 and again.get_json()["code"] == "OTP_LOCKED"
    assert int(again.headers["Retry-After"]) > 0
    assert verify(backend, code).get_json()["code"] == "OTP_LOCKED"
    clock.advance(minutes=31)
    assert ask(backend).status_code == 202
    assert verify(backend, code_from(sms, E164)).status_code == 200


def test_codes_per_number_are_limited_whoever_asks(backend, sms, clock):
    assert ask(backend).status_code == 202
    soon = ask(backend)
    assert soon.status_code == 429 and soon.get_json()["code"] == "OTP_RESEND_TOO_SOON"
    for _ in range(4):
        clock.advance(seconds=61)
        assert ask(backend).status_code == 202
    clock.advance(seconds=61)
    sixth = ask(backend)
    assert sixth.status_code == 429 and sixth.get_json()["code"] == "OTP_TOO_MANY_REQUESTS"
    assert len(sms.messages(to=E164)) == 5
    assert ask(backend, "0987654321").status_code == 202  # another number is not affected


def test_requests_per_ip_are_rate_limited(sqlite_url, sms):
    b = make_backend(sqlite_url, notifier=sms, rate_otp=(0.01, 3))
    answers = [b.client().post("/api/v1/auth/otp", json={"phone": f"09123456{i:02d}"}) for i in range(5)]
    assert [r.status_code for r in answers] == [202, 202, 202, 429, 429]
    assert answers[3].get_json()["code"] == "RATE_LIMITED" and "Retry-After" in answers[3].headers


def test_the_number_and_the_code_never_reach_the_logs_or_the_database(backend, sms, caplog):
    caplog.set_level(logging.DEBUG)
    ask(backend)
    code = code_from(sms, E164)
    verify(backend, wrong(code))
    assert verify(backend, code).status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "09******78" in logged
    for secret in (code, "0912345678", "912345678"):
        assert secret not in logged
    with backend.deps.uow.read() as uow:
        dump = " ".join(str(v) for table in ("otp_challenges", "patient_accounts", "account_sessions")
                        for row in uow.conn.execute(text(f"SELECT * FROM {table}")) for v in row)
    assert "912345678" not in dump and code not in dump


def test_without_a_working_gateway_the_code_is_not_left_alive(sqlite_url):
    # A gateway URL nobody listens on: the real HTTP adapter, failing the way it does in production.
    b = make_backend(sqlite_url, sms_gateway_url="http://127.0.0.1:9/sms", sms_gateway_key="k" * 20,
                     rate_otp=(1000.0, 1000))
    r = b.client().post("/api/v1/auth/otp", json={"phone": PHONE})
    assert r.status_code == 503 and r.get_json()["code"] == "SMS_UNAVAILABLE"
    with b.deps.uow.read() as uow:
        live = uow.conn.execute(text("SELECT count(*) FROM otp_challenges WHERE consumed_at IS NULL")).scalar()
    assert live == 0


def test_spent_codes_and_ended_sessions_are_deleted_after_a_day(backend, sms, clock):
    from backend.services.accounts import purge_expired

    ask(backend)
    token = verify(backend, code_from(sms, E164)).get_json()["token"]
    assert purge_expired(backend.deps) == {"otp": 0, "share_codes": 0, "sessions": 0}
    clock.advance(days=1, minutes=1)
    assert purge_expired(backend.deps) == {"otp": 1, "share_codes": 0, "sessions": 0}
    clock.advance(days=30)
    assert purge_expired(backend.deps)["sessions"] == 1
    assert backend.client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_the_sign_in_code_comes_in_the_language_asked_for_and_the_account_keeps_it(backend, sms):
    assert backend.client().post("/api/v1/auth/otp", json={"phone": PHONE, "lang": "en"}).status_code == 202
    text = sms.messages(to=E164)[-1].text
    assert text.startswith("Your Tiếp Đón code is ") and "Mã xác thực" not in text
    r = backend.client().post("/api/v1/auth/otp/verify",
                              json={"phone": PHONE, "code": code_from(sms, E164), "lang": "en"})
    assert r.status_code == 200 and r.get_json()["account"]["language"] == "en"
    backend.clock.advance(minutes=2)
    assert ask(backend, PHONE).status_code == 202  # no lang: the account's language
    assert sms.messages(to=E164)[-1].text.startswith("Your Tiếp Đón code is ")
    backend.clock.advance(minutes=2)
    assert backend.client().post("/api/v1/auth/otp", json={"phone": PHONE, "lang": "vi"}).status_code == 202
    text = sms.messages(to=E164)[-1].text
    assert text.startswith("Mã xác thực Tiếp Đón của bạn là ") and "Your Tiếp Đón code" not in text


def test_an_unknown_language_is_refused(backend, sms):
    r = backend.client().post("/api/v1/auth/otp", json={"phone": PHONE, "lang": "fr"})
    assert r.status_code == 422 and r.get_json()["code"] == "VALIDATION_ERROR"
    assert sms.messages(to=E164) == []
