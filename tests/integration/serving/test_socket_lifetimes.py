"""Issue 14: which Socket.IO connections the server refuses or closes by itself."""
import subprocess
import sys
import time

import pytest
import socketio
import websocket

from tests.integration.realtime.live import Listener
from tests.support.app import PASSWORD


def _refused(url: str, namespace: str) -> bool:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, namespaces=[namespace], transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


def test_only_the_api_namespaces_accept_connects(serve):
    s = serve()
    assert _refused(s.url, "/")
    assert _refused(s.url, "/admin")
    display = Listener(s.url, "/display", {"display": "KHU-KHAM"}).connect()
    assert display.client.connected
    display.close()


def _engineio_socket(url: str):
    ws = websocket.create_connection(url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
                                     timeout=15)
    assert ws.recv().startswith("0{")  # Engine.IO open packet
    return ws


def _closed_within(ws, seconds: float) -> bool:
    """True if the server closes the socket before `seconds` pass (pings are answered)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            message = ws.recv()
        except websocket.WebSocketTimeoutException:
            return False
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return True
        if message == "":
            return True
        if message == "2":
            ws.send("3")
    return False


def test_an_engineio_connection_that_joins_no_namespace_is_dropped(serve):
    s = serve(TIEPDON_SIO_CONNECT_TIMEOUT_S="1")
    silent = _engineio_socket(s.url)
    joined = _engineio_socket(s.url)
    joined.send('40/display,{"display": "KHU-KHAM"}')
    heard = [joined.recv(), joined.recv()]  # the state, then the connect's answer
    assert any(m.startswith("40/display,") for m in heard), heard
    assert _closed_within(silent, 8)
    assert not _closed_within(joined, 3)  # a client that joined stays
    joined.close()


def test_revoking_a_kiosk_closes_its_open_socket(serve):
    s = serve()
    kiosk = Listener(s.url, "/kiosk", {"token": s.token}).connect()
    assert kiosk.client.connected
    subprocess.run([sys.executable, "-m", "backend.cli", "device", "revoke", "kiosk-live"],
                   env=s.server.env, check=True, capture_output=True)
    revoked_at = time.monotonic()
    while kiosk.client.connected and time.monotonic() - revoked_at < 2.0:
        time.sleep(0.05)
    assert not kiosk.client.connected
    with pytest.raises(socketio.exceptions.ConnectionError):
        Listener(s.url, "/kiosk", {"token": s.token}).connect()


def test_signing_out_closes_every_staff_socket_of_the_account(serve):
    s = serve()
    desk, other_tab = s.http().login(), s.http().login()
    colleague = s.http().login("bs-noi")
    sockets = [Listener(s.url, "/staff", headers={"Cookie": h.cookie()}).connect()
               for h in (desk, other_tab, colleague)]
    assert all(x.client.connected for x in sockets)
    r = desk.staff.post(s.url + "/api/v1/auth/logout", timeout=10)
    assert r.status_code == 204
    out_at = time.monotonic()
    while any(x.client.connected for x in sockets[:2]) and time.monotonic() - out_at < 2.0:
        time.sleep(0.05)
    assert [x.client.connected for x in sockets] == [False, False, True]
    for x in sockets:
        x.close()
    assert PASSWORD  # the colleague's session is untouched
