"""deploy/nginx/tiepdon.conf in front of a real `tiepdon serve`: Debian's nginx with the shipped site
file (its placeholders, ports and log paths filled in here), TLS with a throwaway certificate.

A ticket over HTTPS, a lobby TV's Socket.IO over a websocket through the proxy, static files from
the package's folder served by nginx itself, and rate limits that count each client behind nginx."""
import http.client
import ipaddress
import os
import queue
import shutil
import socket
import ssl
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import socketio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.web import STATIC
from tests.integration.realtime.live import Http, prepare_db
from tests.support.app import ROOT
from tests.support.pg import free_port
from tests.support.servers import ServerProcess

SITE = Path(ROOT) / "deploy" / "nginx" / "tiepdon.conf"


def throwaway_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tiepdon.test")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def render_site(tmp: Path, backend_port: int, tls_port: int, http_port: int, cert: Path, key: Path) -> str:
    """The shipped file, with what docs/deploy.md tells hospital IT to fill in, and this test's ports."""
    site = SITE.read_text()
    for placeholder, value in {"@SERVER_NAME@": "tiepdon.test", "@TLS_CERTIFICATE@": str(cert),
                               "@TLS_KEY@": str(key), "@STATIC_DIR@": STATIC}.items():
        assert placeholder in site
        site = site.replace(placeholder, value)
    for shipped, here in {"server 127.0.0.1:8000;": f"server 127.0.0.1:{backend_port};",
                          "listen 443 ssl http2;": f"listen 127.0.0.1:{tls_port} ssl http2;",
                          "listen [::]:443 ssl http2;": "",
                          "listen 80;": f"listen 127.0.0.1:{http_port};",
                          "listen [::]:80;": "",
                          "/var/log/nginx/tiepdon.access.log": str(tmp / "access.log")}.items():
        assert shipped in site
        site = site.replace(shipped, here)
    return site


class Nginx:
    def __init__(self, tmp: Path, site: str, port: int):
        self.tmp, self.port = tmp, port
        (tmp / "site.conf").write_text(site)
        user = "user root root;" if os.geteuid() == 0 else ""  # its workers read the static folder
        (tmp / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        assert os.path.exists(nginx), "nginx is missing: run `make test` (scripts/system-deps.sh test installs it)"
        check = subprocess.run([nginx, "-t", "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen([nginx, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(tmp / "nginx.conf"),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stderr.read().decode()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("nginx did not listen")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def behind_nginx(sqlite_url, tmp_path):
    token = prepare_db(sqlite_url)
    server = ServerProcess(sqlite_url, TIEPDON_TRUSTED_PROXIES="127.0.0.1",
                           TIEPDON_RATE_PUBLIC="0.01/3").start()
    cert, key = throwaway_certificate(tmp_path)
    tls_port, http_port = free_port(), free_port()
    proxy = Nginx(tmp_path, render_site(tmp_path, server.port, tls_port, http_port, cert, key), tls_port)
    yield f"https://127.0.0.1:{tls_port}", token, cert, http_port
    proxy.stop()
    server.stop()


def get_services_from(address: str, port: int, cert: Path) -> int:
    """GET /api/v1/services through nginx from a chosen loopback address (127.0.0.0/8 is all local)."""
    context = ssl.create_default_context(cafile=str(cert))
    conn = http.client.HTTPSConnection("127.0.0.1", port, source_address=(address, 0), context=context, timeout=10)
    try:
        conn.request("GET", "/api/v1/services")
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_ticket_a_lobby_tv_static_files_and_limits_through_nginx(behind_nginx):
    url, token, cert, http_port = behind_nginx
    tls = requests.Session()
    tls.trust_env = False  # or REQUESTS_CA_BUNDLE in the environment would replace `verify`
    tls.verify = str(cert)

    # plain HTTP is sent to HTTPS
    r = requests.get(f"http://127.0.0.1:{http_port}/kiosk", allow_redirects=False, timeout=10)
    assert r.status_code == 301 and r.headers["Location"].startswith("https://")

    # a lobby TV on /display, websocket through the proxy
    heard: queue.Queue = queue.Queue()
    tv = socketio.Client(reconnection=False, http_session=tls)  # its verify: the throwaway CA
    tv.on("*", lambda event, data=None: heard.put((event, data)), namespace="/display")
    tv.connect(url, namespaces=["/display"], auth={"display": "KHU-KHAM"}, transports=["websocket"],
               wait_timeout=10)
    try:
        assert tv.transport() == "websocket"
        assert next_event(heard, "display.state")["rooms"]

        # a kiosk's ticket over HTTPS; the answer names nginx's request id
        r = tls.post(url + "/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                     headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 201, r.text
        assert len(r.headers["X-Request-ID"]) == 32
        number = r.json()["display_number"]

        # staff calls it; the TV hears it through nginx
        staff = Http(url, token)
        staff.staff.trust_env, staff.staff.verify = False, str(cert)
        staff.login("bs-noi")
        assert staff.call_next("P101")["display_number"] == number
        called = next_event(heard, "ticket.called")
        assert number in str(called)
    finally:
        tv.disconnect()

    # static files come from the package's folder, served by nginx (with its caching headers)
    css = sorted(os.listdir(os.path.join(STATIC, "css")))[0]
    r = tls.get(f"{url}/web/static/css/{css}", timeout=10)
    assert r.status_code == 200 and r.content == Path(STATIC, "css", css).read_bytes()
    assert "Expires" in r.headers and r.headers["X-Content-Type-Options"] == "nosniff"

    # the public limit (3 then refused) counts each client behind nginx, not nginx
    port = int(url.rsplit(":", 1)[1])
    assert [get_services_from("127.0.0.2", port, cert) for _ in range(4)] == [200, 200, 200, 429]
    assert get_services_from("127.0.0.3", port, cert) == 200


def next_event(heard: queue.Queue, name: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {name} within {timeout} s"
        try:
            event, data = heard.get(timeout=left)
        except queue.Empty:
            continue
        if event == name:
            return data
