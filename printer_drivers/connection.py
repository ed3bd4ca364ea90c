"""Bounded byte channels to a printer, built on python-escpos backends.

python-escpos opens the devices; this module adds what a kiosk needs on top: every write and read
has a deadline, reads can be polled, and a failed job can be *abandoned* so no unsent bytes trickle
out to the printer later (TCP reset instead of a graceful close, serial output buffer discarded,
non-blocking writes for device files).
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time
from typing import Callable

from escpos.printer import Dummy, File, Network, Serial

from .config import PrinterConfig
from .profiles import PrinterProfile

WRITE_CHUNK = 4096


class LinkError(Exception):
    """The channel failed; `detail` is a short reason code for logs ("timeout", "connection_lost"…)."""

    def __init__(self, detail: str, message: str = "") -> None:
        super().__init__(message or detail)
        self.detail = detail


class Link:
    can_read = False

    def write(self, data: bytes, timeout: float) -> None:
        raise NotImplementedError

    def read(self, timeout: float) -> bytes:
        """Bytes available within `timeout` (b"" if none); LinkError if the channel is gone."""
        raise LinkError("read_not_supported")

    def drain(self) -> None:
        while self.can_read and self.read(0.0):
            pass

    def close(self, abandon: bool = False) -> None:
        """Close; with abandon=True, drop anything not yet delivered instead of flushing it."""


class NetworkLink(Link):
    can_read = True

    def __init__(self, config: PrinterConfig, profile: PrinterProfile) -> None:
        self._printer = Network(config.host, config.port, timeout=config.connect_timeout_s, profile=profile.escpos())
        try:
            self._printer.open()
        except Exception as exc:  # python-escpos wraps OSError in DeviceNotFoundError
            self._printer.device = False
            raise LinkError("connect_failed", str(exc)) from exc
        self._socket: socket.socket = self._printer.device

    def write(self, data: bytes, timeout: float) -> None:
        self._socket.settimeout(max(timeout, 0.001))
        try:
            self._printer._raw(data)
        except socket.timeout as exc:
            raise LinkError("timeout") from exc
        except OSError as exc:
            raise LinkError("connection_lost", str(exc)) from exc

    def read(self, timeout: float) -> bytes:
        try:
            ready, _, _ = select.select([self._socket], [], [], max(timeout, 0.0))
            if not ready:
                return b""
            self._socket.settimeout(1.0)
            data = self._printer._read()
        except socket.timeout:
            return b""
        except OSError as exc:
            raise LinkError("connection_lost", str(exc)) from exc
        if not data:
            raise LinkError("connection_lost", "printer closed the connection")
        return data

    def close(self, abandon: bool = False) -> None:
        if abandon:
            # SO_LINGER 0 turns close() into a reset: the kernel discards unsent job bytes instead of
            # delivering them whenever a stalled printer starts accepting data again.
            try:
                self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self._socket.close()
            except OSError:
                pass
            self._printer.device = False
            return
        self._printer.close()


class SerialLink(Link):
    can_read = True

    def __init__(self, config: PrinterConfig, profile: PrinterProfile) -> None:
        self._printer = Serial(config.device, config.baudrate, timeout=config.io_timeout_s, profile=profile.escpos())
        try:
            self._printer.open()
        except Exception as exc:
            self._printer.device = False
            raise LinkError("connect_failed", str(exc)) from exc
        self._port = self._printer.device

    def write(self, data: bytes, timeout: float) -> None:
        self._port.write_timeout = max(timeout, 0.001)
        try:
            self._printer._raw(data)
        except Exception as exc:  # pyserial raises SerialTimeoutException / SerialException
            raise LinkError("timeout" if "timeout" in type(exc).__name__.lower() else "connection_lost", str(exc)) from exc

    def read(self, timeout: float) -> bytes:
        self._port.timeout = max(timeout, 0.0)
        try:
            return self._printer._read()
        except Exception as exc:
            raise LinkError("connection_lost", str(exc)) from exc

    def close(self, abandon: bool = False) -> None:
        try:
            if abandon:
                self._port.reset_output_buffer()
            else:
                # python-escpos flushes on close, which waits without limit on a stalled printer.
                deadline = time.monotonic() + 5.0
                while self._port.out_waiting and time.monotonic() < deadline:
                    time.sleep(0.05)
                self._port.reset_output_buffer()
            self._port.close()
        except Exception:  # closing a vanished USB-serial adapter may raise; nothing left to save
            pass
        self._printer.device = False


class UsbLink(Link):
    can_read = True

    def __init__(self, config: PrinterConfig, profile: PrinterProfile) -> None:
        try:
            from escpos.printer import Usb
            import usb.core  # noqa: F401  (pyusb: python-escpos's optional dependency)
        except ImportError as exc:
            raise LinkError("usb_unavailable", "pyusb is not installed") from exc
        self._printer = Usb(
            config.vendor_id,
            config.product_id,
            timeout=int(config.io_timeout_s * 1000),
            in_ep=config.usb_in_ep,
            out_ep=config.usb_out_ep,
            profile=profile.escpos(),
        )
        try:
            self._printer.open()
        except Exception as exc:
            self._printer.device = False
            raise LinkError("connect_failed", str(exc)) from exc

    def write(self, data: bytes, timeout: float) -> None:
        self._printer.timeout = max(1, int(timeout * 1000))
        try:
            self._printer._raw(data)
        except Exception as exc:
            raise LinkError("timeout" if "timeout" in str(exc).lower() else "connection_lost", str(exc)) from exc

    def read(self, timeout: float) -> bytes:
        device = self._printer.device
        try:
            return bytes(device.read(self._printer.in_ep, 16, max(1, int(timeout * 1000))))
        except Exception as exc:
            if "timeout" in str(exc).lower() or "timed out" in str(exc).lower():
                return b""
            raise LinkError("connection_lost", str(exc)) from exc

    def close(self, abandon: bool = False) -> None:
        try:
            self._printer.close()
        except Exception:
            pass


class FileLink(Link):
    """A device file such as /dev/usb/lp0: write-only, so no status and no printed confirmation."""

    def __init__(self, config: PrinterConfig, profile: PrinterProfile) -> None:
        self._printer = File(config.path, profile=profile.escpos())
        try:
            self._printer.open()
        except Exception as exc:
            self._printer.device = False
            raise LinkError("connect_failed", str(exc)) from exc
        self._fd = self._printer.device.fileno()
        # A blocking write to a paused printer never returns; non-blocking + select keeps a deadline.
        os.set_blocking(self._fd, False)

    def write(self, data: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LinkError("timeout")
            _, ready, _ = select.select([], [self._fd], [], remaining)
            if not ready:
                continue
            try:
                written = os.write(self._fd, view)
            except BlockingIOError:
                continue
            except OSError as exc:
                raise LinkError("connection_lost", str(exc)) from exc
            view = view[written:]

    def close(self, abandon: bool = False) -> None:
        try:
            self._printer.close()
        except Exception:
            pass


class DummyLink(Link):
    """Keeps the bytes in memory (python-escpos Dummy): for demos without a printer."""

    def __init__(self, config: PrinterConfig, profile: PrinterProfile) -> None:
        self._printer = Dummy(profile=profile.escpos())

    def write(self, data: bytes, timeout: float) -> None:
        self._printer._raw(data)

    @property
    def output(self) -> bytes:
        return self._printer.output


_FACTORIES: dict[str, Callable[[PrinterConfig, PrinterProfile], Link]] = {
    "network": NetworkLink,
    "serial": SerialLink,
    "usb": UsbLink,
    "file": FileLink,
    "dummy": DummyLink,
}


def open_link(config: PrinterConfig, profile: PrinterProfile) -> Link:
    return _FACTORIES[config.kind](config, profile)
