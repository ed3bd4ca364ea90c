"""Kiosks as staff see them: the last heartbeat and the printer, and when a kiosk that stopped
reporting counts as not responding."""
from dataclasses import dataclass
from datetime import datetime, timedelta

# A kiosk heartbeats every `heartbeat_s` (kiosk_client: 30 s). One late beat is network noise;
# three missed in a row means the kiosk is off, frozen or cut off, and staff are told.
MISSED_BEATS = 3


@dataclass(frozen=True)
class DeviceStatus:
    name: str
    printer_status: str | None  # ok, paper_low, paper_out, cover_open, offline
    app_version: str | None
    last_seen_at: datetime | None
    kind: str = "kiosk"
    revoked: bool = False
    responding: bool = True  # False after MISSED_BEATS missed heartbeats
    heartbeat_s: float | None = None  # the period the kiosk was told to report at
    at: datetime | None = None  # when this status was observed


def silent_after(heartbeat_s: float) -> timedelta:
    return timedelta(seconds=heartbeat_s * MISSED_BEATS)


def responding(last_seen_at: datetime | None, now: datetime, heartbeat_s: float) -> bool:
    return last_seen_at is not None and now - last_seen_at < silent_after(heartbeat_s)
