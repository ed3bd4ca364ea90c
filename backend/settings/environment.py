"""Process settings: every environment variable the backend reads, in this one place (secrets only
ever from there), overridable in tests.

Each field names its variable(s) and how its text is read (`_env(...)` below); a blank variable
counts as unset. A value the server cannot run with raises InvalidSetting with a message in both
languages, before anything starts.
"""
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from ..client_address import InvalidTrustedProxies, parse_trusted_proxies


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class InvalidSetting(RuntimeError):
    """A setting the server cannot run with; the message says which and how, in both languages."""


# -- how a variable's text becomes a value: (variable name, text) -> value ------------------------

def _text(_name: str, raw: str) -> str:
    return raw


def _bool(_name: str, raw: str) -> bool:
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _number(kind: type, least: float | None = None, message: str | None = None) -> Callable[[str, str], Any]:
    def parse(name: str, raw: str):
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or (least is not None and value < least):
            if message == "serving":
                raise InvalidSetting(f"{name} phải là số ≥ {least} / must be a number ≥ {least}: {raw!r}")
            raise InvalidSetting(f"{name} phải là một số / must be a number: {raw!r}")
        return value
    return parse


def _rate(name: str, raw: str) -> tuple[float, int]:
    try:
        rate_text, burst_text = raw.split("/")
        rate, burst = float(rate_text), int(burst_text)
        if math.isfinite(rate) and rate > 0 and burst >= 1:
            return rate, burst
    except ValueError:
        pass
    raise InvalidSetting(
        f"{name} không hợp lệ: {raw!r} — cần 'số yêu cầu mỗi giây/số yêu cầu liền nhau tối đa', "
        "ví dụ 10/40.\n"
        f"{name} is invalid: {raw!r} — expected 'requests per second/burst', e.g. 10/40.")


_WINDOWS_S = {"hour": 3600, "h": 3600, "day": 86400, "d": 86400}


def parse_count_per_window(text: str) -> tuple[int, int]:
    """"20/hour", "100/day" or "20/3600" (seconds) → (count, window in seconds)."""
    count, _, window = text.strip().partition("/")
    window = window.strip().lower() or "hour"
    seconds = _WINDOWS_S.get(window) or int(window)
    if int(count) < 0 or seconds <= 0:
        raise ValueError(f"not a count per window: {text!r}")
    return int(count), seconds


def _count_per_window(name: str, raw: str) -> tuple[int, int]:
    try:
        return parse_count_per_window(raw)
    except ValueError:
        raise InvalidSetting(f"{name} không hợp lệ: {raw!r} — ví dụ 20/hour, 100/day.\n"
                             f"{name} is invalid: {raw!r} — e.g. 20/hour, 100/day.") from None


def _daily_time(name: str, raw: str) -> str:
    hours, _, minutes = raw.strip().partition(":")
    if hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60:
        return f"{int(hours):02d}:{int(minutes):02d}"
    raise InvalidSetting(f"{name} không hợp lệ: {raw!r} — giờ trong ngày HH:MM, ví dụ 02:30.\n"
                         f"{name} is invalid: {raw!r} — a time of day HH:MM, e.g. 02:30.")


def _env(*names: str, parse: Callable[[str, str], Any] = _text) -> dict:
    """Field metadata: the variables read for this field (first set one wins) and their parser."""
    return {"env": names, "parse": parse}


_SERVING_NUMBER = "serving"


@dataclass
class Settings:
    database_url: str = field(default=f"sqlite:///{os.path.join(ROOT, 'var', 'tiepdon.db')}",
                              metadata=_env("DATABASE_URL"))
    config_path: str = field(default=os.path.join(ROOT, "config", "hospital.toml"), metadata=_env("TIEPDON_CONFIG"))
    # a secret: kept out of logs
    secret_key: str | None = field(default=None, repr=False, metadata=_env("SECRET_KEY", "TIEPDON_SECRET_KEY"))
    redis_url: str | None = field(default=None, metadata=_env("REDIS_URL"))
    public_url: str | None = field(default=None, metadata=_env("TIEPDON_PUBLIC_URL"))
    ignore_opening_hours: bool = field(default=False, metadata=_env("TIEPDON_IGNORE_OPENING_HOURS", parse=_bool))
    # None: Secure when public_url is https
    secure_cookies: bool | None = field(default=None, metadata=_env("TIEPDON_SECURE_COOKIES", parse=_bool))
    # rate limits per client, "rate/burst": `burst` requests per burst/rate seconds (api/ratelimit.py)
    rate_public: tuple[float, int] = field(default=(10.0, 40), metadata=_env("TIEPDON_RATE_PUBLIC", parse=_rate))
    rate_kiosk: tuple[float, int] = field(default=(30.0, 60), metadata=_env("TIEPDON_RATE_KIOSK", parse=_rate))
    # per address + username: guessing one account
    rate_login: tuple[float, int] = field(default=(0.2, 10), metadata=_env("TIEPDON_RATE_LOGIN", parse=_rate))
    # per address, across usernames, before any hash
    rate_login_ip: tuple[float, int] = field(default=(0.5, 30), metadata=_env("TIEPDON_RATE_LOGIN_IP", parse=_rate))
    # SMS codes asked / codes tried, per IP (and per account)
    rate_otp: tuple[float, int] = field(default=(0.05, 5), metadata=_env("TIEPDON_RATE_OTP", parse=_rate))
    # patient app requests per account
    rate_account: tuple[float, int] = field(default=(5.0, 30), metadata=_env("TIEPDON_RATE_ACCOUNT", parse=_rate))
    # typed look-ups of numbers not yet known, per kiosk: (count, window in seconds); each costs a
    # BHXH call and creates a record. TIEPDON_MANUAL_LOOKUP_LIMIT=20/hour (or 100/day, 20/3600)
    manual_lookup_limit: tuple[int, int] = field(
        default=(20, 3600), metadata=_env("TIEPDON_MANUAL_LOOKUP_LIMIT", parse=_count_per_window))
    pii_key: str | None = field(default=None, repr=False, metadata=_env("TIEPDON_PII_KEY"))  # a secret
    # during a key rotation: the previous key(s), comma-separated; read, never written with (README "Keys")
    pii_key_old: str | None = field(default=None, repr=False, metadata=_env("TIEPDON_PII_KEY_OLD"))  # a secret
    # Backups (README "Backup and restore"): where `tiepdon backup` writes, how many it keeps, and the
    # daily time (hospital time, HH:MM) of the served process's own backup; unset: no scheduled backup.
    backup_dir: str = field(default=os.path.join(ROOT, "var", "backups"), metadata=_env("TIEPDON_BACKUP_DIR"))
    backup_keep: int = field(default=14, metadata=_env("TIEPDON_BACKUP_KEEP", parse=_number(int, 1, _SERVING_NUMBER)))
    backup_at: str | None = field(default=None, metadata=_env("TIEPDON_BACKUP_AT", parse=_daily_time))
    # the certificate (PEM) the TLS front end serves, for `tiepdon doctor`'s expiry check
    tls_cert: str | None = field(default=None, metadata=_env("TIEPDON_TLS_CERT"))
    # proxies whose X-Forwarded-For/-Proto/-Host are believed (client_address.py); empty: nobody.
    # Read as text here, parsed (from the environment or an override alike) at the end of from_env.
    trusted_proxies: tuple | str = field(default=(), metadata=_env("TIEPDON_TRUSTED_PROXIES"))
    # GET /metrics (Prometheus): answered to a request with "Authorization: Bearer <token>", or from
    # an address in the networks listed (comma-separated, as for trusted proxies); refused otherwise.
    metrics_token: str | None = field(default=None, repr=False, metadata=_env("TIEPDON_METRICS_TOKEN"))  # a secret
    metrics_networks: tuple | str = field(default=(), metadata=_env("TIEPDON_METRICS_NETWORKS"))
    # BHXH card-check gateway (the hospital's account; calls are attributed to the duty staff member)
    bhxh_url: str | None = field(default=None, metadata=_env("BHXH_URL"))
    bhxh_username: str | None = field(default=None, metadata=_env("BHXH_USERNAME"))
    bhxh_password: str | None = field(default=None, repr=False, metadata=_env("BHXH_PASSWORD"))  # a secret
    bhxh_staff_name: str | None = field(default=None, metadata=_env("BHXH_STAFF_NAME"))
    bhxh_staff_cccd: str | None = field(default=None, metadata=_env("BHXH_STAFF_CCCD"))
    bhxh_timeout_s: float = 2.0
    # HIS: "fhir" (FHIR R4 base URL), "xml0" (write XML0 files to a directory) or unset
    his_fhir_url: str | None = field(default=None, metadata=_env("HIS_FHIR_URL"))
    his_token: str | None = field(default=None, repr=False, metadata=_env("HIS_TOKEN"))  # a secret
    his_xml0_dir: str | None = field(default=None, metadata=_env("HIS_XML0_DIR"))
    # Facility signature (CHUKYDONVI) on XML0 records: the hospital's PKCS#12 certificate. Signing is on
    # when a certificate is given; his_xml0_sign=False leaves records unsigned for a HIS that signs them.
    his_signing_p12: str | None = field(default=None, metadata=_env("HIS_SIGNING_P12"))
    his_signing_p12_password: str | None = field(default=None, repr=False,  # a secret: kept out of logs
                                                 metadata=_env("HIS_SIGNING_P12_PASSWORD"))
    # None: sign if and only if his_signing_p12 is set
    his_xml0_sign: bool | None = field(default=None, metadata=_env("HIS_XML0_SIGN", parse=_bool))
    # Patient SMS: a brand-name SMS gateway. Without one the server refuses to start, unless the
    # development sink is asked for explicitly (TIEPDON_DEV_SMS=1; `tiepdon demo` sets it).
    dev_sms: bool = field(default=False, metadata=_env("TIEPDON_DEV_SMS", parse=_bool))
    sms_gateway_url: str | None = field(default=None, metadata=_env("SMS_GATEWAY_URL"))
    sms_gateway_key: str | None = field(default=None, repr=False, metadata=_env("SMS_GATEWAY_KEY"))  # a secret
    sms_brand_name: str = field(default="TIEPDON", metadata=_env("SMS_BRAND_NAME"))
    # "{code}" and "{minutes}" are filled in
    sms_otp_template: str | None = field(default=None, metadata=_env("SMS_OTP_TEMPLATE"))
    # strip Vietnamese diacritics for GSM-7-only brand-name routes
    sms_ascii: bool = field(default=False, metadata=_env("SMS_ASCII", parse=_bool))
    sms_timeout_s: float = field(default=5.0, metadata=_env("SMS_TIMEOUT_S", parse=_number(float)))
    background_workers: bool = field(default=True, metadata=_env("TIEPDON_BACKGROUND_WORKERS", parse=_bool))
    worker_interval_s: float = field(default=2.0, metadata=_env("TIEPDON_WORKER_INTERVAL_S", parse=_number(float)))
    # the kiosks' heartbeat period (kiosk_client heartbeat_s): after 3 missed, staff hear the kiosk is silent
    kiosk_heartbeat_s: float = field(default=30.0, metadata=_env("TIEPDON_KIOSK_HEARTBEAT_S", parse=_number(float)))
    # how often waiting tickets are checked against their service's long_wait_min (0: never)
    long_wait_check_s: float = field(default=30.0, metadata=_env("TIEPDON_LONG_WAIT_CHECK_S", parse=_number(float)))
    # Serving (see README "Connections"): what one process holds and how long a client may dawdle
    max_connections: int = field(
        default=20_000, metadata=_env("TIEPDON_MAX_CONNECTIONS", parse=_number(int, 100, _SERVING_NUMBER)))
    max_connections_per_client: int = field(
        default=64, metadata=_env("TIEPDON_MAX_CONNECTIONS_PER_CLIENT", parse=_number(int, 1, _SERVING_NUMBER)))
    # request line and headers; also the idle keep-alive time
    header_timeout_s: int = field(
        default=10, metadata=_env("TIEPDON_HEADER_TIMEOUT_S", parse=_number(int, 1, _SERVING_NUMBER)))
    body_timeout_s: float = field(
        default=30.0, metadata=_env("TIEPDON_BODY_TIMEOUT_S", parse=_number(float, 1, _SERVING_NUMBER)))
    # an Engine.IO connection that joins no namespace
    sio_connect_timeout_s: float = field(
        default=10.0, metadata=_env("TIEPDON_SIO_CONNECT_TIMEOUT_S", parse=_number(float, 0.5, _SERVING_NUMBER)))
    # Payments (payment settings merge these over hospital.toml [payments]; see settings/payments.py).
    # None: not set here, the file's value or the default applies.
    vnpay_tmn_code: str | None = field(default=None, metadata=_env("VNPAY_TMN_CODE"))
    vnpay_hash_secret: str | None = field(default=None, repr=False, metadata=_env("VNPAY_HASH_SECRET"))  # a secret
    vnpay_payment_url: str | None = field(default=None, metadata=_env("VNPAY_PAYMENT_URL"))
    vnpay_api_url: str | None = field(default=None, metadata=_env("VNPAY_API_URL"))
    vnpay_return_url: str | None = field(default=None, metadata=_env("VNPAY_RETURN_URL"))
    vnpay_server_ip: str | None = field(default=None, metadata=_env("VNPAY_SERVER_IP"))
    bank_webhook_secret: str | None = field(default=None, repr=False, metadata=_env("BANK_WEBHOOK_SECRET"))  # a secret
    bank_webhook_auth: str | None = field(default=None, metadata=_env("BANK_WEBHOOK_AUTH"))
    bank_webhook_header: str | None = field(default=None, metadata=_env("BANK_WEBHOOK_HEADER"))
    invoice_ttl_min: int | None = field(default=None, metadata=_env("TIEPDON_INVOICE_TTL_MIN", parse=_number(int)))
    payments_jobs_interval_s: float | None = field(
        default=None, metadata=_env("TIEPDON_PAYMENTS_JOB_S", parse=_number(float)))

    @staticmethod
    def from_env(overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> "Settings":
        """Settings from `env` (default: this process's environment), then `overrides` by field name.
        Adapters and fakes are not settings: they go to bootstrap.build by name."""
        env = os.environ if env is None else env
        s = Settings()
        for f in fields(Settings):
            for name in f.metadata.get("env", ()):
                raw = env.get(name)
                if raw is not None and raw.strip():
                    setattr(s, f.name, f.metadata["parse"](name, raw))
                    break
        names = {f.name for f in fields(Settings)}
        for key, value in (overrides or {}).items():
            if key not in names:  # adapters and fakes go to bootstrap.build, by name
                raise TypeError(f"unknown setting: {key}")
            setattr(s, key, value)
        try:
            s.trusted_proxies = parse_trusted_proxies(s.trusted_proxies)
            s.metrics_networks = parse_trusted_proxies(s.metrics_networks)
        except InvalidTrustedProxies as exc:
            raise InvalidSetting(str(exc)) from None
        return s


RATE_SETTINGS = ("rate_public", "rate_kiosk", "rate_login", "rate_login_ip", "rate_otp", "rate_account")


class MissingSecret(RuntimeError):
    pass


def require_secret(settings: Settings) -> bytes:
    if not settings.secret_key or len(settings.secret_key) < 32:
        raise MissingSecret(
            "Thiếu SECRET_KEY (ít nhất 32 ký tự) trong biến môi trường.\n"
            "SECRET_KEY (at least 32 characters) must be set in the environment, e.g.\n"
            "  export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return settings.secret_key.encode()
