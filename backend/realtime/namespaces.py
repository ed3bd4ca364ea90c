"""Thin Socket.IO entry points: check the credentials API.md names for each namespace, put the
connection in the rooms they allow (and no other), send the full current state.

A refused connection gets a CONNECT_ERROR whose `data` is {"code", "title_vi", "title_en"}."""
from flask import request, session
from flask_socketio import Namespace, join_room
from socketio.exceptions import ConnectionRefusedError

from ..adapters import metrics
from ..adapters.realtime import states
from ..adapters.realtime.rooms import (
    DISPLAY,
    KIOSK,
    PATIENT,
    STAFF,
    device_room,
    display_room,
    services_of,
    staff_rooms_for,
    ticket_room,
)
from ..domain.errors import DomainError
from ..domain.hospital_time import hospital_day
from ..messages import SOCKET_REFUSALS
from ..services.auth import device_for_token, staff_for_session
from ..services.tickets import TrackAccess, check_track_token

REFUSALS = SOCKET_REFUSALS  # code -> (vi, en), the words in backend/messages.py


class Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _auth_field(auth, name: str, kinds=(str,)):
    if not isinstance(auth, dict):
        return None
    value = auth.get(name)
    return value if isinstance(value, kinds) and value not in ("", None) else None


class _Base(Namespace):
    def __init__(self, namespace: str, hub):
        super().__init__(namespace)
        self.hub = hub

    def on_connect(self, auth=None):
        try:
            self.admit(auth)
        except Refused as exc:
            vi, en = REFUSALS[exc.code]
            raise ConnectionRefusedError(exc.code, {"code": exc.code, "title_vi": vi, "title_en": en})
        except ConnectionRefusedError:
            raise
        except Exception as exc:
            # A database hiccup must give the client a clear refusal (it retries), not a hang.
            self.hub.faults.fault(f"connect:{type(exc).__name__}",
                                  "Kết nối trực tiếp bị lỗi / realtime connect failed", exc,
                                  with_traceback=True)
            vi, en = REFUSALS["SERVICE_UNAVAILABLE"]
            raise ConnectionRefusedError("SERVICE_UNAVAILABLE",
                                         {"code": "SERVICE_UNAVAILABLE", "title_vi": vi, "title_en": en})
        self.hub.faults.ok("connect:")
        self.hub.connection_opened()
        metrics.connection_opened(self.namespace)

    def on_disconnect(self, reason=None):
        metrics.connection_closed(self.namespace)
        self.leave()

    def leave(self) -> None:
        """What a namespace forgets when one of its connections closes."""

    def enter(self, rooms: list[str]) -> dict:
        for room in rooms:
            join_room(room)
        # Rooms first, then the sequence numbers, then the state: an event numbered after the
        # state was read can only carry news, never older data.
        return self.hub.current_seqs(self.namespace, rooms)

    def send_state(self, event: str, state: dict, seqs: dict) -> None:
        body = {**state, "rooms": seqs}
        if len(seqs) == 1:
            body["seq"] = next(iter(seqs.values()))
        self.emit(event, body, room=request.sid)

    def admit(self, auth) -> None:
        raise NotImplementedError


class KioskNamespace(_Base):
    def admit(self, auth):
        token = _auth_field(auth, "token")
        device = device_for_token(self.hub.deps, token) if token else None
        if device is None:
            raise Refused("UNAUTHORIZED")
        seqs = self.enter([device_room(device.id)])
        self.send_state("kiosk.state", states.kiosk_state(self.hub.deps, device.name), seqs)
        self.hub.sweeper.kiosk_joined(request.sid, device.id)

    def leave(self) -> None:
        self.hub.sweeper.left(request.sid)


class StaffNamespace(_Base):
    def admit(self, auth):
        member = staff_for_session(self.hub.deps, session.get("staff_id"), session.get("sv"))
        if member is None:
            raise Refused("UNAUTHORIZED")
        scope = member.point_limit
        services = None if scope is None else services_of(scope, self.hub.deps.catalog)
        seqs = self.enter(staff_rooms_for(scope, self.hub.deps.catalog))
        self.send_state("staff.state", {"staff": {"username": member.username, "role": member.role,
                                                  "service_points": sorted(member.points)},
                                        **states.staff_state(self.hub.deps, services)}, seqs)
        self.hub.sweeper.staff_joined(request.sid, member.id, member.session_version)
        self.hub.staff_joined()

    def leave(self) -> None:
        self.hub.sweeper.left(request.sid)


class DisplayNamespace(_Base):
    def admit(self, auth):
        area = _auth_field(auth, "display")
        if area is None or area not in self.hub.deps.catalog.displays:
            raise Refused("DISPLAY_NOT_FOUND")
        seqs = self.enter([display_room(area)])
        self.send_state("display.state", states.display_state(self.hub.deps, area), seqs)


class PatientNamespace(_Base):
    def admit(self, auth):
        ticket_id = _auth_field(auth, "ticket")
        token = _auth_field(auth, "token")
        access = check_track_token(self.hub.deps, ticket_id, token) if ticket_id else TrackAccess.INVALID
        if access is not TrackAccess.VALID:
            raise Refused("TRACK_TOKEN_EXPIRED" if access is TrackAccess.EXPIRED else "UNAUTHORIZED")
        # The link's ticket may have been sent on (a transfer): the phone follows the visit's
        # current ticket. Joining before reading its state means a change made in between
        # arrives as an event instead of being lost.
        try:
            followed = states.resolve_followed(self.hub.deps, ticket_id)
        except DomainError:
            raise Refused("TICKET_NOT_FOUND") from None
        self.hub.patient_joined(request.sid, hospital_day(self.hub.deps.clock()), followed)
        seqs = self.enter([ticket_room(followed)])
        try:
            state = states.followed_state(self.hub.deps, followed, ticket_id)
        except Exception as exc:
            self.hub.patient_left(request.sid)  # a refused connection gets no disconnect call
            if isinstance(exc, DomainError):
                raise Refused("TICKET_NOT_FOUND") from None
            raise
        self.send_state("patient.state", state, seqs)

    def leave(self) -> None:
        self.hub.patient_left(request.sid)


def register(socketio, hub) -> None:
    for cls, name in ((KioskNamespace, KIOSK), (StaffNamespace, STAFF), (DisplayNamespace, DISPLAY),
                      (PatientNamespace, PATIENT)):
        socketio.on_namespace(cls(name, hub))
