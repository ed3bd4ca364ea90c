"""Printer configuration: which python-escpos backend, which model, and how long to wait.

Every wait is bounded: a kiosk must answer the patient within seconds whatever the printer does, and
an unbounded socket wait is how print jobs end up piling up and bursting out later.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

from .profiles import PrinterProfile, resolve_profile

KINDS = ("network", "usb", "serial", "file", "dummy")


def _as_int(value: Any) -> int:
    # USB ids are written in hex in every vendor datasheet ("0x04b8"); accept both spellings.
    if isinstance(value, str):
        return int(value, 0)
    return int(value)


@dataclass(frozen=True)
class PrinterConfig:
    kind: str
    host: str | None = None
    port: int = 9100
    vendor_id: int | None = None
    product_id: int | None = None
    usb_in_ep: int = 0x82
    usb_out_ep: int = 0x01
    device: str | None = None
    baudrate: int = 9600
    path: str | None = None
    profile: str | None = None
    width_dots: int | None = None
    # Per-kiosk overrides of the model's capabilities (None = take the profile's value).
    native_qr: bool | None = None
    cutter: bool | None = None
    raster_scaling: bool | None = None
    realtime_status: bool | None = None
    confirm_printed: bool | None = None
    clear_buffer: bool | None = None
    connect_timeout_s: float = 3.0
    io_timeout_s: float = 2.0
    # Ceiling for a whole job, printing included; a ticket prints in 1–3 s on a healthy printer.
    job_timeout_s: float = 15.0
    # While waiting for the printed confirmation, how often to ask why it has not come yet.
    status_poll_s: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"printer kind must be one of {KINDS}, not {self.kind!r}")
        if self.kind == "network" and not self.host:
            raise ValueError("network printer needs host")
        if self.kind == "usb" and (self.vendor_id is None or self.product_id is None):
            raise ValueError("usb printer needs vendor_id and product_id")
        if self.kind == "serial" and not self.device:
            raise ValueError("serial printer needs device")
        if self.kind == "file" and not self.path:
            raise ValueError("file printer needs path (e.g. /dev/usb/lp0)")
        for name in ("connect_timeout_s", "io_timeout_s", "job_timeout_s", "status_poll_s"):
            if not 0 < getattr(self, name) <= 120:
                raise ValueError(f"{name} must be within (0, 120] seconds")

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "PrinterConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown printer config keys: {sorted(unknown)}")
        values = dict(raw)
        for key in ("vendor_id", "product_id", "usb_in_ep", "usb_out_ep"):
            if values.get(key) is not None:
                values[key] = _as_int(values[key])
        return cls(**values)

    def printer_profile(self) -> PrinterProfile:
        profile = resolve_profile(self.profile, self.width_dots)
        overrides = {
            name: getattr(self, name)
            for name in ("native_qr", "cutter", "raster_scaling", "realtime_status", "confirm_printed", "clear_buffer")
            if getattr(self, name) is not None
        }
        return replace(profile, **overrides)
