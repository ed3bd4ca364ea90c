"""Namespaces and rooms: who hears what. The publisher addresses rooms; the namespaces put each
connection into the rooms its credentials allow, and nowhere else."""
from ...domain.catalog import Catalog

KIOSK = "/kiosk"
STAFF = "/staff"
DISPLAY = "/display"
PATIENT = "/patient"

# Staff who see every queue (admin, reception). Point-bound staff (room, cashier) join one room
# per service their points serve, so they hear about those tickets only, and each event once.
STAFF_ALL = "staff:all"


def ticket_room(ticket_id: str) -> str:
    return f"ticket:{ticket_id}"


def display_room(area: str) -> str:
    return f"display:{area}"


def device_room(device_id: str) -> str:
    return f"device:{device_id}"


def staff_service_room(service_code: str) -> str:
    return f"staff:svc:{service_code}"


def staff_rooms_for(points: frozenset[str] | None, catalog: Catalog) -> list[str]:
    """`points` is StaffMember.point_limit: None for staff who see everything."""
    if points is None:
        return [STAFF_ALL]
    return [staff_service_room(s) for s in sorted(services_of(points, catalog))]


def services_of(points: frozenset[str], catalog: Catalog) -> set[str]:
    return {s for p in points if p in catalog.points for s in catalog.points[p].services}


def staff_rooms_hearing(service_code: str | None) -> list[str]:
    """The staff rooms an event about `service_code` goes to (None: not about one service)."""
    if service_code is None:
        return [STAFF_ALL]
    return [STAFF_ALL, staff_service_room(service_code)]


def seq_key(namespace: str, room: str) -> str:
    return namespace + "|" + room


# The namespaces of API.md; Socket.IO refuses connects to any other (the default "/" included).
NAMESPACES = (KIOSK, STAFF, DISPLAY, PATIENT)
