"""What the kiosk hands to the printer: the facts printed on a queue ticket or a payment receipt.

Pure data (no Pillow, no escpos) so the kiosk flow and the backend can build these without pulling in
printing libraries. Only already-masked personal data belongs here: there is deliberately no field for
an address, a date of birth or a full CCCD/BHYT number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

HOSPITAL_TIMEZONE = "Asia/Ho_Chi_Minh"


def _require_aware(name: str, value: datetime) -> None:
    # A naive datetime would print the server's local time, which is wrong on a UTC host.
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


@dataclass(frozen=True)
class TicketPrintData:
    hospital_name: str
    service_name_vi: str
    service_name_en: str | None
    display_number: str
    room: str | None
    directions: str | None
    issued_at: datetime
    people_ahead: int | None
    estimated_wait_min: int | None
    priority_label: str | None
    patient_name_masked: str | None
    bhyt_status: str | None
    track_url: str
    # Optional English companions for free-text fields that arrive in Vietnamese only.
    directions_en: str | None = None
    priority_label_en: str | None = None
    bhyt_status_en: str | None = None
    # Language hint: English lines can be switched off for hospitals that want a shorter ticket.
    show_english: bool = True
    timezone: str = HOSPITAL_TIMEZONE
    # An unpaid fee: how much is due and where to pay it (None: nothing due, or paid already).
    amount_due_vnd: int | None = None
    pay_where: str | None = None
    pay_where_en: str | None = None

    def __post_init__(self) -> None:
        _require_aware("issued_at", self.issued_at)
        if self.amount_due_vnd is not None and (isinstance(self.amount_due_vnd, bool)
                                                or not isinstance(self.amount_due_vnd, int)
                                                or self.amount_due_vnd <= 0):
            raise ValueError("amount_due_vnd must be a positive int number of đồng or None")
        if not self.display_number.strip():
            raise ValueError("display_number must not be empty")
        if not self.track_url.strip():
            raise ValueError("track_url must not be empty")
        for name in ("people_ahead", "estimated_wait_min"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a non-negative int or None")


@dataclass(frozen=True)
class ReceiptPrintData:
    hospital_name: str
    amount_vnd: int
    description_vi: str
    description_en: str | None
    reference: str
    provider: str | None
    provider_transaction_id: str | None
    paid_at: datetime
    patient_name_masked: str | None = None
    display_number: str | None = None
    # A QR is printed only when the hospital offers an online copy of the receipt.
    receipt_url: str | None = None
    receipt_number: str | None = None
    provider_en: str | None = None  # the method in English, printed on its own smaller line
    show_english: bool = True
    timezone: str = HOSPITAL_TIMEZONE

    def __post_init__(self) -> None:
        _require_aware("paid_at", self.paid_at)
        # Money is an exact integer number of đồng; a float here means a rounding bug upstream.
        if isinstance(self.amount_vnd, bool) or not isinstance(self.amount_vnd, int):
            raise TypeError("amount_vnd must be an int number of đồng")
        if not self.reference.strip():
            raise ValueError("reference must not be empty")
