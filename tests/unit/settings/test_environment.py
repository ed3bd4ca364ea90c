"""Every variable is read in one place; a value the server cannot run with stops it, in both languages."""
import pytest

from backend.settings import InvalidSetting, Settings


@pytest.mark.parametrize("name, value", [
    ("SMS_TIMEOUT_S", "năm giây"),
    ("TIEPDON_WORKER_INTERVAL_S", "2s"),
    ("TIEPDON_LONG_WAIT_CHECK_S", "often"),
    ("TIEPDON_INVOICE_TTL_MIN", "15m"),
    ("TIEPDON_PAYMENTS_JOB_S", "minute"),
])
def test_a_number_that_is_not_one_refuses_to_start_naming_the_variable(name, value):
    with pytest.raises(InvalidSetting) as caught:
        Settings.from_env(env={name: value})
    assert name in str(caught.value) and "phải là một số" in str(caught.value) and "must be a number" in str(caught.value)


def test_a_bad_manual_lookup_limit_refuses_to_start_in_both_languages():
    with pytest.raises(InvalidSetting) as caught:
        Settings.from_env(env={"TIEPDON_MANUAL_LOOKUP_LIMIT": "lots"})
    assert "TIEPDON_MANUAL_LOOKUP_LIMIT" in str(caught.value)
    assert "không hợp lệ" in str(caught.value) and "invalid" in str(caught.value)


def test_the_serving_limits_keep_their_message():
    with pytest.raises(InvalidSetting, match="TIEPDON_MAX_CONNECTIONS phải là số ≥ 100 / must be a number ≥ 100"):
        Settings.from_env(env={"TIEPDON_MAX_CONNECTIONS": "50"})


def test_settings_come_from_the_mapping_given_not_the_process(monkeypatch):
    monkeypatch.setenv("TIEPDON_PUBLIC_URL", "https://from-the-process.example")
    s = Settings.from_env(env={"TIEPDON_PUBLIC_URL": "https://given.example", "TIEPDON_DEV_SMS": "1",
                               "TIEPDON_RATE_KIOSK": "5/10", "VNPAY_TMN_CODE": "DEMO0001"})
    assert (s.public_url, s.dev_sms, s.rate_kiosk, s.vnpay_tmn_code) == ("https://given.example", True, (5.0, 10),
                                                                         "DEMO0001")


def test_a_blank_variable_counts_as_unset():
    s = Settings.from_env(env={"TIEPDON_BACKGROUND_WORKERS": "", "SECRET_KEY": "", "TIEPDON_SECRET_KEY": "k" * 40,
                               "SMS_BRAND_NAME": "", "TIEPDON_SECURE_COOKIES": "  "})
    assert (s.background_workers, s.secret_key, s.sms_brand_name, s.secure_cookies) == (True, "k" * 40, "TIEPDON", None)


def test_payment_secrets_are_read_from_the_environment_but_never_shown():
    secrets = {"VNPAY_HASH_SECRET": "bi-mat-vnpay-" + "v" * 20, "BANK_WEBHOOK_SECRET": "bi-mat-ngan-hang-" + "b" * 20}
    s = Settings.from_env(env=secrets)
    assert (s.vnpay_hash_secret, s.bank_webhook_secret) == tuple(secrets.values())
    for value in secrets.values():
        assert value not in repr(s)


def test_overrides_win_and_other_objects_are_refused():
    s = Settings.from_env({"rate_kiosk": (1000.0, 1000), "trusted_proxies": "10.0.0.1"},
                          env={"TIEPDON_RATE_KIOSK": "5/10"})
    assert s.rate_kiosk == (1000.0, 1000)
    assert len(s.trusted_proxies) == 1
    # Adapters and fakes are bootstrap.build's keywords, not settings (issue 16 part E).
    with pytest.raises(TypeError, match="unknown setting: publisher"):
        Settings.from_env({"publisher": object()}, env={})
