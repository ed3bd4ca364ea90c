"""Every 30 s: ask the printer how it is and tell the backend (POST /api/v1/devices/heartbeat).

Between beats the printer's status is read every `watch_s` seconds: a change (paper out, cover open,
back to ok) is sent at once, so staff see the fault when it happens, not up to a period later. The
answer doubles as the kiosk's connectivity check: an idle kiosk shows the offline screen as soon as a
heartbeat fails, and leaves it by itself when one succeeds again.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from .gateways.rest import Offline, Problem

log = logging.getLogger("kiosk.heartbeat")


class Heartbeat:
    def __init__(self, gateway, printer_status: Callable[[], str], *, interval_s: float = 30.0,
                 on_result: Callable[[str, str], None], watch_s: float = 2.0,
                 clock: Callable[[], float] = time.monotonic):
        """on_result(outcome, printer_status) with outcome ok | offline | unauthorized | refused."""
        self.gateway = gateway
        self.printer_status = printer_status
        self.interval_s = interval_s
        self.watch_s = min(watch_s, interval_s)
        self.clock = clock
        self.last_status: str | None = None  # the printer state the backend was last told
        self.on_result = on_result
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.last_outcome: str | None = None

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

    def beat(self, status: str | None = None) -> str:
        status = self.printer_status() if status is None else status
        self.last_status = status
        try:
            self.gateway.heartbeat(status)
            outcome = "ok"
        except Offline:
            outcome = "offline"
        except Problem as exc:
            outcome = "unauthorized" if exc.code in ("UNAUTHORIZED", "FORBIDDEN") else (
                "offline" if exc.code == "SERVICE_UNAVAILABLE" else "refused")
        self.sent += 1
        self.last_outcome = outcome
        self.on_result(outcome, status)
        return outcome

    def watch(self) -> bool:
        """Read the printer once; beat now if its state changed since the last beat."""
        status = self.printer_status()
        if status == self.last_status:
            return False
        log.info("printer now %s: heartbeat sent at once", status)
        self.beat(status)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:
                log.exception("heartbeat failed")
            next_beat = self.clock() + self.interval_s
            while not self._stop.is_set():
                woken = self._wake.wait(max(0.0, min(self.watch_s, next_beat - self.clock())))
                self._wake.clear()
                if woken or self.clock() >= next_beat:
                    break
                try:
                    self.watch()
                except Exception:
                    log.exception("printer watch failed")
