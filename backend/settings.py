"""Process settings: from the environment (secrets only ever from there), overridable in tests."""
import os
from dataclasses import dataclass, field, fields

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _bool(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Settings:
    database_url: str = f"sqlite:///{os.path.join(ROOT, 'var', 'tiepdon.db')}"
    config_path: str = os.path.join(ROOT, "config", "hospital.toml")
    secret_key: str | None = None
    redis_url: str | None = None
    public_url: str | None = None
    ignore_opening_hours: bool = False
    secure_cookies: bool | None = None  # None: Secure when public_url is https
    # token bucket per client: sustained requests per second, burst
    rate_public: tuple[float, int] = (10.0, 40)
    rate_kiosk: tuple[float, int] = (30.0, 60)
    rate_login: tuple[float, int] = (0.2, 10)
    rate_otp: tuple[float, int] = (0.05, 5)  # SMS codes asked / codes tried, per IP (and per account)
    rate_account: tuple[float, int] = (5.0, 30)  # patient app requests per account
    pii_key: str | None = None
    # BHXH card-check gateway (the hospital's account; calls are attributed to the duty staff member)
    bhxh_url: str | None = None
    bhxh_username: str | None = None
    bhxh_password: str | None = None
    bhxh_staff_name: str | None = None
    bhxh_staff_cccd: str | None = None
    bhxh_timeout_s: float = 2.0
    # HIS: "fhir" (FHIR R4 base URL), "xml0" (write XML0 files to a directory) or unset
    his_fhir_url: str | None = None
    his_token: str | None = None
    his_xml0_dir: str | None = None
    # Patient SMS: a brand-name SMS gateway. Without one the server refuses to start, unless the
    # development sink is asked for explicitly (TIEPDON_DEV_SMS=1; `tiepdon demo` sets it).
    dev_sms: bool = False
    sms_gateway_url: str | None = None
    sms_gateway_key: str | None = None
    sms_brand_name: str = "TIEPDON"
    sms_otp_template: str | None = None  # "{code}" and "{minutes}" are filled in
    sms_ascii: bool = False  # strip Vietnamese diacritics for GSM-7-only brand-name routes
    sms_timeout_s: float = 5.0
    background_workers: bool = True
    worker_interval_s: float = 2.0
    # how often waiting tickets are checked against their service's long_wait_min (0: never)
    long_wait_check_s: float = 30.0
    extra: dict = field(default_factory=dict)

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
        for name in ("rate_public", "rate_kiosk", "rate_login", "rate_otp", "rate_account"):
            raw = env.get("TIEPDON_" + name.upper())  # e.g. TIEPDON_RATE_KIOSK=30/60
            if raw:
                rate, burst = raw.split("/")
                setattr(s, name, (float(rate), int(burst)))
        names = {f.name for f in fields(Settings)}
        for key, value in (overrides or {}).items():
            if key in names:
                setattr(s, key, value)
            else:
                s.extra[key] = value
        return s


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
