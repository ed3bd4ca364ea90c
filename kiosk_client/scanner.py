"""Card scanners: keyboard wedge (the scanner pretends to be a keyboard) and serial (USB-CDC/VCOM).

Wedge: a scanner "types" a whole QR in a burst a few milliseconds per character and ends with
Enter; a person — or a stray key on a service keyboard — is at least ten times slower. So a burst
counts as a scan only when every gap between its characters is below ``max_gap_ms`` and it is at
least ``min_length`` long; anything slower is dropped, never sent anywhere.

Serial: the scanner sends the QR's bytes as they are, ended by CR or LF. Bytes that are not UTF-8
are passed on with U+FFFD in their place, so the backend's card parser refuses the scan with a clear
reason (CARD_UNREADABLE / CARD_NAME_INVALID) instead of the kiosk inventing a patient.

Neither class imports Kivy: the app feeds WedgeDecoder from the window's key events.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

log = logging.getLogger("kiosk.scanner")

TERMINATORS = ("\r", "\n", "\t")


class WedgeDecoder:
    def __init__(self, on_scan: Callable[[str], None], *, max_gap_ms: float = 50.0, min_length: int = 8,
                 end_on_pause_ms: float = 0.0, clock: Callable[[], float] = time.monotonic):
        self.on_scan = on_scan
        self.max_gap = max_gap_ms / 1000.0
        self.min_length = min_length
        self.end_on_pause = end_on_pause_ms / 1000.0
        self.clock = clock
        self._buffer: list[str] = []
        self._last: float | None = None
        self.rejected = 0  # slow or short bursts dropped (counts only: never their content)

    def feed_text(self, text: str) -> None:
        """Characters as the window received them (one key, or several from an input method)."""
        now = self.clock()
        self._expire(now)
        for ch in text:
            if ch in TERMINATORS:
                self.end(now)
                continue
            if self._last is not None and now - self._last > self.max_gap:
                # Too slow to be the same scan: start over from this character.
                if self._buffer:
                    self.rejected += 1
                self._buffer = []
            self._buffer.append(ch)
            self._last = now

    def end(self, now: float | None = None) -> None:
        """Enter (or Tab) was pressed."""
        now = self.clock() if now is None else now
        buffer, last = self._buffer, self._last
        self._buffer, self._last = [], None
        if not buffer:
            return
        if last is not None and now - last > self.max_gap:
            self.rejected += 1  # a person pressed Enter after typing: not a scan
            return
        if len(buffer) < self.min_length:
            self.rejected += 1
            return
        self.on_scan("".join(buffer))

    def poll(self) -> None:
        """Called regularly: completes a burst that ended without Enter (scanner without suffix)."""
        self._expire(self.clock())

    def _expire(self, now: float) -> None:
        if not self._buffer or self._last is None:
            return
        idle = now - self._last
        if self.end_on_pause and idle >= self.end_on_pause:
            buffer = self._buffer
            self._buffer, self._last = [], None
            if len(buffer) >= self.min_length:
                self.on_scan("".join(buffer))
            else:
                self.rejected += 1
        elif idle > max(self.max_gap * 20, 1.0):
            self._buffer, self._last = [], None
            self.rejected += 1


class SerialScanner:
    """Reads lines from a serial scanner on a thread; `on_scan` is called on that thread."""

    def __init__(self, device: str, on_scan: Callable[[str], None], *, baudrate: int = 9600,
                 reopen_s: float = 2.0, port=None):
        self.device = device
        self.baudrate = baudrate
        self.on_scan = on_scan
        self.reopen_s = reopen_s
        self._port = port  # an open pyserial port (tests pass serial_for_url("loop://"))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = False

    def start(self) -> "SerialScanner":
        self._thread = threading.Thread(target=self._run, name="serial-scanner", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    def _open(self):
        import serial

        return serial.serial_for_url(self.device, baudrate=self.baudrate, timeout=0.2)

    def _run(self) -> None:
        while not self._stop.is_set():
            port = self._port
            try:
                if port is None:
                    port = self._open()
                self.connected = True
                self._read(port)
            except Exception as exc:  # unplugged, permission, missing device: keep trying
                log.warning("serial scanner %s unavailable: %s", self.device, type(exc).__name__)
            finally:
                self.connected = False
                if self._port is None and port is not None:
                    try:
                        port.close()
                    except Exception:
                        pass
            self._stop.wait(self.reopen_s)

    def _read(self, port) -> None:
        buffer = bytearray()
        while not self._stop.is_set():
            chunk = port.read(512)
            if not chunk:
                continue
            for byte in chunk:
                if byte in (0x0D, 0x0A):
                    if buffer:
                        self._emit(bytes(buffer))
                        buffer.clear()
                elif len(buffer) < 4096:  # a QR holds far less; a stuck scanner must not eat memory
                    buffer.append(byte)

    def _emit(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace")
        if "\ufffd" in text:
            log.warning("serial scan was not valid UTF-8 (%d bytes): passed on for refusal", len(raw))
        self.on_scan(text)
