"""Staff accounts, sessions and kiosk device tokens."""
from dataclasses import dataclass

from ..domain import actors
from ..domain.devices import DeviceStatus, responding
from ..domain.errors import DomainError
from ..domain.lanes import Lane
from ..domain.passwords import DUMMY_HASH, hash_password, verify_password
from ..domain.tokens import new_id, new_secret_token, sha256_hex
from .context import Deps
from .device_cache import DeviceCache  # noqa: F401  (importable from here, as before)

ROLES = ("admin", "reception", "room", "cashier")
# Roles that act only on the service points assigned to them.
POINT_BOUND_ROLES = ("room", "cashier")
# The hospital's money (every invoice, charges, refunds, reconciliation): a cashier desk takes and
# returns money for every service, so a cashier's lane for invoices is the whole hospital.
MONEY_ROLES = ("cashier", "admin")
# Identifying a patient at a desk (kiosk/identify with a staff session) is reception's work.
IDENTIFY_ROLES = ("admin", "reception")
PRINTER_STATES = ("ok", "paper_low", "paper_out", "cover_open", "offline")


@dataclass(frozen=True)
class StaffMember:
    id: str
    username: str
    full_name: str
    role: str
    points: frozenset[str]
    session_version: int

    @property
    def point_limit(self) -> frozenset[str] | None:
        return self.points if self.role in POINT_BOUND_ROLES else None


def lane_of(deps: Deps, member: StaffMember) -> Lane:
    """Tickets, queues, stats: the services of the member's points (everything for admin, reception)."""
    return Lane.of_points(member.point_limit, deps.catalog)


def invoice_lane_of(deps: Deps, member: StaffMember) -> Lane:
    """Invoices: the whole hospital for the money roles, otherwise the member's ticket lane."""
    return Lane.everywhere() if member.role in MONEY_ROLES else lane_of(deps, member)


def _member(row) -> StaffMember:
    points = frozenset(p for p in (row.service_points or "").split(",") if p)
    return StaffMember(row.id, row.username, row.full_name, row.role, points, row.session_version)


def add_staff(deps: Deps, username: str, full_name: str, role: str, password: str,
              points: list[str] | None = None) -> StaffMember:
    if role not in ROLES:
        raise DomainError("VALIDATION_ERROR", field="role")
    if len(password) < 10:
        raise DomainError("PASSWORD_TOO_SHORT")
    for p in points or []:
        deps.catalog.point(p)
    with deps.uow.write() as uow:
        if uow.staff.by_username(username) is not None:
            raise DomainError("ALREADY_EXISTS", field="username")
        staff_id = new_id()
        uow.staff.add(id=staff_id, username=username, full_name=full_name, role=role,
                      password_hash=deps.cpu.run(hash_password, password), service_points=",".join(points or []),
                      active=True, session_version=1, created_at=deps.clock())
        uow.audit.add(deps.clock(), actors.CLI, "staff.add", staff_id, role)
        uow.commit()
        return _member(uow.staff.get(staff_id))


def authenticate(deps: Deps, username: str, password: str) -> StaffMember:
    with deps.uow.read() as uow:
        row = uow.staff.by_username(username)
    if row is None or not row.active:
        deps.cpu.run(verify_password, password, DUMMY_HASH)
        raise DomainError("INVALID_CREDENTIALS")
    if not deps.cpu.run(verify_password, password, row.password_hash):
        raise DomainError("INVALID_CREDENTIALS")
    with deps.uow.write() as uow:
        uow.audit.add(deps.clock(), actors.staff(row.id), "staff.login")
        uow.commit()
    return _member(row)


def staff_by_id(deps: Deps, staff_id: str) -> StaffMember | None:
    with deps.uow.read() as uow:
        row = uow.staff.get(staff_id)
    if row is None or not row.active:
        return None
    return _member(row)


def logout(deps: Deps, staff_id: str) -> None:
    """Invalidates every session of this account, not just the cookie in hand."""
    with deps.uow.write() as uow:
        uow.staff.bump_session(staff_id)
        uow.audit.add(deps.clock(), actors.staff(staff_id), "staff.logout")
        uow.commit()


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    kind: str


def add_device(deps: Deps, name: str, kind: str = "kiosk") -> tuple[Device, str]:
    """Returns the device and its token. The token is shown once; only its hash is stored."""
    token = new_secret_token()
    with deps.uow.write() as uow:
        if uow.devices.by_name(name) is not None:
            raise DomainError("ALREADY_EXISTS", field="name")
        device_id = new_id()
        uow.devices.add(id=device_id, name=name, kind=kind, token_hash=sha256_hex(token),
                        created_at=deps.clock())
        uow.audit.add(deps.clock(), actors.CLI, "device.add", device_id, name)
        uow.commit()
    return Device(device_id, name, kind), token


def revoke_device(deps: Deps, name: str) -> None:
    with deps.uow.write() as uow:
        row = uow.devices.by_name(name)
        if row is None:
            raise DomainError("DEVICE_NOT_FOUND")
        uow.devices.revoke(row.id, deps.clock())
        uow.audit.add(deps.clock(), actors.CLI, "device.revoke", row.id, name)
        uow.commit()
    deps.device_cache.clear()


def staff_for_session(deps: Deps, staff_id: str | None, session_version) -> StaffMember | None:
    """The member of staff a signed session names, while that session is current (not signed out
    everywhere, not deactivated): the rule for REST and Socket.IO alike."""
    if not staff_id:
        return None
    member = staff_by_id(deps, staff_id)
    if member is None or member.session_version != session_version:
        return None
    return member


def device_for_token(deps: Deps, token: str) -> Device | None:
    token_hash = sha256_hex(token)
    cache = deps.device_cache
    hit = cache.get(token_hash)
    if hit is not None:
        return hit[1]
    with deps.uow.read() as uow:
        row = uow.devices.by_token_hash(token_hash)
    device = None if row is None or row.revoked_at is not None else Device(row.id, row.name, row.kind)
    cache.put(token_hash, device)
    return device


def heartbeat(deps: Deps, device: Device, printer_status: str, app_version: str | None) -> DeviceStatus:
    if printer_status not in PRINTER_STATES:
        raise DomainError("VALIDATION_ERROR", field="printer_status")
    now = deps.clock()
    with deps.uow.write() as uow:
        uow.devices.seen(device.id, now, printer_status, app_version)
        uow.commit()
    state = DeviceStatus(device.name, printer_status, app_version, now, device.kind,
                         heartbeat_s=deps.kiosk_heartbeat_s, at=now)
    # Pushed to /staff at once (device.updated): a printer out of paper is news now, not at the
    # next page reload.
    deps.publisher.device_changed(state)
    return state


def list_devices(deps: Deps) -> list[DeviceStatus]:
    """Every kiosk with its last report; `responding` is False after 3 missed heartbeats."""
    now = deps.clock()
    with deps.uow.read() as uow:
        return [DeviceStatus(r.name, r.printer_status, r.app_version, r.last_seen_at, r.kind, r.revoked_at is not None,
                             responding=responding(r.last_seen_at, now, deps.kiosk_heartbeat_s),
                             heartbeat_s=deps.kiosk_heartbeat_s)
                for r in uow.devices.all()]


def revoked_devices(deps: Deps, device_ids: set[str]) -> set[str]:
    """Which of these kiosks may no longer connect (revoked or gone): their open sockets close."""
    with deps.uow.read() as uow:
        valid = {r.id for r in uow.devices.all() if r.revoked_at is None}
    gone = set(device_ids) - valid
    if gone:  # revoked elsewhere (the CLI, another process): this process's cache must not let it back
        deps.device_cache.clear()
    return gone


def ended_sessions(deps: Deps, sessions: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which (staff id, session version) pairs are over: signed out everywhere, or deactivated."""
    ended = set()
    with deps.uow.read() as uow:
        for staff_id, version in sessions:
            row = uow.staff.get(staff_id)
            if row is None or not row.active or row.session_version != version:
                ended.add((staff_id, version))
    return ended


@dataclass(frozen=True)
class AuditEntry:
    at: object
    actor: str  # in the one format (domain.actors), old rows' staff actors included
    actor_name: str | None  # the username of a staff actor
    action: str
    subject: str | None
    detail: str | None


def audit_trail(deps: Deps, start, end) -> list[AuditEntry]:
    """The audit log for a period. Rows written before every actor had one format (a bare staff id,
    ``staff:<username>``) are shown as ``staff:<id>``; anything not recognised stays as it was stored."""
    with deps.uow.read() as uow:
        rows = uow.audit.between(start, end)
        members = uow.staff.all() if rows else []
    names = {m.id: m.username for m in members}
    ids, id_by_username = set(names), {m.username: m.id for m in members}
    out = []
    for r in rows:
        staff_id = actors.staff_id_of(r.actor, ids, id_by_username)
        actor = actors.staff(staff_id) if staff_id else r.actor
        out.append(AuditEntry(r.at, actor, names.get(staff_id), r.action, r.subject, r.detail))
    return out
