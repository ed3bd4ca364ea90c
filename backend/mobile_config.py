"""Appointment settings from hospital.toml `[appointments]` (test overrides from
`create_app(config, appointments={...})` (bootstrap.build), merged over the file's table key by key).

    [appointments]
    horizon_days = 30           # how far ahead a slot may be booked
    min_lead_min = 60           # a slot must start at least this long after the booking
    early_check_in_min = 60     # check-in opens this long before the slot
    late_grace_min = 15         # after slot start + grace the patient joins as a walk-in
    change_until_min = 60       # cancel / reschedule until this long before the slot
    max_active_per_account = 5
    reminder_at = "18:00"       # the day-before reminder goes out from this local time
    notify_places_ahead = 3     # "3 people ahead of you" message
    max_location_accuracy_m = 150
    holidays = ["2027-01-01"]   # no appointments on these dates
    geofence = { lat = 21.59, lon = 105.85, radius_m = 250 }   # optional: check-in by location

    [[appointments.services]]
    service = "KHAM-NOI"
    slot_min = 30
    capacity = 10
    hours = "clinic"            # a named [hours] entry or a spec; default: the service's own hours
"""
from __future__ import annotations

import tomllib
from datetime import date, time

from .config_loader import ConfigError, parse_hours
from .domain.appointments import AppointmentPolicy, Geofence, SlotRule
from .domain.catalog import OpeningHours


def _clock(text: str) -> time:
    hh, mm = str(text).split(":")
    return time(int(hh), int(mm))


def load_appointment_policy(config_path: str, overrides: dict | None = None) -> AppointmentPolicy:
    with open(config_path, "rb") as fh:
        raw = tomllib.load(fh)
    return appointment_policy_from_dict(raw, overrides)


def appointment_policy_from_dict(raw: dict, overrides: dict | None = None) -> AppointmentPolicy:
    section = {**raw.get("appointments", {}), **(overrides or {})}
    named = raw.get("hours", {})
    service_hours = {s["code"]: s.get("hours", "allday") for s in raw.get("services", [])}

    def hours(spec: str) -> OpeningHours:
        spec = named.get(spec, spec)
        return OpeningHours.always() if spec == "allday" else parse_hours(spec)

    try:
        rules = {}
        for entry in section.get("services", []):
            code = entry["service"]
            if code not in service_hours:
                raise ConfigError(f"appointments: unknown service {code}")
            rules[code] = SlotRule(service_code=code, slot_min=int(entry.get("slot_min", 30)),
                                   capacity=int(entry.get("capacity", 5)),
                                   hours=hours(entry.get("hours", service_hours[code])))
        fence = section.get("geofence")
        policy = AppointmentPolicy(
            rules=rules,
            holidays=frozenset(date.fromisoformat(str(d)) for d in section.get("holidays", [])),
            horizon_days=int(section.get("horizon_days", 30)),
            min_lead_min=int(section.get("min_lead_min", 60)),
            early_check_in_min=int(section.get("early_check_in_min", 60)),
            late_grace_min=int(section.get("late_grace_min", 15)),
            change_until_min=int(section.get("change_until_min", 60)),
            max_active_per_account=int(section.get("max_active_per_account", 5)),
            reminder_at=_clock(section.get("reminder_at", "18:00")),
            notify_places_ahead=int(section.get("notify_places_ahead", 3)),
            geofence=Geofence(float(fence["lat"]), float(fence["lon"]), float(fence["radius_m"]))
            if fence else None,
            max_location_accuracy_m=float(section.get("max_location_accuracy_m", 150)),
        )
        policy.validate(set(service_hours))
    except KeyError as exc:
        raise ConfigError(f"appointments: missing setting {exc.args[0]}") from exc
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"appointments: {exc}") from exc
    return policy
