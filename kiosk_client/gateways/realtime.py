"""Socket.IO client on the /kiosk namespace (device token in `auth`), reconnecting by itself.

The backend pushes `invoice.updated` when a payment settles. The client never trusts an event as the
whole truth: the flow re-reads the invoice over REST on every event and after every (re)connect
(DESIGN rule 6), and polls slowly as well, so a missed event only costs a few seconds.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger("kiosk.realtime")
NAMESPACE = "/kiosk"


class KioskRealtime:
    def __init__(self, base_url: str, token: str, *, on_invoice: Callable[[dict], None],
                 on_connect: Callable[[], None] | None = None, retry_max_s: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.on_invoice = on_invoice
        self.on_connect = on_connect or (lambda: None)
        self.retry_max_s = retry_max_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sio = None
        self.connected = False
        self.connects = 0

    def start(self) -> "KioskRealtime":
        self._thread = threading.Thread(target=self._run, name="kiosk-socketio", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        sio = self._sio
        if sio is not None:
            try:
                sio.disconnect()
            except Exception:
                pass
        if self._thread:
            self._thread.join(timeout)

    def _client(self):
        import socketio

        # Built-in reconnection handles drops after a first connect; the loop below handles a
        # backend that is not there yet when the kiosk starts.
        sio = socketio.Client(reconnection=True, reconnection_delay=1,
                              reconnection_delay_max=self.retry_max_s, handle_sigint=False)

        @sio.on("connect", namespace=NAMESPACE)
        def _connected():
            self.connected = True
            self.connects += 1
            log.info("realtime connected")
            self.on_connect()

        @sio.on("disconnect", namespace=NAMESPACE)
        def _disconnected(*_args):
            self.connected = False
            log.info("realtime disconnected")

        @sio.on("invoice.updated", namespace=NAMESPACE)
        def _invoice(data):
            if isinstance(data, dict):
                self.on_invoice(data)

        return sio

    def _run(self) -> None:
        delay = 1.0
        while not self._stop.is_set():
            sio = self._client()
            self._sio = sio
            try:
                sio.connect(self.base_url, namespaces=[NAMESPACE], auth={"token": self.token},
                            transports=["websocket", "polling"], wait_timeout=5)
                delay = 1.0
                sio.wait()  # returns when the connection is gone for good
            except Exception as exc:
                log.info("realtime not available (%s); retrying in %.0f s", type(exc).__name__, delay)
            finally:
                self.connected = False
                try:
                    sio.disconnect()
                except Exception:
                    pass
            self._stop.wait(delay)
            delay = min(delay * 2, self.retry_max_s)
