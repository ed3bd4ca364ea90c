"""`tiepdon doctor`: is this deployment fit to serve? One line per check, in Vietnamese and English:
OK, WARN (works, but see what to do), FAIL (fix before serving: what to do), SKIP (not configured
here). Every network check has a short timeout; nothing is written anywhere."""
import os
import shutil
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from .adapters.db.backup import list_backups
from .adapters.db.migrate import current_revisions, head_revisions
from .adapters.pii_vault import MissingPiiKey, old_keys_from
from .settings import InvalidSetting, Settings, require_secret
from .settings.environment import MissingSecret
from .settings.hospital import ConfigError, load_hospital_file
from .settings.payments import payment_settings

TIMEOUT_S = 3.0
DISK_WARN_B, DISK_FAIL_B = 1 << 30, 200 << 20  # free space under 1 GiB: warn; under 200 MiB: fail
CLOCK_WARN_S, CLOCK_FAIL_S = 30, 300
CERT_WARN_DAYS = 30
BACKUP_MAX_AGE_H = 26


@dataclass(frozen=True)
class Check:
    status: str  # OK | WARN | FAIL | SKIP
    name: str
    vi: str
    en: str
    todo_vi: str = ""
    todo_en: str = ""

    def line(self) -> str:
        text = f"{self.status:<4} {self.name:<8} {self.vi} / {self.en}"
        if self.todo_vi:
            text += f" → {self.todo_vi} / {self.todo_en}"
        return text


class _Run:
    """What the checks share: settings, the hospital file, and the Date headers endpoints sent."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.hospital = None
        self.dates: list[tuple[str, datetime, float]] = []  # (who, their Date, our time at receipt)

    def reach(self, who: str, url: str) -> tuple[requests.Response | None, str]:
        try:
            started = time.monotonic()
            response = requests.get(url, timeout=(TIMEOUT_S, TIMEOUT_S), allow_redirects=False)
        except requests.RequestException as exc:
            return None, type(exc).__name__
        elapsed_ms = round((time.monotonic() - started) * 1000)
        if "Date" in response.headers:
            try:
                self.dates.append((who, parsedate_to_datetime(response.headers["Date"]), time.time()))
            except (TypeError, ValueError):
                pass
        return response, f"HTTP {response.status_code}, {elapsed_ms} ms"


def run_checks(env=None) -> list[Check]:
    try:
        settings = Settings.from_env(env=env)
    except InvalidSetting as exc:
        message = " ".join(str(exc).split())
        return [Check("FAIL", "settings", "cấu hình sai", f"invalid setting: {message}",
                      "sửa biến môi trường đó", "fix that environment variable"),
                Check("SKIP", "others", "bỏ qua các kiểm tra khác", "other checks skipped until settings are valid")]
    run = _Run(settings)
    checks = []
    for check in (_settings, _database, _redis, _bhxh, _his, _vnpay, _sms, _disk, _backup, _tls, _signing,
                  _clock):
        try:
            checks.append(check(run))
        except Exception as exc:  # a check that breaks is a failed check, never a traceback
            checks.append(Check("FAIL", check.__name__.strip("_"), "kiểm tra lỗi",
                                f"check failed: {type(exc).__name__}: {exc}"))
    return checks


# -- the checks, in the order printed -------------------------------------------------------------

def _settings(run: _Run) -> Check:
    s = run.settings
    try:
        require_secret(s)
        old_keys_from(s.pii_key_old)
        if not s.pii_key or len(s.pii_key) < 32:
            raise MissingPiiKey("TIEPDON_PII_KEY (at least 32 characters) is not set")
        run.hospital = load_hospital_file(s.config_path)
    except (MissingSecret, MissingPiiKey) as exc:
        return Check("FAIL", "settings", "thiếu khoá bí mật", " ".join(str(exc).split()),
                     "đặt SECRET_KEY và TIEPDON_PII_KEY", "set SECRET_KEY and TIEPDON_PII_KEY")
    except (ConfigError, OSError) as exc:
        return Check("FAIL", "settings", f"tệp cấu hình bệnh viện lỗi ({s.config_path})",
                     f"hospital file invalid: {exc}", f"chạy tiepdon check-config {s.config_path}",
                     f"run tiepdon check-config {s.config_path}")
    if s.pii_key_old:
        return Check("WARN", "settings", "đang đổi khoá dữ liệu cá nhân (TIEPDON_PII_KEY_OLD)",
                     "a personal-data key rotation is under way (TIEPDON_PII_KEY_OLD is set)",
                     "chạy tiepdon rotate-pii-key rồi bỏ TIEPDON_PII_KEY_OLD",
                     "run tiepdon rotate-pii-key, then remove TIEPDON_PII_KEY_OLD")
    return Check("OK", "settings", f"cấu hình hợp lệ ({run.hospital.catalog.hospital_name_vi})",
                 "settings and hospital file valid")


def _database(run: _Run) -> Check:
    url = run.settings.database_url
    shown = make_url(url).render_as_string(hide_password=True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not os.path.exists(parsed.database):
        return Check("FAIL", "database", f"chưa có tệp cơ sở dữ liệu {parsed.database}",
                     f"no database file {parsed.database}", "chạy tiepdon db upgrade", "run tiepdon db upgrade")
    connect_args = {"connect_timeout": int(TIMEOUT_S)} if parsed.get_backend_name() == "postgresql" else {}
    engine = create_engine(url, connect_args=connect_args)
    try:
        current = current_revisions(engine)
    except Exception as exc:  # any driver's connection error
        cause = getattr(exc, "orig", None) or exc
        return Check("FAIL", "database", f"không kết nối được cơ sở dữ liệu ({shown})",
                     f"cannot connect to the database ({shown}): {type(cause).__name__}",
                     "kiểm tra DATABASE_URL, máy chủ CSDL đang chạy và cho phép người dùng này",
                     "check DATABASE_URL, that the database server runs and accepts this user")
    finally:
        engine.dispose()
    heads = head_revisions(url)
    if current != heads:
        have = ", ".join(sorted(current)) or "none"
        return Check("FAIL", "database", f"chưa nâng cấp (đang ở {have})",
                     f"not migrated (at {have}, need {', '.join(sorted(heads))})",
                     "sao lưu rồi chạy tiepdon db upgrade", "back up, then run tiepdon db upgrade")
    return Check("OK", "database", f"kết nối được, đã nâng cấp ({', '.join(sorted(current))})",
                 f"reachable and migrated ({', '.join(sorted(current))})")


def _redis(run: _Run) -> Check:
    url = run.settings.redis_url
    if not url:
        return Check("SKIP", "redis", "không dùng Redis (một tiến trình)", "no Redis configured (one process)")
    import redis  # lazy: an optional dependency, only with REDIS_URL

    try:
        redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S).ping()
    except redis.RedisError as exc:
        return Check("FAIL", "redis", "không kết nối được Redis", f"cannot reach Redis: {type(exc).__name__}",
                     "kiểm tra REDIS_URL và dịch vụ redis-server", "check REDIS_URL and that redis-server runs")
    return Check("OK", "redis", "Redis trả lời", "Redis answers")


def _endpoint(run: _Run, name: str, who: str, variable: str, url: str) -> Check:
    response, detail = run.reach(who, url)
    host = urlsplit(url).netloc
    if response is None:
        return Check("FAIL", name, f"không kết nối được {who} ({host})", f"cannot reach {who} ({host}): {detail}",
                     f"kiểm tra {variable}, mạng và tường lửa", f"check {variable}, the network and the firewall")
    return Check("OK", name, f"{who} kết nối được ({host})", f"{who} reachable ({host}, {detail})")


def _bhxh(run: _Run) -> Check:
    if not run.settings.bhxh_url:
        return Check("WARN", "bhxh", "chưa cấu hình cổng BHXH: thẻ BHYT chờ nhân viên kiểm tra",
                     "no BHXH gateway: BHYT card checks wait for staff",
                     "đặt BHXH_URL, BHXH_USERNAME, BHXH_PASSWORD", "set BHXH_URL, BHXH_USERNAME, BHXH_PASSWORD")
    return _endpoint(run, "bhxh", "BHXH", "BHXH_URL", run.settings.bhxh_url)


def _his(run: _Run) -> Check:
    s = run.settings
    if s.his_fhir_url:
        return _endpoint(run, "his", "HIS", "HIS_FHIR_URL", s.his_fhir_url.rstrip("/") + "/metadata")
    if s.his_xml0_dir:
        if os.path.isdir(s.his_xml0_dir) and os.access(s.his_xml0_dir, os.W_OK):
            return Check("OK", "his", f"thư mục XML0 ghi được ({s.his_xml0_dir})",
                         f"XML0 directory writable ({s.his_xml0_dir})")
        return Check("FAIL", "his", f"không ghi được thư mục XML0 {s.his_xml0_dir}",
                     f"cannot write the XML0 directory {s.his_xml0_dir}",
                     "tạo thư mục và cho người dùng dịch vụ quyền ghi",
                     "create it and let the service user write to it")
    return Check("WARN", "his", "chưa cấu hình HIS: lượt khám không được đăng ký sang HIS",
                 "no HIS configured: visits are not registered in the HIS",
                 "đặt HIS_FHIR_URL hoặc HIS_XML0_DIR", "set HIS_FHIR_URL or HIS_XML0_DIR")


def _vnpay(run: _Run) -> Check:
    if run.hospital is None:
        return Check("SKIP", "vnpay", "bỏ qua (tệp cấu hình lỗi)", "skipped (hospital file invalid)")
    ps = payment_settings(run.hospital.payments, run.settings, run.settings.public_url or "", None)
    if not ps.vnpay_enabled:
        return Check("SKIP", "vnpay", "không dùng VNPay", "VNPay not configured")
    return _endpoint(run, "vnpay", "VNPay", "VNPAY_API_URL", ps.vnpay_api_url)


def _sms(run: _Run) -> Check:
    s = run.settings
    if s.sms_gateway_url:
        return _endpoint(run, "sms", "SMS", "SMS_GATEWAY_URL", s.sms_gateway_url)
    if s.dev_sms:
        return Check("WARN", "sms", "SMS chỉ giữ trong bộ nhớ (TIEPDON_DEV_SMS), không gửi đi",
                     "SMS kept in memory (TIEPDON_DEV_SMS), never sent",
                     "khi chạy thật: đặt SMS_GATEWAY_URL và SMS_GATEWAY_KEY",
                     "for real use set SMS_GATEWAY_URL and SMS_GATEWAY_KEY")
    return Check("FAIL", "sms", "chưa cấu hình cổng SMS: máy chủ sẽ không khởi động",
                 "no SMS gateway: the server will not start",
                 "đặt SMS_GATEWAY_URL và SMS_GATEWAY_KEY", "set SMS_GATEWAY_URL and SMS_GATEWAY_KEY")


def _existing(path: str) -> str:
    path = os.path.abspath(path)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return path


def _disk(run: _Run) -> Check:
    places = [run.settings.backup_dir]
    parsed = make_url(run.settings.database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        places.insert(0, os.path.dirname(os.path.abspath(parsed.database)))
    worst = min((shutil.disk_usage(_existing(p)).free, p) for p in places)
    free, where = worst
    text = f"{free / (1 << 30):.1f} GiB"
    if free < DISK_FAIL_B:
        return Check("FAIL", "disk", f"gần hết chỗ trống ở {where} (còn {text})", f"almost no space left at {where} ({text})",
                     "giải phóng ổ đĩa hoặc chuyển bản sao lưu đi nơi khác", "free disk space or move backups elsewhere")
    if free < DISK_WARN_B:
        return Check("WARN", "disk", f"ít chỗ trống ở {where} (còn {text})", f"little space left at {where} ({text})",
                     "giải phóng ổ đĩa", "free disk space")
    return Check("OK", "disk", f"đủ chỗ trống (ít nhất {text})", f"enough free space (at least {text})")


def _backup(run: _Run) -> Check:
    s = run.settings
    if make_url(s.database_url).get_backend_name() == "postgresql" and shutil.which("pg_dump") is None:
        return Check("FAIL", "backup", "thiếu pg_dump: không sao lưu được", "pg_dump missing: no backup possible",
                     "cài gói postgresql-client", "install the postgresql-client package")
    manifests = list_backups(s.backup_dir)
    last = ""
    if manifests:
        age_h = (time.time() - os.path.getmtime(manifests[-1])) / 3600
        last = f"{age_h:.0f} h"
    if not s.backup_at:
        return Check("WARN", "backup", "chưa hẹn giờ sao lưu hằng ngày" + (f" (bản gần nhất {last} trước)" if last else ""),
                     "no daily backup scheduled" + (f" (last one {last} ago)" if last else ""),
                     "đặt TIEPDON_BACKUP_AT=02:30 hoặc chạy tiepdon backup bằng cron",
                     "set TIEPDON_BACKUP_AT=02:30 or run tiepdon backup from cron")
    if manifests and age_h > BACKUP_MAX_AGE_H:
        return Check("WARN", "backup", f"bản sao lưu gần nhất đã {last}", f"the last backup is {last} old",
                     "xem nhật ký máy chủ (job backup)", "see the server log (backup job)")
    return Check("OK", "backup", f"sao lưu hằng ngày lúc {s.backup_at} vào {s.backup_dir}",
                 f"daily backup at {s.backup_at} into {s.backup_dir}" + (f", last {last} ago" if last else ""))


def _expiry(name: str, what_vi: str, what_en: str, not_after: datetime, todo_vi: str, todo_en: str) -> Check:
    days = (not_after - datetime.now(timezone.utc)).total_seconds() / 86400
    if days < 0:
        return Check("FAIL", name, f"{what_vi} đã hết hạn ({not_after:%Y-%m-%d})",
                     f"{what_en} expired on {not_after:%Y-%m-%d}", todo_vi, todo_en)
    if days < CERT_WARN_DAYS:
        return Check("WARN", name, f"{what_vi} hết hạn sau {int(days)} ngày", f"{what_en} expires in {int(days)} days",
                     todo_vi, todo_en)
    return Check("OK", name, f"{what_vi} còn hạn {int(days)} ngày", f"{what_en} valid for {int(days)} days")


def _tls(run: _Run) -> Check:
    s = run.settings
    renew = ("gia hạn chứng chỉ TLS", "renew the TLS certificate")
    if s.tls_cert:
        with open(s.tls_cert, "rb") as fh:
            cert = x509.load_pem_x509_certificates(fh.read())[0]
        return _expiry("tls", "chứng chỉ TLS", "TLS certificate", cert.not_valid_after_utc, *renew)
    url = urlsplit(s.public_url or "")
    if url.scheme == "https" and url.hostname:
        pem = ssl.get_server_certificate((url.hostname, url.port or 443), timeout=TIMEOUT_S)
        cert = x509.load_pem_x509_certificate(pem.encode())
        return _expiry("tls", f"chứng chỉ TLS của {url.hostname}", f"TLS certificate of {url.hostname}",
                       cert.not_valid_after_utc, *renew)
    return Check("SKIP", "tls", "không cấu hình TLS ở đây", "no TLS configured here (TIEPDON_TLS_CERT, https public URL)")


def _signing(run: _Run) -> Check:
    s = run.settings
    if not s.his_signing_p12:
        return Check("SKIP", "signing", "không ký hồ sơ XML0", "XML0 records not signed here")
    with open(s.his_signing_p12, "rb") as fh:
        password = s.his_signing_p12_password.encode() if s.his_signing_p12_password else None
        _key, cert, _chain = pkcs12.load_key_and_certificates(fh.read(), password)
    return _expiry("signing", "chứng thư số ký XML0", "XML0 signing certificate", cert.not_valid_after_utc,
                   "xin chứng thư mới từ CA và đặt HIS_SIGNING_P12", "get a new certificate from the CA, set HIS_SIGNING_P12")


def _clock(run: _Run) -> Check:
    if not run.dates:
        return Check("SKIP", "clock", "không có máy chủ nào để so giờ; kiểm tra timedatectl (NTP)",
                     "no endpoint to compare the clock with; check timedatectl shows NTP synchronised")
    who, theirs, ours = run.dates[0]
    skew = ours - theirs.timestamp()
    text = f"{skew:+.0f} s"
    todo = ("bật đồng bộ giờ: timedatectl set-ntp true", "turn on time sync: timedatectl set-ntp true")
    if abs(skew) > CLOCK_FAIL_S:
        return Check("FAIL", "clock", f"đồng hồ lệch {text} so với {who}", f"clock off by {text} against {who}", *todo)
    if abs(skew) > CLOCK_WARN_S:
        return Check("WARN", "clock", f"đồng hồ lệch {text} so với {who}", f"clock off by {text} against {who}", *todo)
    return Check("OK", "clock", f"đồng hồ khớp {who} ({text})", f"clock agrees with {who} ({text})")


def exit_status(checks: list[Check]) -> int:
    return 1 if any(c.status == "FAIL" for c in checks) else 0

