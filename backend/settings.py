"""Process settings: from the environment (secrets only ever from there), overridable in tests."""
import math
import os
from dataclasses import dataclass, field, fields

from .client_address import InvalidTrustedProxies, parse_trusted_proxies


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _bool(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Settings:
    database_url: str = f"sqlite:///{os.path.join(ROOT, 'var', 'tiepdon.db')}"
    config_path: str = os.path.join(ROOT, "config", "hospital.toml")
    secret_key: str | None = field(default=None, repr=False)  # a secret: kept out of logs
    redis_url: str | None = None
    public_url: str | None = None
    ignore_opening_hours: bool = False
    secure_cookies: bool | None = None  # None: Secure when public_url is https
    # rate limits per client, "rate/burst": `burst` requests per burst/rate seconds (api/ratelimit.py)
    rate_public: tuple[float, int] = (10.0, 40)
    rate_kiosk: tuple[float, int] = (30.0, 60)
    rate_login: tuple[float, int] = (0.2, 10)  # per address + username: guessing one account
    rate_login_ip: tuple[float, int] = (0.5, 30)  # per address, across usernames, before any hash
    rate_otp: tuple[float, int] = (0.05, 5)  # SMS codes asked / codes tried, per IP (and per account)
    rate_account: tuple[float, int] = (5.0, 30)  # patient app requests per account
    # typed look-ups of numbers not yet known, per kiosk: (count, window in seconds); each costs a
    # BHXH call and creates a record. TIEPDON_MANUAL_LOOKUP_LIMIT=20/hour (or 100/day, 20/3600)
    manual_lookup_limit: tuple[int, int] = (20, 3600)
    pii_key: str | None = field(default=None, repr=False)  # a secret: kept out of logs
    # proxies whose X-Forwarded-For/-Proto/-Host are believed (client_address.py); empty: nobody
    trusted_proxies: tuple = ()
    # BHXH card-check gateway (the hospital's account; calls are attributed to the duty staff member)
    bhxh_url: str | None = None
    bhxh_username: str | None = None
    bhxh_password: str | None = field(default=None, repr=False)  # a secret: kept out of logs
    bhxh_staff_name: str | None = None
    bhxh_staff_cccd: str | None = None
    bhxh_timeout_s: float = 2.0
    # HIS: "fhir" (FHIR R4 base URL), "xml0" (write XML0 files to a directory) or unset
    his_fhir_url: str | None = None
    his_token: str | None = field(default=None, repr=False)  # a secret: kept out of logs
    his_xml0_dir: str | None = None
    # Facility signature (CHUKYDONVI) on XML0 records: the hospital's PKCS#12 certificate. Signing is on
    # when a certificate is given; his_xml0_sign=False leaves records unsigned for a HIS that signs them.
    his_signing_p12: str | None = None
    his_signing_p12_password: str | None = field(default=None, repr=False)  # a secret: kept out of logs
    his_xml0_sign: bool | None = None  # None: sign if and only if his_signing_p12 is set
    # Patient SMS: a brand-name SMS gateway. Without one the server refuses to start, unless the
    # development sink is asked for explicitly (TIEPDON_DEV_SMS=1; `tiepdon demo` sets it).
    dev_sms: bool = False
    sms_gateway_url: str | None = None
    sms_gateway_key: str | None = field(default=None, repr=False)  # a secret: kept out of logs
    sms_brand_name: str = "TIEPDON"
    sms_otp_template: str | None = None  # "{code}" and "{minutes}" are filled in
    sms_ascii: bool = False  # strip Vietnamese diacritics for GSM-7-only brand-name routes
    sms_timeout_s: float = 5.0
    background_workers: bool = True
    worker_interval_s: float = 2.0
    # how often waiting tickets are checked against their service's long_wait_min (0: never)
    long_wait_check_s: float = 30.0
    # Serving (see README "Connections"): what one process holds and how long a client may dawdle
    max_connections: int = 20_000
    max_connections_per_client: int = 64
    header_timeout_s: int = 10  # request line and headers; also the idle keep-alive time
    body_timeout_s: float = 30.0
    sio_connect_timeout_s: float = 10.0  # an Engine.IO connection that joins no namespace

    @staticmethod
    def from_env(overrides: dict | None = None) -> "Settings":
        env = os.environ
        s = Settings()
        s.database_url = env.get("DATABASE_URL", s.database_url)
        s.config_path = env.get("TIEPDON_CONFIG", s.config_path)
        s.secret_key = env.get("SECRET_KEY") or env.get("TIEPDON_SECRET_KEY")
        s.redis_url = env.get("REDIS_URL") or None
        s.public_url = env.get("TIEPDON_PUBLIC_URL") or None
        s.ignore_opening_hours = _bool(env.get("TIEPDON_IGNORE_OPENING_HOURS"))
        if env.get("TIEPDON_SECURE_COOKIES", "").strip():
            s.secure_cookies = _bool(env.get("TIEPDON_SECURE_COOKIES"))
        s.long_wait_check_s = float(env.get("TIEPDON_LONG_WAIT_CHECK_S", s.long_wait_check_s))
        s.pii_key = env.get("TIEPDON_PII_KEY") or None
        s.bhxh_url = env.get("BHXH_URL") or None
        s.bhxh_username = env.get("BHXH_USERNAME") or None
        s.bhxh_password = env.get("BHXH_PASSWORD") or None
        s.bhxh_staff_name = env.get("BHXH_STAFF_NAME") or None
        s.bhxh_staff_cccd = env.get("BHXH_STAFF_CCCD") or None
        s.his_fhir_url = env.get("HIS_FHIR_URL") or None
        s.his_token = env.get("HIS_TOKEN") or None
        s.his_xml0_dir = env.get("HIS_XML0_DIR") or None
        s.his_signing_p12 = env.get("HIS_SIGNING_P12") or None
        s.his_signing_p12_password = env.get("HIS_SIGNING_P12_PASSWORD") or None
        if env.get("HIS_XML0_SIGN"):
            s.his_xml0_sign = _bool(env.get("HIS_XML0_SIGN"))
        s.dev_sms = _bool(env.get("TIEPDON_DEV_SMS"))
        s.sms_gateway_url = env.get("SMS_GATEWAY_URL") or None
        s.sms_gateway_key = env.get("SMS_GATEWAY_KEY") or None
        s.sms_brand_name = env.get("SMS_BRAND_NAME") or s.sms_brand_name
        s.sms_otp_template = env.get("SMS_OTP_TEMPLATE") or None
        s.sms_ascii = _bool(env.get("SMS_ASCII"))
        if env.get("SMS_TIMEOUT_S"):
            s.sms_timeout_s = float(env["SMS_TIMEOUT_S"])
        if env.get("TIEPDON_BACKGROUND_WORKERS"):
            s.background_workers = _bool(env.get("TIEPDON_BACKGROUND_WORKERS"))
        if env.get("TIEPDON_WORKER_INTERVAL_S"):
            s.worker_interval_s = float(env["TIEPDON_WORKER_INTERVAL_S"])
        _serving_from_env(s, env)
        for name in RATE_SETTINGS:
            raw = env.get("TIEPDON_" + name.upper())  # e.g. TIEPDON_RATE_KIOSK=30/60
            if raw:
                setattr(s, name, _rate("TIEPDON_" + name.upper(), raw))
        s.trusted_proxies = env.get("TIEPDON_TRUSTED_PROXIES", "")
        if env.get("TIEPDON_MANUAL_LOOKUP_LIMIT"):
            s.manual_lookup_limit = parse_count_per_window(env["TIEPDON_MANUAL_LOOKUP_LIMIT"])
        names = {f.name for f in fields(Settings)}
        for key, value in (overrides or {}).items():
            if key not in names:  # adapters and fakes go to bootstrap.build, by name
                raise TypeError(f"unknown setting: {key}")
            setattr(s, key, value)
        try:
            s.trusted_proxies = parse_trusted_proxies(s.trusted_proxies)
        except InvalidTrustedProxies as exc:
            raise InvalidSetting(str(exc)) from None
        return s


RATE_SETTINGS = ("rate_public", "rate_kiosk", "rate_login", "rate_login_ip", "rate_otp", "rate_account")


class InvalidSetting(RuntimeError):
    """A setting the server cannot run with; the message says which and how, in both languages."""


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


# environment variable -> (field, type, smallest value)
_SERVING = {
    "TIEPDON_MAX_CONNECTIONS": ("max_connections", int, 100),
    "TIEPDON_MAX_CONNECTIONS_PER_CLIENT": ("max_connections_per_client", int, 1),
    "TIEPDON_HEADER_TIMEOUT_S": ("header_timeout_s", int, 1),
    "TIEPDON_BODY_TIMEOUT_S": ("body_timeout_s", float, 1),
    "TIEPDON_SIO_CONNECT_TIMEOUT_S": ("sio_connect_timeout_s", float, 0.5),
}


def _serving_from_env(s: "Settings", env) -> None:
    for name, (attr, kind, least) in _SERVING.items():
        raw = env.get(name)
        if not raw:
            continue
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or value < least:
            raise InvalidSetting(f"{name} phải là số ≥ {least} / must be a number ≥ {least}: {raw!r}")
        setattr(s, attr, value)


_WINDOWS_S = {"hour": 3600, "h": 3600, "day": 86400, "d": 86400}


def parse_count_per_window(text: str) -> tuple[int, int]:
    """"20/hour", "100/day" or "20/3600" (seconds) → (count, window in seconds)."""
    count, _, window = text.strip().partition("/")
    window = window.strip().lower() or "hour"
    seconds = _WINDOWS_S.get(window) or int(window)
    if int(count) < 0 or seconds <= 0:
        raise ValueError(f"not a count per window: {text!r}")
    return int(count), seconds


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
