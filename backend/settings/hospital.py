"""The hospital's TOML file, parsed once into typed sections: the catalog (hospital, hours, services,
points, queue, displays), the [payments] table and the appointment policy.

A mistake fails loudly and specifically: ConfigError carries the key path (`services[2].fee_vnd`,
0-based like the file's order of [[services]] tables) and, found by reading the file's text, its
line. TOML syntax errors keep tomllib's own line and column.
"""
from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any, NoReturn

from ..domain.appointments import AppointmentPolicy, Geofence, SlotRule
from ..domain.catalog import COVERAGES, Catalog, OpeningHours, Service, ServicePoint

DAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}


class ConfigError(ValueError):
    """A hospital file the server cannot run with: what is wrong, where (key path) and on which line."""

    def __init__(self, message: str, key_path: str | None = None, line: int | None = None):
        self.message, self.key_path, self.line = message, key_path, line
        where = ", ".join(part for part in (f"line {line}" if line else "", key_path or "") if part)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class HospitalFile:
    path: str | None
    catalog: Catalog
    payments: dict[str, Any]  # [payments] values by PaymentSettings field name (settings/payments.py)
    appointments: AppointmentPolicy


def load_hospital_file(path: str, ignore_hours: bool = False,
                       appointment_overrides: dict | None = None) -> HospitalFile:
    """Read and check the whole file. `appointment_overrides` (tests) merge over [appointments]."""
    with open(path, "rb") as fh:
        data = fh.read()
    text = data.decode("utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        raise ConfigError(f"not valid TOML: {exc}", line=int(found.group(1)) if found else None) from None
    return hospital_from_dict(raw, ignore_hours, appointment_overrides, base_dir=str(Path(path).parent),
                              text=text, path=path)


def hospital_from_dict(raw: dict, ignore_hours: bool = False, appointment_overrides: dict | None = None,
                       base_dir: str = ".", text: str | None = None, path: str | None = None) -> HospitalFile:
    where = _Where(text)
    catalog = _catalog(raw, ignore_hours, where)
    return HospitalFile(
        path=path,
        catalog=catalog,
        payments=_payments(raw.get("payments", {}), base_dir, where),
        appointments=_appointments(raw, appointment_overrides, where),
    )


def load_catalog(path: str, ignore_hours: bool = False) -> Catalog:
    return load_hospital_file(path, ignore_hours).catalog


def catalog_from_dict(raw: dict, ignore_hours: bool = False) -> Catalog:
    return _catalog(raw, ignore_hours, _Where(None))


# -- where a key is: its line in the file's text ---------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)([^\[\]]+)\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def _plain(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


def _key_lines(text: str) -> dict[str, int]:
    """Every table header and key of the file → its first line, keyed like `points[3].services`."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            name = _plain(header.group(2))
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                table = f"{name}[{counts[name]}]"
            else:
                table = name
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault(f"{table}.{_plain(key.group(1))}" if table else _plain(key.group(1)), number)
    return lines


class _Where:
    def __init__(self, text: str | None):
        self._lines = _key_lines(text) if text is not None else {}

    def line(self, key_path: str) -> int | None:
        """The key's line; for a key that is not there, the line of the table it belongs in."""
        path = key_path
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path.rpartition(".")[0]
        return None

    def fail(self, key_path: str, message: str) -> NoReturn:
        raise ConfigError(message, key_path, self.line(key_path))


def _required(table: dict, key: str, table_path: str, where: _Where):
    if key not in table:
        where.fail(f"{table_path}.{key}" if table_path else key, f"missing required setting: {key}")
    return table[key]


def _whole(table: dict, key: str, default: int, table_path: str, where: _Where, least: int | None = None) -> int:
    value = table.get(key, default)
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value)
    except (TypeError, ValueError):
        where.fail(f"{table_path}.{key}", f"{key} must be a whole number, not {value!r}")
    if least is not None and number < least:
        where.fail(f"{table_path}.{key}", f"{key} must be {least} or more")
    return number


def _section(raw: dict, name: str, where: _Where) -> dict:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        where.fail(name, f"[{name}] must be a table")
    return value


# -- catalog ---------------------------------------------------------------------------------------

def _clock(text: str) -> time:
    hh, mm = text.split(":")
    if hh == "24" and mm == "00":
        return time(23, 59, 59, 999999)
    return time(int(hh), int(mm))


def _days(spec: str) -> list[int]:
    days: list[int] = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            days.extend(range(DAYS[a], DAYS[b] + 1))
        else:
            days.append(DAYS[part])
    return days


def parse_hours(spec: str) -> OpeningHours:
    """`Mon-Fri 07:00-11:30 13:30-17:00; Sat 07:00-11:30`."""
    periods: dict[int, list[tuple[time, time]]] = {}
    try:
        for clause in filter(None, (c.strip() for c in spec.split(";"))):
            day_spec, *ranges = clause.split()
            spans = []
            for r in ranges:
                start, end = r.split("-")
                spans.append((_clock(start), _clock(end)))
            for d in _days(day_spec):
                periods.setdefault(d, []).extend(spans)
    except (AttributeError, KeyError, ValueError) as exc:
        raise ConfigError(f"opening hours not understood: {spec!r}") from exc
    return OpeningHours({d: tuple(s) for d, s in periods.items()})


def _hours_at(spec, key_path: str, where: _Where) -> OpeningHours:
    try:
        return parse_hours(spec)
    except ConfigError as exc:
        where.fail(key_path, exc.message)


def _named_hours(raw: dict, where: _Where) -> dict[str, OpeningHours]:
    return {name: _hours_at(spec, f"hours.{name}", where) for name, spec in _section(raw, "hours", where).items()}


def _fee(value) -> int | None:
    """Whole VND, 0 or more (a number written as text, as the file has always allowed, too)."""
    if isinstance(value, bool):
        return None
    try:
        fee = int(value)
    except (TypeError, ValueError):
        return None
    if fee < 0 or (isinstance(value, float) and fee != value):
        return None
    return fee


def _service(s: dict, at: str, named_hours: dict, ignore_hours: bool, where: _Where) -> Service:
    code = _required(s, "code", at, where)
    hours_spec = s.get("hours", "allday")
    if ignore_hours:
        hours = OpeningHours.always()
    elif hours_spec in named_hours:
        hours = named_hours[hours_spec]
    elif hours_spec == "allday":
        hours = OpeningHours.always()
    else:
        hours = _hours_at(hours_spec, f"{at}.hours", where)
    fee = _fee(s.get("fee_vnd", 0))
    if fee is None:
        where.fail(f"{at}.fee_vnd", f"service {code}: fee must be a whole number of VND")
    coverages = tuple(s.get("coverages", ["bhyt", "self_pay"]))
    for c in coverages:
        if c not in COVERAGES:
            where.fail(f"{at}.coverages", f"service {code}: unknown coverage {c}")
    return Service(
        code=code,
        prefix=_required(s, "prefix", at, where),
        name_vi=_required(s, "name_vi", at, where),
        name_en=_required(s, "name_en", at, where),
        kind=s.get("kind", "clinic"),
        coverages=coverages,
        fee_vnd=fee,
        hours=hours,
        room_vi=s.get("room_vi", ""),
        room_en=s.get("room_en", ""),
        directions_vi=s.get("directions_vi", ""),
        directions_en=s.get("directions_en", ""),
        payment_before_call=bool(s.get("payment_before_call", False)),
        long_wait_min=_whole(s, "long_wait_min", 45, at, where),
        default_service_s=_whole(s, "default_service_s", 360, at, where),
        kiosk=bool(s.get("kiosk", True)),
    )


def _point(p: dict, at: str, services: dict, where: _Where) -> ServicePoint:
    code = _required(p, "code", at, where)
    name_vi, name_en = _required(p, "name_vi", at, where), _required(p, "name_en", at, where)
    served = tuple(_required(p, "services", at, where))
    for service in served:
        if service not in services:
            where.fail(f"{at}.services", f"service point {code} serves unknown service {service}")
    return ServicePoint(code=code, name_vi=name_vi, name_en=name_en, services=served,
                        room_vi=p.get("room_vi", name_vi), room_en=p.get("room_en", name_en),
                        display=p.get("display", "lobby"))


def _catalog(raw: dict, ignore_hours: bool, where: _Where) -> Catalog:
    hospital = _required(raw, "hospital", "", where)
    named_hours = _named_hours(raw, where)
    services: dict[str, Service] = {}
    prefixes: dict[str, str] = {}
    for i, s in enumerate(_required(raw, "services", "", where)):
        service = _service(s, f"services[{i}]", named_hours, ignore_hours, where)
        if service.prefix in prefixes:
            where.fail(f"services[{i}].prefix",
                       f"prefix {service.prefix} used by {prefixes[service.prefix]} and {service.code}")
        prefixes[service.prefix] = service.code
        services[service.code] = service
    points = {}
    for i, p in enumerate(raw.get("points", [])):
        point = _point(p, f"points[{i}]", services, where)
        points[point.code] = point
    queue = _section(raw, "queue", where)
    displays = {k: (_required(v, "name_vi", f"displays.{k}", where), _required(v, "name_en", f"displays.{k}", where))
                for k, v in _section(raw, "displays", where).items()}
    catalog = Catalog(
        hospital_code=str(_required(hospital, "code", "hospital", where)),
        hospital_name_vi=_required(hospital, "name_vi", "hospital", where),
        hospital_name_en=_required(hospital, "name_en", "hospital", where),
        services=services,
        points=points,
        priority_boost_min=_whole(queue, "priority_boost_min", 30, "queue", where),
        skip_requeue_limit=_whole(queue, "skip_requeue_limit", 1, "queue", where),
        track_token_days=_whole(queue, "track_token_days", 7, "queue", where, least=0),
        displays=displays,
    )
    try:
        catalog.validate()  # the domain's own rules; the ones above already named their place
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return catalog


# -- [payments] ------------------------------------------------------------------------------------

# key in the file → (PaymentSettings field, type)
_PAYMENT_KEYS: dict[str, tuple[str, type]] = {
    "invoice_ttl_min": ("invoice_ttl_min", int), "bank_bin": ("bank_bin", str), "account": ("bank_account", str),
    "account_name": ("account_name", str), "reference_prefix": ("reference_prefix", str),
    "banks_csv": ("banks_csv", str), "querydr_after_min": ("querydr_after_min", int),
    "querydr_window_h": ("querydr_window_h", int), "vnpay_payment_url": ("vnpay_payment_url", str),
    "vnpay_api_url": ("vnpay_api_url", str), "cashier": ("cashier", bool),
    "cashier_where_vi": ("cashier_where_vi", str), "cashier_where_en": ("cashier_where_en", str),
    "on_timeout": ("on_timeout", str),
}  # fmt: skip


def _payments(section: dict, base_dir: str, where: _Where) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, (name, kind) in _PAYMENT_KEYS.items():
        if key in section:
            if kind is int and (isinstance(section[key], bool) or not isinstance(section[key], int)):
                where.fail(f"payments.{key}", f"[payments] {key} must be a whole number")
            if kind is bool and not isinstance(section[key], bool):
                where.fail(f"payments.{key}", f"[payments] {key} must be true or false")
            values[name] = kind(section[key])
    secretish = [k for k in section if "secret" in k or k.endswith("_key")]
    if secretish:
        where.fail(f"payments.{secretish[0]}",
                   f"[payments] {secretish[0]}: secrets belong in the environment, not in the file")
    if "banks_csv" in values and not os.path.isabs(values["banks_csv"]):
        values["banks_csv"] = str(Path(base_dir) / values["banks_csv"])
    return values


# -- [appointments] --------------------------------------------------------------------------------

def _reminder_clock(text) -> time:
    hh, mm = str(text).split(":")
    return time(int(hh), int(mm))


def _checked(key_path: str, where: _Where, make: Callable[[], Any]):
    try:
        return make()
    except (KeyError, TypeError, ValueError) as exc:
        detail = f"missing setting {exc.args[0]}" if isinstance(exc, KeyError) else str(exc)
        where.fail(key_path, f"appointments: {detail}")


def _appointments(raw: dict, overrides: dict | None, where: _Where) -> AppointmentPolicy:
    section = {**_section(raw, "appointments", where), **(overrides or {})}
    named = raw.get("hours", {})
    service_hours = {s["code"]: s.get("hours", "allday") for s in raw.get("services", [])}

    def hours(spec: str, key_path: str) -> OpeningHours:
        spec = named.get(spec, spec)
        return OpeningHours.always() if spec == "allday" else _hours_at(spec, key_path, where)

    rules = {}
    for i, entry in enumerate(section.get("services", [])):
        at = f"appointments.services[{i}]"
        code = _required(entry, "service", at, where)
        if code not in service_hours:
            where.fail(f"{at}.service", f"appointments: unknown service {code}")
        rule = SlotRule(service_code=code, slot_min=_whole(entry, "slot_min", 30, at, where),
                        capacity=_whole(entry, "capacity", 5, at, where),
                        hours=hours(entry.get("hours", service_hours[code]), f"{at}.hours"))
        if rule.slot_min < 5 or rule.capacity < 1:
            where.fail(at, f"appointments: service {code} needs slot_min >= 5 and capacity >= 1")
        rules[code] = rule
    at = "appointments"
    fence = section.get("geofence")
    policy = AppointmentPolicy(
        rules=rules,
        holidays=_checked(f"{at}.holidays", where,
                          lambda: frozenset(date.fromisoformat(str(d)) for d in section.get("holidays", []))),
        horizon_days=_whole(section, "horizon_days", 30, at, where),
        min_lead_min=_whole(section, "min_lead_min", 60, at, where),
        early_check_in_min=_whole(section, "early_check_in_min", 60, at, where),
        late_grace_min=_whole(section, "late_grace_min", 15, at, where),
        change_until_min=_whole(section, "change_until_min", 60, at, where),
        max_active_per_account=_whole(section, "max_active_per_account", 5, at, where),
        reminder_at=_checked(f"{at}.reminder_at", where, lambda: _reminder_clock(section.get("reminder_at", "18:00"))),
        notify_places_ahead=_whole(section, "notify_places_ahead", 3, at, where),
        geofence=_checked(f"{at}.geofence", where,
                          lambda: Geofence(float(fence["lat"]), float(fence["lon"]), float(fence["radius_m"])))
        if fence else None,
        max_location_accuracy_m=_checked(f"{at}.max_location_accuracy_m", where,
                                         lambda: float(section.get("max_location_accuracy_m", 150))),
    )
    try:
        policy.validate(set(service_hours))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return policy
