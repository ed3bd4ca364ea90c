"""The server's worker (KeepAliveThreadWorker) on a real `tiepdon serve`: kept-alive connections are
answered on the thread that answered them, without starving new connections or delaying a stop."""
import http.client
import json
import socket
import time

import pytest

from backend.adapters.db.migrate import upgrade
from tests.support.servers import ServerProcess

pytestmark = pytest.mark.slow


def get(conn: http.client.HTTPConnection, path="/api/v1/health") -> dict:
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200, body
    return json.loads(body)


def connect(server, timeout=5.0) -> http.client.HTTPConnection:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    conn.connect()
    return conn


@pytest.fixture
def server_with(sqlite_url):
    upgrade(sqlite_url)
    started = []

    def start(threads=8, linger_s=1.0):
        s = ServerProcess(sqlite_url, threads=threads, TIEPDON_KEEPALIVE_LINGER_S=linger_s).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def test_one_connection_serves_requests_before_and_after_its_linger_ends(server_with):
    server = server_with(linger_s=0.3)
    conn = connect(server)
    local = conn.sock.getsockname()
    for _ in range(5):
        assert "status" in get(conn)
    time.sleep(0.8)  # the thread gave the connection back to the main poller
    assert "status" in get(conn)
    assert conn.sock.getsockname() == local  # the same TCP connection throughout
    conn.close()


def test_pipelined_requests_are_both_answered(server_with):
    server = server_with()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        request = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
        sock.sendall(request * 2)
        received = b""
        while received.count(b"HTTP/1.1 200") < 2:
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk


def test_lingering_threads_leave_half_the_pool_for_new_connections(server_with):
    # 4 threads, each answered connection would hold its thread for 30 s if nothing capped it.
    server = server_with(threads=4, linger_s=30)
    idle = [connect(server) for _ in range(4)]
    for conn in idle:
        get(conn)
    fresh = connect(server, timeout=3)
    assert "status" in get(fresh)  # times out if all four threads were lingering
    for conn in idle + [fresh]:
        conn.close()


def test_a_lingering_connection_does_not_hold_up_a_stop(server_with):
    server = server_with(linger_s=30)
    conn = connect(server)
    get(conn)
    began = time.monotonic()
    server.stop()  # SIGTERM; after 10 s it would SIGKILL
    assert server.proc.returncode == 0
    assert time.monotonic() - began < 8
    conn.close()


@pytest.mark.parametrize("value", ["abc", "-1"])
def test_serve_refuses_a_bad_linger_setting(sqlite_url, value):
    import subprocess
    import sys

    from tests.support.servers import server_env

    upgrade(sqlite_url)
    env = server_env(sqlite_url, TIEPDON_KEEPALIVE_LINGER_S=value)
    done = subprocess.run([sys.executable, "-m", "backend.cli", "serve", "--port", "0"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "TIEPDON_KEEPALIVE_LINGER_S" in done.stderr and "phải là số giây" in done.stderr
