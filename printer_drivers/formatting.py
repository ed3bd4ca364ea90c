"""Vietnamese-style formatting of money, times and durations for paper (pure)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def format_vnd(amount: int) -> str:
    """150000 → '150.000 đ' (Vietnamese groups thousands with dots; đồng has no minor unit)."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an int number of đồng")
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}{grouped} đ"


def format_local_time(moment: datetime, timezone: str) -> str:
    """'07:42 12/03/2026' in the hospital's time zone, day before month as Vietnamese readers expect."""
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%H:%M %d/%m/%Y")


def format_wait_vi(minutes: int) -> str:
    if minutes <= 0:
        return "sắp đến lượt"
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"khoảng {rest} phút"
    if rest == 0:
        return f"khoảng {hours} giờ"
    return f"khoảng {hours} giờ {rest} phút"


def format_wait_en(minutes: int) -> str:
    if minutes <= 0:
        return "almost your turn"
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"about {rest} min"
    if rest == 0:
        return f"about {hours} h"
    return f"about {hours} h {rest} min"
