"""Reads the hospital's TOML file into the domain catalog. Fails loudly and specifically on mistakes."""
import tomllib
from datetime import time

from .domain.catalog import Catalog, OpeningHours, Service, ServicePoint

DAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}


class ConfigError(ValueError):
    pass


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
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"opening hours not understood: {spec!r}") from exc
    return OpeningHours({d: tuple(s) for d, s in periods.items()})


def load_catalog(path: str, ignore_hours: bool = False) -> Catalog:
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    return catalog_from_dict(raw, ignore_hours)


def catalog_from_dict(raw: dict, ignore_hours: bool = False) -> Catalog:
    try:
        hospital = raw["hospital"]
        named_hours = {k: parse_hours(v) for k, v in raw.get("hours", {}).items()}
        services = {}
        for s in raw["services"]:
            hours_spec = s.get("hours", "allday")
            if ignore_hours:
                hours = OpeningHours.always()
            elif hours_spec in named_hours:
                hours = named_hours[hours_spec]
            elif hours_spec == "allday":
                hours = OpeningHours.always()
            else:
                hours = parse_hours(hours_spec)
            services[s["code"]] = Service(
                code=s["code"],
                prefix=s["prefix"],
                name_vi=s["name_vi"],
                name_en=s["name_en"],
                kind=s.get("kind", "clinic"),
                coverages=tuple(s.get("coverages", ["bhyt", "self_pay"])),
                fee_vnd=int(s.get("fee_vnd", 0)),
                hours=hours,
                room_vi=s.get("room_vi", ""),
                room_en=s.get("room_en", ""),
                directions_vi=s.get("directions_vi", ""),
                directions_en=s.get("directions_en", ""),
                payment_before_call=bool(s.get("payment_before_call", False)),
                long_wait_min=int(s.get("long_wait_min", 45)),
                default_service_s=int(s.get("default_service_s", 360)),
                kiosk=bool(s.get("kiosk", True)),
            )
        points = {
            p["code"]: ServicePoint(
                code=p["code"],
                name_vi=p["name_vi"],
                name_en=p["name_en"],
                services=tuple(p["services"]),
                room_vi=p.get("room_vi", p["name_vi"]),
                room_en=p.get("room_en", p["name_en"]),
                display=p.get("display", "lobby"),
            )
            for p in raw.get("points", [])
        }
        queue = raw.get("queue", {})
        displays = {k: (v["name_vi"], v["name_en"]) for k, v in raw.get("displays", {}).items()}
        catalog = Catalog(
            hospital_code=str(hospital["code"]),
            hospital_name_vi=hospital["name_vi"],
            hospital_name_en=hospital["name_en"],
            services=services,
            points=points,
            priority_boost_min=int(queue.get("priority_boost_min", 30)),
            skip_requeue_limit=int(queue.get("skip_requeue_limit", 1)),
            track_token_days=int(queue.get("track_token_days", 7)),
            displays=displays,
        )
        catalog.validate()
    except KeyError as exc:
        raise ConfigError(f"missing required setting: {exc.args[0]}") from exc
    except ValueError as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(str(exc)) from exc
    return catalog
