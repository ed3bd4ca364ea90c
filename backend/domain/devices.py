"""Kiosk health: when a kiosk that stopped reporting counts as not responding."""
from datetime import datetime, timedelta

# A kiosk heartbeats every `heartbeat_s` (kiosk_client: 30 s). One late beat is network noise;
# three missed in a row means the kiosk is off, frozen or cut off, and staff are told.
MISSED_BEATS = 3


def silent_after(heartbeat_s: float) -> timedelta:
    return timedelta(seconds=heartbeat_s * MISSED_BEATS)


def responding(last_seen_at: datetime | None, now: datetime, heartbeat_s: float) -> bool:
    return last_seen_at is not None and now - last_seen_at < silent_after(heartbeat_s)
