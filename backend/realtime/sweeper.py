"""Closes Socket.IO connections that must not stay open.

- An Engine.IO connection that joins no namespace within `connect_timeout_s`: a client that only
  opened the transport holds a place and hears nothing, so it is either broken or an attack.
- A kiosk whose token was revoked and a staff member who signed out (or was deactivated): refusing
  their next connect is not enough, an open socket would keep hearing the queue. Checked every
  second against the database, so a revocation made by the CLI or by another process counts too.
"""
import logging
import time

from ..adapters.realtime.rooms import KIOSK, NAMESPACES, STAFF
from ..services.auth import ended_sessions, revoked_devices

log = logging.getLogger("tiepdon.realtime")

EVERY_S = 1.0


class ConnectionSweeper:
    def __init__(self, hub, connect_timeout_s: float):
        self.hub = hub
        self.connect_timeout_s = connect_timeout_s
        self._unjoined: dict[str, float] = {}  # Engine.IO sid -> when it connected
        self._kiosks: dict[str, str] = {}  # Socket.IO sid on /kiosk -> device id
        self._staff: dict[str, tuple[str, int]] = {}  # sid on /staff -> (staff id, session version)
        self._started = False
        self._stopped = False
        self.closed = 0
        self._watch_engineio()

    # --- what the namespaces tell it --------------------------------------------------------
    def kiosk_joined(self, sid: str, device_id: str) -> None:
        self._kiosks[sid] = device_id

    def staff_joined(self, sid: str, staff_id: str, session_version: int) -> None:
        self._staff[sid] = (staff_id, session_version)

    def left(self, sid: str) -> None:
        self._kiosks.pop(sid, None)
        self._staff.pop(sid, None)

    # --- the loop ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._started or self.hub.sio is None:
            return
        self._started = True
        self.hub.sio.start_background_task(self._run)

    def stop(self) -> None:
        self._stopped = True

    def _run(self) -> None:
        while not self._stopped:
            self.hub.sio.sleep(EVERY_S)
            try:
                self.sweep()
                self.hub.faults.ok("sweep")
            except Exception as exc:  # a database hiccup: try again next second
                self.hub.faults.fault("sweep", "Kiểm tra kết nối bị lỗi / connection sweep failed", exc)

    def sweep(self) -> None:
        self._close_silent()
        self._close_revoked()

    def _close_silent(self) -> None:
        if not self._unjoined:
            return
        server = self.hub.sio.server
        cutoff = time.monotonic() - self.connect_timeout_s
        for eio_sid, since in list(self._unjoined.items()):
            if since > cutoff:
                continue
            del self._unjoined[eio_sid]
            if eio_sid not in server.eio.sockets:
                continue  # already gone
            if any(server.manager.sid_from_eio_sid(eio_sid, ns) for ns in NAMESPACES):
                continue
            self.closed += 1
            server.eio.disconnect(eio_sid)

    def _close_revoked(self) -> None:
        server = self.hub.sio.server
        deps = self.hub.deps
        if self._kiosks:
            gone = revoked_devices(deps, set(self._kiosks.values()))
            for sid, device_id in list(self._kiosks.items()):
                if device_id in gone:
                    self._kiosks.pop(sid, None)
                    self.closed += 1
                    server.disconnect(sid, namespace=KIOSK)
        if self._staff:
            ended = ended_sessions(deps, set(self._staff.values()))
            for sid, session in list(self._staff.items()):
                if session in ended:
                    self._staff.pop(sid, None)
                    self.closed += 1
                    server.disconnect(sid, namespace=STAFF)

    def _watch_engineio(self) -> None:
        """Notes when each Engine.IO connection opens (socketio's own handler still runs)."""
        sio = self.hub.sio
        eio = getattr(getattr(sio, "server", None), "eio", None)
        if eio is None:
            return
        socketio_connect = eio.handlers.get("connect")
        socketio_disconnect = eio.handlers.get("disconnect")

        def on_connect(eio_sid, environ):
            self._unjoined[eio_sid] = time.monotonic()
            self.start()
            return socketio_connect(eio_sid, environ) if socketio_connect else None

        def on_disconnect(eio_sid, *args):
            self._unjoined.pop(eio_sid, None)
            return socketio_disconnect(eio_sid, *args) if socketio_disconnect else None

        eio.on("connect", on_connect)
        eio.on("disconnect", on_disconnect)
