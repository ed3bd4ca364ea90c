"""Secrets read from the environment never show up when the settings object is printed or logged."""
from backend.settings import Settings

SECRETS = {
    "SECRET_KEY": "khoa-bi-mat-" + "s" * 40,
    "TIEPDON_PII_KEY": "khoa-du-lieu-" + "p" * 40,
    "BHXH_PASSWORD": "mat-khau-bhxh-123",
    "HIS_TOKEN": "token-his-456",
    "SMS_GATEWAY_KEY": "khoa-sms-789",
    "HIS_SIGNING_P12_PASSWORD": "mat-khau-chung-thu-012",
}


def test_settings_repr_hides_every_secret(monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert settings.his_signing_p12_password == SECRETS["HIS_SIGNING_P12_PASSWORD"]  # read, just not shown
    shown = repr(settings) + str(settings) + f"{settings}"
    for value in SECRETS.values():
        assert value not in shown
