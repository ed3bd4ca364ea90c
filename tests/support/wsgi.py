"""WSGI apps (simulators, stand-in receivers) served over real HTTP on 127.0.0.1, in threads."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from backend.simulators.vnpay import make_simulator_server


class WsgiServers:
    """start(app[, port]) -> base URL (port 0: a free one); stop_all() when the test is done."""

    def __init__(self):
        self._running = []

    def start(self, app, port: int = 0) -> str:
        server = make_simulator_server(app, "127.0.0.1", port)
        # A short poll interval keeps shutdown (which waits for one poll) from dominating test time.
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        thread.start()
        self._running.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    def stop_all(self) -> None:
        for server, thread in self._running:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        self._running.clear()


@contextmanager
def served(app, port: int = 0) -> Iterator[str]:
    servers = WsgiServers()
    try:
        yield servers.start(app, port)
    finally:
        servers.stop_all()


@pytest.fixture
def serve():
    """serve(app[, port]) -> base URL of a WSGI app on 127.0.0.1 (default: a free port), stopped after
    the test. A fixture: a conftest imports it to offer it."""
    servers = WsgiServers()
    yield servers.start
    servers.stop_all()
