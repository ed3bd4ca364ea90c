"""A kiosk as staff see it: its last heartbeat and its printer."""
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DeviceStatus:
    name: str
    printer_status: str | None  # ok, paper_low, paper_out, cover_open, offline
    app_version: str | None
    last_seen_at: datetime | None
    kind: str = "kiosk"
    revoked: bool = False
