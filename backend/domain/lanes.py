"""Where a staff account may act (DESIGN.md rule 10): its lane.

Admin and reception work everywhere. Room and cashier accounts work on the services their service
points serve: they read those services' tickets, and act on a ticket only while it waits for one of
those services or stands at one of their own points (a patient being called at another room is that
room's patient). Every refusal is FORBIDDEN and happens before anything changes.
"""
from dataclasses import dataclass

from .catalog import Catalog
from .errors import DomainError
from .tickets import Ticket


@dataclass(frozen=True)
class Lane:
    services: frozenset[str] | None  # None: every service
    points: frozenset[str] | None  # None: every service point

    @staticmethod
    def everywhere() -> "Lane":
        return Lane(None, None)

    @staticmethod
    def of_points(points: frozenset[str] | None, catalog: Catalog) -> "Lane":
        """`points` is StaffMember.point_limit: None for staff who work everywhere."""
        if points is None:
            return Lane.everywhere()
        services = frozenset(s for p in points if p in catalog.points for s in catalog.points[p].services)
        return Lane(services, frozenset(points))

    @property
    def unlimited(self) -> bool:
        return self.services is None

    def covers_service(self, service_code: str | None) -> bool:
        return self.services is None or service_code in self.services

    def covers_point(self, point_code: str | None) -> bool:
        return self.points is None or point_code in self.points

    def require_service(self, service_code: str | None) -> None:
        if not self.covers_service(service_code):
            raise DomainError("FORBIDDEN", service=service_code)

    def require_point(self, point_code: str | None) -> None:
        if not self.covers_point(point_code):
            raise DomainError("FORBIDDEN", service_point=point_code)

    def require_read(self, ticket: Ticket) -> None:
        self.require_service(ticket.service_code)

    def require_act(self, ticket: Ticket) -> None:
        self.require_service(ticket.service_code)
        if ticket.service_point is not None:
            self.require_point(ticket.service_point)

    def covers_any(self, service_codes) -> bool:
        return self.services is None or any(code in self.services for code in service_codes)
