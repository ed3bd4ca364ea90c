"""`tiepdon` — the command hospital IT uses: serve, db upgrade, staff add, device add, demo…"""
import sys

from .serving.early_patch import patch_if_serving

patch_if_serving(sys.argv)  # first: see early_patch.py

import getpass  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
from datetime import timedelta  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import click  # noqa: E402

from .adapters.logs import configure_logging  # noqa: E402  (standard library only: nothing to patch)
from .domain.errors import DomainError  # noqa: E402  (pure: no framework, nothing to patch)


def _settings(overrides=None, env=None):
    """The process settings; `env`: an environment built by the command instead of this process's."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .settings import InvalidSetting, Settings

    try:
        return Settings.from_env(overrides, env=env)
    except InvalidSetting as exc:
        _fail(str(exc))


def _deps(check_migrations=True, env=None):
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .bootstrap import build_container
    from .settings.hospital import ConfigError

    settings = _settings(env=env)
    try:
        return build_container(settings, check_migrations=check_migrations).deps
    except (RuntimeError, ConfigError) as exc:  # a setting it cannot start with: say which, no traceback
        _fail(_setting_error(exc, settings))


def _setting_error(exc: Exception, settings) -> str:
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .settings.hospital import ConfigError

    if isinstance(exc, ConfigError):
        return f"Cấu hình lỗi / configuration error in {settings.config_path}: {exc}"
    return str(exc)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


@click.group()
def main():
    """Tiếp Đón — tiếp đón tự phục vụ / self-service hospital reception."""
    fmt = (os.environ.get("TIEPDON_LOG_FORMAT") or "text").strip().lower()
    if fmt not in ("text", "json"):
        _fail(f"TIEPDON_LOG_FORMAT phải là text hoặc json / must be text or json: {fmt!r}")
    configure_logging(os.environ.get("TIEPDON_LOG_LEVEL", "INFO"), fmt)
    logging.getLogger("alembic").setLevel(logging.WARNING)


@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
def db_upgrade():
    """Create or migrate the database schema (DATABASE_URL)."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .adapters.db.migrate import upgrade

    url = _settings().database_url
    if url.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(os.path.abspath(url[len("sqlite:///"):])), exist_ok=True)
    upgrade(url)
    click.echo("Đã nâng cấp cơ sở dữ liệu / database is up to date")


@main.command()
@click.option("--dir", "directory", default=None, help="Backup directory (default: TIEPDON_BACKUP_DIR, var/backups)")
@click.option("--keep", type=int, default=None, help="Backups kept, newest first (default: TIEPDON_BACKUP_KEEP, 14)")
def backup(directory, keep):
    """Copy the database while the server runs, with a sha256 manifest; old copies beyond --keep go."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .adapters.db.backup import BackupError, backup_database

    settings = _settings()
    try:
        made = backup_database(settings.database_url, directory or settings.backup_dir,
                               keep=keep if keep is not None else settings.backup_keep)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Đã sao lưu / backed up: {made.path} ({made.size} bytes, sha256 {made.sha256})")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a database that already holds data")
def restore(path, force):
    """Bring a backup (its copy or its .json manifest) back into DATABASE_URL; stop the server first."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .adapters.db.backup import BackupError, restore_database

    settings = _settings()
    try:
        manifest = restore_database(path, settings.database_url, force=force)
    except BackupError as exc:
        _fail(str(exc))
    click.echo(f"Đã khôi phục / restored {manifest['file']} ({manifest['created_at']}); "
               "chạy / then run: tiepdon db upgrade && tiepdon doctor")


@main.command()
def doctor():
    """Check this deployment: settings, database, Redis, BHXH/HIS/VNPay/SMS, disk, backups, TLS, clock."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .doctor import exit_status, run_checks

    checks = run_checks()
    for check in checks:
        click.echo(check.line())
    sys.exit(exit_status(checks))


@main.command("rotate-pii-key")
@click.option("--batch", type=int, default=100, show_default=True, help="Rows rewritten per write transaction")
def rotate_pii_key(batch):
    """Re-encrypt patient and payer data under TIEPDON_PII_KEY, reading with TIEPDON_PII_KEY_OLD;
    the server keeps serving (restart it with both keys first — README "Keys")."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .services.pii_rotation import NotRotating, rotate_pii_key as rotate

    deps = _deps()
    try:
        report = rotate(deps, batch=max(1, batch))
    except NotRotating:
        _fail("Chưa đặt TIEPDON_PII_KEY_OLD: đặt TIEPDON_PII_KEY = khoá mới, TIEPDON_PII_KEY_OLD = khoá cũ.\n"
              "TIEPDON_PII_KEY_OLD is not set: set TIEPDON_PII_KEY to the new key and TIEPDON_PII_KEY_OLD "
              "to the old one (README \"Keys\").")
    for line in report.lines():
        click.echo(line)
    click.echo("Xong: bỏ TIEPDON_PII_KEY_OLD và khởi động lại máy chủ / done: remove TIEPDON_PII_KEY_OLD "
               "and restart the server")


@main.command()
@click.option("--host", default=lambda: os.environ.get("TIEPDON_HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("TIEPDON_PORT", "8000")), type=int, show_default="8000")
@click.option("--workers", default=1, type=int, show_default=True,
              help="Backend processes on consecutive ports (needs REDIS_URL and a sticky balancer).")
def serve(host, port, workers):
    """Run the production server (gunicorn, gevent event loop)."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .bootstrap import build_container
    from .serving.gunicorn_app import TiepDonServer
    from .settings.hospital import ConfigError

    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from sqlalchemy.exc import DBAPIError

    settings = _checked_settings()
    try:
        # Fail here, clearly, rather than inside a worker. Disposed before gunicorn forks: a
        # worker must not inherit this process's SQLite connections (and their -shm mapping).
        build_container(settings, for_server=True).engine.dispose()
    except (RuntimeError, ConfigError) as exc:
        _fail(_setting_error(exc, settings))
    except DBAPIError as exc:
        _fail("Không mở được cơ sở dữ liệu / cannot open the database (DATABASE_URL): "
              f"{type(exc.orig).__name__}: {exc.orig}")
    if workers > 1:
        if not settings.redis_url:
            _fail("--workers > 1 cần REDIS_URL / needs REDIS_URL so every process reaches every client")
        _serve_many(host, port, workers)
        return
    TiepDonServer(f"{host}:{port}", settings).run()


def _checked_settings():
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .settings import InvalidSetting

    try:
        return _settings()
    except InvalidSetting as exc:
        _fail(str(exc))


def _serve_many(host, port, workers):

    procs = [
        subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--host", host, "--port", str(port + i)])
        for i in range(workers)
    ]
    click.echo(f"{workers} processes on ports {port}–{port + workers - 1}: put a sticky balancer "
               "(nginx ip_hash) in front — see README")

    def stop(*_):
        for p in procs:
            p.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    codes = [p.wait() for p in procs]
    sys.exit(max(codes))


@main.group()
def staff():
    """Staff accounts."""


@staff.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name, e.g. 'Nguyễn Thị Hoa'")
@click.option("--role", type=click.Choice(["admin", "reception", "room", "cashier"]), required=True)
@click.option("--points", default="", help="Service points for room/cashier roles, e.g. P101,P102")
@click.option("--password-env", default=None, help="Read the password from this environment variable")
def staff_add(username, full_name, role, points, password_env):
    """Add a staff account (password asked for, never on the command line)."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .services.auth import add_staff

    if password_env:
        password = os.environ.get(password_env, "")
    else:
        password = getpass.getpass("Mật khẩu / password: ")
    try:
        member = add_staff(_deps(), username, full_name, role, password,
                           [p.strip() for p in points.split(",") if p.strip()])
    except DomainError as exc:
        _fail(f"Không tạo được tài khoản / could not add staff: {exc.code}")
    click.echo(f"Đã tạo / created: {member.username} ({member.role})")


@main.group()
def device():
    """Kiosk devices."""


@device.command("add")
@click.argument("name")
def device_add(name):
    """Register a kiosk; prints its token once (only a hash is stored)."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .services.auth import add_device

    try:
        _, token = add_device(_deps(), name)
    except DomainError as exc:
        _fail(f"Không tạo được thiết bị / could not add device: {exc.code}")
    click.echo(token)


@device.command("revoke")
@click.argument("name")
def device_revoke(name):
    """Revoke a kiosk's token at once."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .services.auth import revoke_device

    try:
        revoke_device(_deps(), name)
    except DomainError as exc:
        _fail(f"Không thu hồi được / could not revoke: {exc.code}")
    click.echo(f"Đã thu hồi / revoked: {name}")


@device.command("list")
def device_list():
    """Kiosks with their last heartbeat and printer state."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .services.auth import list_devices

    for d in list_devices(_deps()):
        click.echo(f"{d.name:20} {d.kind:8} {'REVOKED' if d.revoked else 'active':8} "
                   f"{d.printer_status or '-':12} {d.last_seen_at or '-'}")


@main.command("check-config")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def check_config(path):
    """Validate the hospital configuration file: PATH, or the configured one (TIEPDON_CONFIG)."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .settings.hospital import ConfigError, load_hospital_file

    path = path or _settings().config_path
    try:
        hospital = load_hospital_file(path)
    except (ConfigError, OSError) as exc:
        _fail(f"Cấu hình lỗi / configuration error in {path}: {exc}")
    catalog = hospital.catalog
    click.echo(f"OK: {catalog.hospital_name_vi} — {len(catalog.services)} dịch vụ/services, "
               f"{len(catalog.points)} quầy-phòng/service points")


@main.command()
@click.option("--config", "config_path", default=lambda: os.environ.get("TIEPDON_KIOSK_CONFIG", "config/kiosk.toml"),
              show_default="config/kiosk.toml", help="The kiosk's TOML file (see config/kiosk.example.toml)")
@click.option("--windowed", is_flag=True, help="A window instead of full screen (demo)")
def kiosk(config_path, windowed):
    """Run the lobby kiosk (Kivy) against the configured backend; token from TIEPDON_KIOSK_TOKEN."""
    # Imported here: Kivy must never load in the backend's processes.
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from kiosk_client.app import run as run_kiosk
    from kiosk_client.config import KioskConfigError, load_config

    try:
        config = load_config(config_path)
    except KioskConfigError as exc:
        _fail(f"Cấu hình máy kiosk lỗi / kiosk configuration error: {exc}")
    run_kiosk(config, windowed=windowed)


@main.command()
@click.option("--port", default=8000, type=int, show_default=True)
@click.option("--host", default=None,
              help="Listen address (default: every interface when the public URL is a LAN address, else 127.0.0.1)")
@click.option("--public-url", default=None,
              help="URL in ticket QR codes and links (default: TIEPDON_PUBLIC_URL, else http://<LAN address>:PORT)")
def demo(port, host, public_url):
    """Everything on one machine: SQLite, simulators, demo accounts. Generates its own secrets."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .demo import run_demo

    run_demo(host, port, public_url)


@main.group()
def payments():
    """Cashless payment housekeeping."""


@payments.command("reconcile")
@click.option("--min-age-min", type=float, default=None,
              help="Ask VNPay about payments older than this many minutes (default: [payments] querydr_after_min)")
def payments_reconcile(min_age_min):
    """Expire overdue invoices and ask VNPay (querydr) about payments whose IPN never came."""

    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .services.payments import run_payment_jobs

    min_age = timedelta(minutes=min_age_min) if min_age_min is not None else None
    report = run_payment_jobs(_deps(), min_age=min_age)
    click.echo(" ".join(f"{k}={v}" for k, v in sorted(report.items())) or "nothing to do")


@main.group()
@click.pass_context
def pay(ctx):
    """Demo: pay an invoice through the VNPay or bank simulator (`tiepdon demo` must be running)."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .demo import load_demo_environment

    ctx.obj = load_demo_environment()  # the running demo's settings, for the commands below


def _demo_env() -> dict:
    return click.get_current_context().obj or {}


def _demo_invoice(deps, ident):
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .services.payments import find_invoice

    try:
        return find_invoice(deps, ident)
    except DomainError as exc:
        _fail(f"Không tìm thấy hoá đơn / no invoice for {ident!r}: {exc.code}")


@pay.command("vnpay")
@click.argument("ident", metavar="INVOICE-OR-TICKET")
@click.option("--code", default="00", show_default=True, help="vnp_ResponseCode: 00 pays, 24 cancels, 51 no funds")
def pay_vnpay(ident, code):
    """The patient pays with VNPay (VNPAYQR): the simulator settles and calls our IPN."""

    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    import requests

    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .domain import actors
    from .services.payments import start

    deps = _deps(env=_demo_env())
    invoice = _demo_invoice(deps, ident)
    try:
        payment = start(deps, invoice.id, "vnpay", ip_addr="127.0.0.1", actor=actors.CLI)
    except DomainError as exc:
        _fail(f"Không thanh toán được / cannot pay: {exc.code}")
    parts = urlsplit(payment.payment_url)
    answer = requests.post(f"{parts.scheme}://{parts.netloc}/_sim/pay",
                           json={"payment_url": payment.payment_url, "response_code": code}, timeout=10)
    if answer.status_code != 200:
        _fail(f"Máy giả lập VNPay từ chối / VNPay simulator refused: {answer.json().get('error')}")
    click.echo(f"VNPay {payment.txn_ref}: {answer.json()['description']} — IPN sent to the backend")


@pay.command("bank")
@click.argument("ident", metavar="INVOICE-OR-TICKET")
@click.option("--amount", type=int, default=None, help="VND (default: the invoice amount)")
def pay_bank(ident, amount):
    """The patient transfers to the hospital's account (VietQR): the bank simulator calls our webhook."""
    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    import requests

    # lazy: only this subcommand needs these (a fast CLI; kiosk PCs lack the server's deps)
    from .services.payments import start

    deps = _deps(env=_demo_env())
    invoice = _demo_invoice(deps, ident)
    bank_url = _demo_env().get("BANK_SIMULATOR_URL")
    if not bank_url:
        _fail("BANK_SIMULATOR_URL chưa đặt / not set: start `tiepdon demo` first")
    try:
        qr = start(deps, invoice.id, "vietqr")
    except DomainError as exc:
        _fail(f"Không thanh toán được / cannot pay: {exc.code}")
    answer = requests.post(f"{bank_url}/_sim/transfer", timeout=10, json={
        "amount": amount or qr.amount, "content": f"{qr.reference} thanh toan vien phi", "decorate": True})
    delivery = answer.json().get("delivery", {})
    click.echo(f"Chuyển khoản / transfer {answer.json().get('transaction_id')}: "
               f"HTTP {delivery.get('http_status')} {delivery.get('response')}")


if __name__ == "__main__":
    main()
