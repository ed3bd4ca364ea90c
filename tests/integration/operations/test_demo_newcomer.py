"""What a newcomer meets after `make run` (issue 17.17): the banner's commands work as printed, a
busy port or a second demo writes nothing, ticket QR codes point where a phone can go."""
import fcntl
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from backend import demo
from tests.support.pg import free_port

pytestmark = pytest.mark.slow


def demo_env(demo_dir, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "TIEPDON_PUBLIC_URL")}
    env.update({"TIEPDON_DEMO_DIR": str(demo_dir), "TIEPDON_LOG_LEVEL": "WARNING"}, **extra)
    return env


def snapshot(directory) -> dict:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def used_demo_dir(tmp_path):
    """A demo directory a first demo left: its secrets and its simulators' addresses."""
    d = tmp_path / "demo"
    d.mkdir()
    (d / "secrets.env").write_text("SECRET_KEY=" + "s" * 48 + "\n")
    (d / "payments.env").write_text("VNPAY_PAYMENT_URL=http://127.0.0.1:8701/paymentv2/vpcpay.html\n")
    (d / ".lock").write_text("")
    return d


def test_a_busy_port_is_refused_before_anything_is_written(used_demo_dir):
    before = snapshot(used_demo_dir)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "backend.cli", "demo", "--port", str(port),
                                 "--host", "127.0.0.1"], env=demo_env(used_demo_dir),
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"Port {port} is in use" in result.stderr and f"Cổng {port} đang bận" in result.stderr
    assert snapshot(used_demo_dir) == before


def test_a_second_demo_from_the_same_directory_is_refused_and_writes_nothing(used_demo_dir):
    before = snapshot(used_demo_dir)
    fd = os.open(used_demo_dir / ".lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the first demo, still running
    try:
        result = subprocess.run([sys.executable, "-m", "backend.cli", "demo", "--port", str(free_port()),
                                 "--host", "127.0.0.1"], env=demo_env(used_demo_dir),
                                capture_output=True, text=True, timeout=60)
    finally:
        os.close(fd)
    assert result.returncode == 2
    assert "Another demo is running" in result.stderr
    assert snapshot(used_demo_dir) == before


def test_the_public_url_is_the_lan_address_unless_told_otherwise():
    env = {}
    assert demo.demo_addresses(8000, None, None, env, detect=lambda: "192.168.1.23") == \
        ("0.0.0.0", "http://192.168.1.23:8000")
    # no network: this machine only
    assert demo.demo_addresses(8000, None, None, env, detect=lambda: None) == ("127.0.0.1", "http://localhost:8000")
    # --host 127.0.0.1: this machine only, whatever the network
    assert demo.demo_addresses(8000, "127.0.0.1", None, env, detect=lambda: "192.168.1.23") == \
        ("127.0.0.1", "http://localhost:8000")
    # overrides: --public-url, then TIEPDON_PUBLIC_URL
    assert demo.demo_addresses(8000, None, "http://10.0.0.5:8000/", env, detect=lambda: "192.168.1.23") == \
        ("0.0.0.0", "http://10.0.0.5:8000")
    assert demo.demo_addresses(8000, None, None, {"TIEPDON_PUBLIC_URL": "http://tiepdon.lan"},
                               detect=lambda: "192.168.1.23") == ("0.0.0.0", "http://tiepdon.lan")


def test_the_lan_address_is_an_address_of_this_machine_not_loopback():
    address = demo.lan_address()
    if address is None:  # no route off this machine: then a phone could not reach it either
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe, pytest.raises(OSError):
            probe.connect(("198.51.100.1", 9))
        return
    assert not address.startswith("127.")
    with socket.socket() as s:
        s.bind((address, 0))  # only an address of this machine's own interfaces can be bound


def test_the_banner_prints_commands_that_work_and_qr_codes_a_phone_can_open(tmp_path):
    port = free_port()
    lan = demo.lan_address() or "127.0.0.1"  # a machine with no network: the override alone is tested
    public = f"http://{lan}:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "demo", "--port", str(port),
                             "--public-url", public], env=demo_env(tmp_path / "demo"),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        banner = []
        for line in proc.stdout:
            banner.append(line.rstrip("\n"))
            if "Ctrl+C" in line:
                break
        text = "\n".join(banner)
        assert f"phones on your network (ticket QR codes): {public}" in text
        pay = re.search(r"pay from the demo: (.+) pay vnpay N001", text)
        assert pay, text
        command = shlex.split(pay.group(1))
        assert command[0] != "tiepdon" or subprocess.run(["which", "tiepdon"], capture_output=True).returncode == 0
        assert os.access(command[0], os.X_OK), command
        kiosk = re.search(r"^\s+kiosk\s+kiosk-demo-1\s+(\S+)$", text, re.M).group(1)

        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{public}/api/v1/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the demo's server did not answer on its public URL"
            time.sleep(0.2)
        r = requests.post(f"{public}/api/v1/tickets", headers={"Authorization": f"Bearer {kiosk}"},
                          json={"service_code": "KHAM-NOI", "coverage": "self_pay"}, timeout=10)
        assert r.status_code == 201, r.text
        assert r.json()["track_url"].startswith(public + "/t/")
        paid = subprocess.run(command + ["pay", "vnpay", r.json()["display_number"]],
                              env=demo_env(tmp_path / "demo"), capture_output=True, text=True, timeout=60)
        assert paid.returncode == 0, paid.stderr
        assert "IPN sent to the backend" in paid.stdout
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
