"""What the services tell the realtime layer after a commit. Adapters decide rooms and payloads."""
from typing import Protocol

from ...domain.devices import DeviceStatus
from ...domain.tickets import Ticket


class RealtimePublisher(Protocol):
    def ticket_changed(self, ticket: Ticket, action: str) -> None: ...

    def device_changed(self, device: DeviceStatus) -> None: ...

    def invoice_changed(self, invoice: dict) -> None:
        """`invoice` carries at least id, status, amount, ticket_id, device_id (who asked)."""

    def alert(self, alert: dict) -> None:
        """Staff alerts (long waits, BHXH/HIS configuration faults)."""


class NullPublisher:
    def ticket_changed(self, ticket: Ticket, action: str) -> None:
        pass

    def device_changed(self, device: DeviceStatus) -> None:
        pass

    def invoice_changed(self, invoice: dict) -> None:
        pass

    def alert(self, alert: dict) -> None:
        pass


class RecordingPublisher:
    """In-process implementation: keeps what was published, in order (tests, single process)."""

    def __init__(self):
        self.events: list[tuple[str, object]] = []

    def ticket_changed(self, ticket: Ticket, action: str) -> None:
        self.events.append((action, ticket))

    def device_changed(self, device: DeviceStatus) -> None:
        self.events.append(("device", device))

    def invoice_changed(self, invoice: dict) -> None:
        self.events.append(("invoice", invoice))

    def alert(self, alert: dict) -> None:
        self.events.append(("alert", alert))
