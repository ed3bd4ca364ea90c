"""Every 30 s: ask the printer how it is and tell the backend (POST /api/v1/devices/heartbeat).

The answer doubles as the kiosk's connectivity check: an idle kiosk shows the offline screen as soon
as a heartbeat fails, and leaves it by itself when one succeeds again.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from .gateways.rest import Offline, Problem

log = logging.getLogger("kiosk.heartbeat")


class Heartbeat:
    def __init__(self, gateway, printer_status: Callable[[], str], *, interval_s: float = 30.0,
                 on_result: Callable[[str, str], None]):
        """on_result(outcome, printer_status) with outcome ok | offline | unauthorized | refused."""
        self.gateway = gateway
        self.printer_status = printer_status
        self.interval_s = interval_s
        self.on_result = on_result
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0

    def start(self) -> "Heartbeat":
        self._thread = threading.Thread(target=self._run, name="kiosk-heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    def beat_now(self) -> None:
        self._wake.set()

    def beat(self) -> str:
        status = self.printer_status()
        try:
            self.gateway.heartbeat(status)
            outcome = "ok"
        except Offline:
            outcome = "offline"
        except Problem as exc:
            outcome = "unauthorized" if exc.code in ("UNAUTHORIZED", "FORBIDDEN") else (
                "offline" if exc.code == "SERVICE_UNAVAILABLE" else "refused")
        self.sent += 1
        self.on_result(outcome, status)
        return outcome

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:
                log.exception("heartbeat failed")
            self._wake.wait(self.interval_s)
            self._wake.clear()
