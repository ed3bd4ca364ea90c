"""A TCP relay between the kiosk and the backend that a test can break on purpose.

modes: "pass" relays both ways; "down" refuses new connections and cuts open ones (the backend
is unreachable); "swallow" relays the next request whose first line starts with `swallow_prefix`
to the backend, throws its answer away and cuts every connection, then behaves as "down" — the worst
moment for a network failure: the backend acted, the kiosk never heard.
"""
from __future__ import annotations

import socket
import threading


class FaultyLink:
    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.mode = "pass"
        self.swallow_prefix = b"POST /api/v1/tickets "
        self.swallowed = 0
        self._last_request: dict[socket.socket, bytes] = {}
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True, name="faulty-link").start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str) -> None:
        assert mode in ("pass", "down", "swallow")
        with self._lock:
            self.mode = mode
            if mode == "down":
                self._cut_all()

    def _cut_all(self) -> None:
        for s in list(self._sockets):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self._sockets.clear()

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()
        with self._lock:
            self._cut_all()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode = self.mode
            if mode == "down":
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, True, client), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False, client), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, to_backend: bool, client) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if to_backend and data[:1].isalpha():
                    with self._lock:
                        self._last_request[client] = data[:64]
                if not to_backend:
                    with self._lock:
                        last = self._last_request.get(client, b"")
                        if self.mode == "swallow" and last.startswith(self.swallow_prefix):
                            # The backend has answered: drop it and cut the kiosk off.
                            self.mode = "down"
                            self.swallowed += 1
                            self._cut_all()
                            return
                        if self.mode == "down":
                            return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
