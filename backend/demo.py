"""`tiepdon demo`: the whole product on one machine, with generated secrets and demo accounts.

Secrets are generated on first run and kept in var/demo/secrets.env (mode 600), so sessions and
tokens survive a restart of the demo. Nothing here is for production.
"""
import fcntl
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import click

from .adapters.db.migrate import upgrade
from .bootstrap import build_container
from .demo_simulators import start_demo_kiosk, start_identity_simulators, start_printer_simulator
from .services.auth import add_device, add_staff
from .settings import ROOT, Settings
from .settings.hospital import load_hospital_file
from .simulators.bank import create_bank_simulator
from .simulators.vnpay import create_vnpay_simulator, make_simulator_server

DEMO_DIR = os.environ.get("TIEPDON_DEMO_DIR") or os.path.join(ROOT, "var", "demo")
SECRETS_FILE = os.path.join(DEMO_DIR, "secrets.env")
CREDENTIALS_FILE = os.path.join(DEMO_DIR, "credentials.txt")

DEMO_STAFF = [
    ("admin", "Quản trị hệ thống", "admin", ""),
    ("tiepdon", "Nguyễn Thị Hoa", "reception", ""),
    ("phong101", "BS. Trần Văn Minh", "room", "P101"),
    ("thungan", "Lê Thị Thu", "cashier", "TN1,TN2"),
]


def _load_or_create_secrets() -> dict:
    os.makedirs(DEMO_DIR, exist_ok=True)
    values: dict[str, str] = {}
    if os.path.exists(SECRETS_FILE):
        with open(SECRETS_FILE, encoding="utf-8") as fh:
            for line in fh:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    values[k] = v
    wanted = ["SECRET_KEY", "TIEPDON_PII_KEY", "VNPAY_HASH_SECRET", "BANK_WEBHOOK_SECRET"]
    changed = False
    for key in wanted:
        if key not in values:
            values[key] = secrets.token_urlsafe(48)
            changed = True
    if changed:
        fd = os.open(SECRETS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for k, v in values.items():
                fh.write(f"{k}={v}\n")
    return values


def lan_address() -> str | None:
    """This machine's address on its network (the one its default route leaves by), or None.
    A UDP socket "connected" to a documentation address sends nothing; it only picks the route."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("198.51.100.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if ipaddress.ip_address(address).is_loopback or address == "0.0.0.0" else address


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_addresses(port: int, host: str | None = None, public_url: str | None = None,
                   env: Mapping[str, str] | None = None,
                   detect: Callable[[], str | None] = lan_address) -> tuple[str, str]:
    """(address the server listens on, public URL in ticket QR codes and links).

    The public URL: --public-url, else TIEPDON_PUBLIC_URL, else this machine's LAN address (so a
    real phone can open a ticket's QR), else localhost; `--host 127.0.0.1` keeps it all on this
    machine. The server listens on every interface only when the public URL is not loopback."""
    env = os.environ if env is None else env
    url = public_url or env.get("TIEPDON_PUBLIC_URL")
    if not url:
        lan = detect() if host is None or not _loopback(host) else None
        url = f"http://{lan}:{port}" if lan else f"http://localhost:{port}"
    url = url.rstrip("/")
    if host is None:
        host = "127.0.0.1" if _loopback(urlsplit(url).hostname or "localhost") else "0.0.0.0"
    return host, url


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def tiepdon_command() -> str:
    """How to type `tiepdon` here: the bare name when the shell finds this one, else its path
    (`.venv/bin/tiepdon` after `make run`, which does not put the virtualenv on PATH)."""
    script = os.path.join(os.path.dirname(sys.executable), "tiepdon")
    if not os.path.exists(script):
        return f"{sys.executable} -m backend.cli"
    if shutil.which("tiepdon") == script:
        return "tiepdon"
    return _shown(script)


def _shown(path: str) -> str:
    """A path as a person types it here: relative under the current directory, else absolute."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else os.path.abspath(path)


def _hold_demo_dir():
    """One demo per directory: a second one would overwrite the first one's simulator addresses.
    The lock is held until this process ends."""
    os.makedirs(DEMO_DIR, exist_ok=True)
    fd = os.open(os.path.join(DEMO_DIR, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def prepare_demo_environment(port: int, base: Mapping[str, str] | None = None,
                             public_url: str | None = None) -> dict[str, str]:
    """The demo's environment, built here and handed to what it starts (the `tiepdon serve` child,
    the kiosk): this process's environment, the demo's secrets over it, and demo defaults where the
    environment says nothing. This process's own environment is left as it is."""
    env = dict(os.environ if base is None else base)
    env.update(_load_or_create_secrets())
    env.setdefault("DATABASE_URL", f"sqlite:///{os.path.join(DEMO_DIR, 'tiepdon.db')}")
    env.setdefault("TIEPDON_PUBLIC_URL", public_url or f"http://localhost:{port}")
    # The demo must work at any hour; a real hospital keeps its opening hours.
    env.setdefault("TIEPDON_IGNORE_OPENING_HOURS", "1")
    # No SMS gateway in the demo: sign-in codes stay in the admin-only outbox.
    env.setdefault("TIEPDON_DEV_SMS", "1")
    return env


def seed_demo_accounts(settings: "Settings") -> list[tuple[str, str, str]]:
    """Creates the demo staff and kiosk once; returns (what, login, secret) lines to show."""
    if os.path.exists(CREDENTIALS_FILE):
        with open(CREDENTIALS_FILE, encoding="utf-8") as fh:
            return [tuple(line.rstrip("\n").split("\t")) for line in fh if line.strip()]
    deps = build_container(settings).deps
    lines = []
    for username, name, role, points in DEMO_STAFF:
        password = secrets.token_urlsafe(9)
        add_staff(deps, username, name, role, password, [p for p in points.split(",") if p])
        lines.append((f"staff/{role}", username, password))
    _, token = add_device(deps, "kiosk-demo-1")
    lines.append(("kiosk", "kiosk-demo-1", token))
    fd = os.open(CREDENTIALS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write("\t".join(line) + "\n")
    return lines


def run_demo(host: str | None, port: int, public_url: str | None = None) -> None:
    host, public_url = demo_addresses(port, host, public_url)
    # Before anything is written: a busy port or a demo already running from this directory.
    if port_in_use(host, port):
        _refuse(f"Cổng {port} đang bận (bản demo khác đang chạy?): dừng nó hoặc dùng --port {port + 1}.\n"
                f"Port {port} is in use (another demo running?): stop it or use --port {port + 1}.")
    if _hold_demo_dir() is None:
        _refuse(f"Một bản demo khác đang chạy từ {DEMO_DIR}: dừng nó trước (Ctrl+C).\n"
                f"Another demo is running from {DEMO_DIR}: stop it first (Ctrl+C).")
    env = prepare_demo_environment(port, public_url=public_url)
    public_url = env["TIEPDON_PUBLIC_URL"]
    simulators = start_identity_simulators(env)
    printer_links, printer = start_printer_simulator(os.path.join(DEMO_DIR, "printed"))
    simulators.update(printer_links)
    simulators.update(start_payment_simulators(env, port))
    settings = Settings.from_env(env=env)
    upgrade(settings.database_url)
    creds = seed_demo_accounts(settings)
    base = public_url
    command = tiepdon_command()
    click.echo("")
    click.echo("Tiếp Đón — bản chạy thử / demo")
    click.echo(f"  API:        {base}/api/v1/services")
    click.echo(f"  OpenAPI:    {base}/api/v1/openapi.json")
    click.echo(f"  Health:     {base}/api/v1/health")
    click.echo(f"  Nhân viên / staff dashboard:   {base}/staff/")
    click.echo(f"  TV sảnh / lobby displays:      {base}/display/SANH-A   {base}/display/KHU-KHAM")
    if _loopback(urlsplit(base).hostname or "localhost"):
        click.echo("  Điện thoại / phones: chỉ máy này / this machine only — for a phone on your network "
                   "use --public-url http://<LAN address>:%d" % port)
    else:
        click.echo(f"  Điện thoại / phones on your network (ticket QR codes): {base}  "
                   f"(listening on {host}; change with --public-url, or --host 127.0.0.1 for this machine only)")
    for name, url in simulators.items():
        click.echo(f"  {name}: {url}")
    click.echo(f"  Trả tiền thử / pay from the demo: {command} pay vnpay N001  |  {command} pay bank N001")
    click.echo(f"  Tài khoản / accounts (also in {_shown(os.path.join(DEMO_DIR, 'credentials.txt'))}):")
    for what, login, secret in creds:
        click.echo(f"    {what:16} {login:14} {secret}")
    kiosk_token = next(secret for what, _login, secret in creds if what == "kiosk")
    kiosk = start_demo_kiosk(f"http://127.0.0.1:{port}", kiosk_token, DEMO_DIR, printer, env)
    if kiosk is None:
        click.echo("  Máy kiosk / kiosk: no screen here; on a desktop run: "
                   f"TIEPDON_KIOSK_TOKEN=<kiosk token> {command} kiosk --config "
                   f"{_shown(os.path.join(DEMO_DIR, 'kiosk.toml'))} --windowed")
    click.echo("  Ctrl+C để dừng / to stop")
    sys.stdout.flush()
    _serve_until_stopped(host, port, env)


def _refuse(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _serve_until_stopped(host: str, port: int, env: Mapping[str, str]) -> None:
    """The server is a `tiepdon serve` child process, exactly as in production: it starts clean and
    patched for its event loop, while the simulators stay here on ordinary threads."""
    server = subprocess.Popen([sys.executable, "-m", "backend.cli", "serve", "--host", host, "--port", str(port)],
                              env=dict(env))

    def stop(*_):
        server.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.exit(server.wait())


PAYMENTS_ENV_FILE = os.path.join(DEMO_DIR, "payments.env")


def _serve_on(app, port: int) -> int:
    """Serve `app` on 127.0.0.1:`port`, or on a free port if that one is taken."""
    try:
        server = make_simulator_server(app, "127.0.0.1", port)
    except OSError:
        server = make_simulator_server(app, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, name="demo-payment-sim", daemon=True).start()
    return server.server_port


def start_payment_simulators(env: dict[str, str], port: int) -> dict[str, str]:
    """VNPay sandbox and bank simulators calling this demo's IPN and webhook. Their addresses go to
    `env` (for the backend) and to var/demo/payments.env (for `tiepdon pay`)."""
    settings = Settings.from_env(env=env)
    hospital = load_hospital_file(settings.config_path).payments
    backend = f"http://127.0.0.1:{port}/api/v1/payments"
    tmn_code = env.setdefault("VNPAY_TMN_CODE", "DEMO0001")
    vnpay = create_vnpay_simulator(tmn_code, env["VNPAY_HASH_SECRET"], f"{backend}/vnpay/ipn")
    vnpay_url = f"http://127.0.0.1:{_serve_on(vnpay, port + 701)}"
    bank = create_bank_simulator(f"{backend}/bank-webhook", env["BANK_WEBHOOK_SECRET"],
                                 hospital.get("bank_account", "1012345678"),
                                 bank_bin=hospital.get("bank_bin", "970436"))
    bank_url = f"http://127.0.0.1:{_serve_on(bank, port + 702)}"
    runtime = {
        "DATABASE_URL": env["DATABASE_URL"],
        "VNPAY_TMN_CODE": tmn_code,
        "VNPAY_PAYMENT_URL": f"{vnpay_url}/paymentv2/vpcpay.html",
        "VNPAY_API_URL": f"{vnpay_url}/merchant_webapi/api/transaction",
        "BANK_SIMULATOR_URL": bank_url,
    }
    env.update(runtime)
    fd = os.open(PAYMENTS_ENV_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.writelines(f"{k}={v}\n" for k, v in runtime.items())
    return {"VNPay (giả lập / simulator)": f"{vnpay_url}/_sim/ipn-log",
            "Ngân hàng (giả lập) / bank simulator": f"{bank_url}/_sim/transfers"}


def load_demo_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """For `tiepdon pay` in another terminal: the running demo's database, secrets and simulators,
    as an environment for that command's settings. Values already in the environment win, so the
    command also works against a configured setup."""
    env = dict(os.environ if base is None else base)
    for path in (SECRETS_FILE, PAYMENTS_ENV_FILE):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if "=" in line:
                        key, value = line.rstrip("\n").split("=", 1)
                        env.setdefault(key, value)
    env.setdefault("TIEPDON_IGNORE_OPENING_HOURS", "1")
    return env
