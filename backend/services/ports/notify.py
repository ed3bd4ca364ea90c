"""Messages to a patient's phone. Vietnamese hospitals send brand-name SMS through a gateway
(Viettel, VNPT, an aggregator); every gateway has its own wire format, so the port is one call."""
from dataclasses import dataclass
from typing import Protocol


class NotifyUnavailable(Exception):
    """The gateway did not take the message (down, timeout, 5xx): it may work a little later."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # a short code for logs: never the number or the text


class NotifyRejected(NotifyUnavailable):
    """The gateway refused this message for good (bad number, template not registered, no credit)."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164, +84…
    text: str
    kind: str  # otp | places | called | reminder: gateways bill and route OTPs separately
    ref: str  # our id for the message, for the gateway's delivery reports and de-duplication


class Notifier(Protocol):
    def send_sms(self, message: SmsMessage) -> str:
        """Hands the message to the gateway; returns the gateway's message id. Raises
        NotifyUnavailable / NotifyRejected."""
