"""Per-kiosk configuration: a TOML file (config/kiosk.example.toml) plus the device token from the
environment. Secrets never come from the file."""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any, Mapping

from .flow import FlowConfig

TOKEN_ENV = "TIEPDON_KIOSK_TOKEN"


class KioskConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ScannerConfig:
    kind: str = "wedge"  # wedge | serial | none
    device: str | None = None  # serial: /dev/ttyACM0, or any pyserial URL (loop://, socket://)
    baudrate: int = 9600
    # Keyboard wedge: a scanner types a whole code in a burst; a person cannot type this fast.
    max_gap_ms: float = 50.0
    min_length: int = 8
    # Scanners set up without an Enter suffix: a burst that pauses this long counts as complete.
    end_on_pause_ms: float = 0.0

    def __post_init__(self):
        if self.kind not in ("wedge", "serial", "none"):
            raise KioskConfigError("scanner.kind must be wedge, serial or none")
        if self.kind == "serial" and not self.device:
            raise KioskConfigError("scanner.device is needed for a serial scanner")


@dataclass(frozen=True)
class ScreenConfig:
    width: int = 1080
    height: int = 1920
    fullscreen: bool = True
    sounds: bool = True


@dataclass(frozen=True)
class KioskConfig:
    backend_url: str
    device_token: str = field(repr=False)
    name: str = "kiosk"
    language: str = "vi"
    heartbeat_s: float = 30.0
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 15.0
    realtime: bool = True
    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    printer: dict | None = None  # printer_drivers.config.PrinterConfig keys; None = no printer
    screen: ScreenConfig = field(default_factory=ScreenConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)


def _section(raw: Mapping[str, Any], name: str) -> dict:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise KioskConfigError(f"[{name}] must be a table")
    return dict(value)


def _build(cls, values: dict, section: str):
    known = set(cls.__dataclass_fields__)
    unknown = set(values) - known
    if unknown:
        raise KioskConfigError(f"unknown keys in [{section}]: {sorted(unknown)}")
    try:
        return cls(**values)
    except TypeError as exc:
        raise KioskConfigError(f"[{section}]: {exc}") from None


def config_from_dict(raw: Mapping[str, Any], env: Mapping[str, str] | None = None) -> KioskConfig:
    env = os.environ if env is None else env
    kiosk = _section(raw, "kiosk")
    token_env = kiosk.pop("token_env", TOKEN_ENV)
    token = env.get(token_env, "")
    if not token:
        raise KioskConfigError(f"{token_env} is not set: the kiosk needs its device token "
                               "(tiepdon device add NAME prints it)")
    if env.get("TIEPDON_KIOSK_BACKEND"):
        kiosk["backend_url"] = env["TIEPDON_KIOSK_BACKEND"]
    if not kiosk.get("backend_url"):
        raise KioskConfigError("[kiosk] backend_url is required")
    language = kiosk.get("language", "vi")
    if language not in ("vi", "en"):
        raise KioskConfigError("[kiosk] language must be vi or en")
    flow_values = _section(raw, "timeouts")
    flow_values["default_language"] = language
    payment = _section(raw, "payment")
    if "method" in payment:
        # Any method the backend may offer (GET /services payment_methods); one it does not offer
        # falls back to the first it does.
        if not isinstance(payment["method"], str) or not re.fullmatch(r"[a-z][a-z0-9_-]{0,15}", payment["method"]):
            raise KioskConfigError("[payment] method must be a payment method name such as vietqr or vnpay")
        flow_values["payment_method"] = payment.pop("method")
    if payment:
        raise KioskConfigError(f"unknown keys in [payment]: {sorted(payment)}")
    printer = _section(raw, "printer") or None
    if printer is not None:
        from printer_drivers.config import PrinterConfig  # validates now, not at the first ticket

        try:
            PrinterConfig.from_dict(printer)
        except (TypeError, ValueError) as exc:
            raise KioskConfigError(f"[printer]: {exc}") from None
    return _build(KioskConfig, {
        **kiosk, "device_token": token,
        "scanner": _build(ScannerConfig, _section(raw, "scanner"), "scanner"),
        "screen": _build(ScreenConfig, _section(raw, "screen"), "screen"),
        "flow": _build(FlowConfig, flow_values, "timeouts"),
        "printer": printer,
    }, "kiosk")


def load_config(path: str, env: Mapping[str, str] | None = None) -> KioskConfig:
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise KioskConfigError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise KioskConfigError(f"{path}: {exc}") from None
    return config_from_dict(raw, env)
