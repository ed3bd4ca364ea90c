"""Notices kiosks that stopped reporting: after 3 missed heartbeats staff hear `device.updated`
with `responding: false` (and `responding: true` again with the next heartbeat, from `heartbeat`).

A periodic pass (jobs.py). It remembers, per process, which kiosks it already announced, so a
silent kiosk is announced once, not every round; a restarted process announces them once again."""
from ..domain.devices import DeviceStatus, responding
from .context import Deps


class SilentKioskWatch:
    def __init__(self):
        self._silent: set[str] = set()
        self._known = False

    def run(self, deps: Deps) -> list[str]:
        """One pass; returns the kiosks announced silent this time."""
        now = deps.clock()
        with deps.uow.read() as uow:
            rows = [r for r in uow.devices.all() if r.revoked_at is None and r.last_seen_at is not None]
        silent_now = {r.name for r in rows if not responding(r.last_seen_at, now, deps.kiosk_heartbeat_s)}
        announced = []
        for r in rows:
            if r.name in silent_now and r.name not in self._silent:
                deps.publisher.device_changed(DeviceStatus(
                    r.name, r.printer_status, r.app_version, r.last_seen_at, r.kind, responding=False,
                    heartbeat_s=deps.kiosk_heartbeat_s, at=now))
                announced.append(r.name)
        self._silent = silent_now
        return announced
