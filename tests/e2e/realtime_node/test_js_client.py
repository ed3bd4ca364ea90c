"""The official JavaScript socket.io-client 4.x against a real `tiepdon serve`: the protocol as
browsers speak it, polling first and then the websocket upgrade."""
import json
import queue
import subprocess
import threading
import time

from tests.integration.realtime.live import Http


class NodeClient:
    def __init__(self, command: list[str], url: str, namespace: str, auth: dict):
        self.proc = subprocess.Popen(command + [url, namespace, json.dumps(auth), "60"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: queue.Queue = queue.Queue()
        self.heard: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def wait(self, event: str, timeout: float = 15.0) -> dict:
        """The next `event` not returned yet, in the order the client heard things. (Socket.IO
        delivers the state sent during the handshake just before the client's own "connect".)"""
        deadline = time.monotonic() + timeout
        while True:
            for i, item in enumerate(self.heard):
                if item["event"] == event:
                    del self.heard[i]
                    return item["data"]
            if time.monotonic() > deadline:
                break
            try:
                self.heard.append(self.lines.get(timeout=0.1))
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
        raise AssertionError(f"node client: no {event} (heard {[i['event'] for i in self.heard]}; "
                             f"stderr: {self._stderr()})")

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read()[-2000:]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def test_the_js_client_hears_a_call_made_over_http(node_client, server):
    http = Http(server.url, server.device_token).login()
    ticket = http.issue()
    display = NodeClient(node_client, server.url, "/display", {"display": "KHU-KHAM"})
    try:
        display.wait("connect")
        state = display.wait("display.state")
        assert state["display"]["code"] == "KHU-KHAM"
        assert display.wait("upgrade")["transport"] == "websocket"

        http.call_next("P101")
        called = display.wait("ticket.called")
        assert called["display_number"] == ticket["display_number"]
        assert called["service_point"]["code"] == "P101"
        assert called["seq"] == state["seq"] + 1
    finally:
        display.close()


def test_the_js_client_sees_a_refusal_with_its_reason(node_client, server):
    refused = NodeClient(node_client, server.url, "/patient", {"ticket": "khong-co", "token": "sai"})
    try:
        error = refused.wait("connect_error")
        assert error["message"] == "UNAUTHORIZED"
        assert error["data"]["code"] == "UNAUTHORIZED" and error["data"]["title_vi"]
    finally:
        refused.close()
