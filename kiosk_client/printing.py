"""Printer glue: a ticket as the backend sent it → printer_drivers' TicketPrintData → paper.

Only masked data goes to paper (TicketPrintData has no field for anything else). The result is
reduced to what the flow acts on: printed or not, and the printer state for the patient and the
heartbeat.
"""
from __future__ import annotations

import logging
from datetime import datetime

from printer_drivers.ticket import ReceiptPrintData, TicketPrintData

from .flow import PrintOutcome
from .i18n import S

log = logging.getLogger("kiosk.printing")

_BHYT_LINES = {
    "ok": ("BHYT: đã kiểm tra", "Health insurance: verified"),
    "flagged": ("BHYT: xuất trình thẻ khi được gọi", "Health insurance: show your card when called"),
    "pending": ("BHYT: nhân viên sẽ kiểm tra thẻ", "Health insurance: staff will check the card"),
}


def ticket_print_data(ticket: dict, identity: dict | None, hospital_name: str, *,
                      show_english: bool = True):
    svc = ticket.get("service") or {}
    priority = ticket.get("priority") or {}
    patient = (identity or {}).get("patient") or {}
    check = (identity or {}).get("bhyt_check") or {}
    bhyt = _BHYT_LINES.get(check.get("status")) if ticket.get("coverage") == "bhyt" else None
    point = ticket.get("service_point") or {}
    room = point.get("room_vi") or svc.get("room_vi")
    return TicketPrintData(
        hospital_name=hospital_name,
        service_name_vi=svc.get("name_vi") or svc.get("code", ""),
        service_name_en=svc.get("name_en"),
        display_number=ticket["display_number"],
        room=room,
        directions=svc.get("directions_vi"),
        directions_en=svc.get("directions_en"),
        issued_at=datetime.fromisoformat(ticket["issued_at"]),
        people_ahead=ticket.get("people_ahead"),
        estimated_wait_min=ticket.get("estimated_wait_min"),
        priority_label=f"Ưu tiên: {priority['label_vi']}" if priority.get("label_vi") else None,
        priority_label_en=f"Priority: {priority['label_en']}" if priority.get("label_en") else None,
        patient_name_masked=patient.get("name_masked") or None,
        bhyt_status=bhyt[0] if bhyt else None,
        bhyt_status_en=bhyt[1] if bhyt else None,
        track_url=ticket["track_url"],
        show_english=show_english,
        **amount_due(ticket),
    )


def amount_due(ticket: dict) -> dict:
    """An unpaid invoice on the ticket: the amount and where to pay go on paper (the screen that
    says it is gone after 20 s)."""
    invoice = ticket.get("invoice") or {}
    amount = invoice.get("amount")
    if invoice.get("status") != "pending" or ticket.get("paid") or not isinstance(amount, int) or amount <= 0:
        return {}
    where = ((invoice.get("cashier") or {}).get("where") or {})
    # Without the hospital's words the layout prints its own: "Quầy thu ngân / the cashier".
    return {"amount_due_vnd": amount, "pay_where": where.get("vi") or None,
            "pay_where_en": where.get("en") or where.get("vi") or None}


_METHODS = {"vietqr": "payment_vietqr", "vnpay": "payment_vnpay", "cash": "method_cash", "card": "method_card"}


def receipt_print_data(invoice: dict, ticket: dict, hospital_name: str, *, show_english: bool = True):
    """The invoice's `receipt` (API 17) → a printed receipt; a backend without it: the paid invoice's
    own fields (amount, provider, reference, paid_at)."""
    receipt = invoice.get("receipt") or {}
    method = receipt.get("method") or invoice.get("provider") or ""
    label = S.get(_METHODS.get(method, ""))
    svc = ticket.get("service") or {}
    description = S["receipt_description"]
    paid_at = receipt.get("paid_at") or invoice.get("paid_at")
    return ReceiptPrintData(
        hospital_name=hospital_name,
        amount_vnd=int(receipt.get("amount") or invoice.get("amount")),
        description_vi=f"{description.vi} – {svc.get('name_vi') or svc.get('code', '')}",
        description_en=f"{description.en} – {svc.get('name_en') or svc.get('name_vi') or ''}",
        reference=receipt.get("reference") or invoice.get("reference") or invoice["id"],
        provider=label.vi if label else method or None,
        provider_en=label.en if label else None,
        provider_transaction_id=None,
        paid_at=datetime.fromisoformat(paid_at) if paid_at else datetime.now().astimezone(),
        display_number=ticket.get("display_number"),
        receipt_number=receipt.get("number"),
        show_english=show_english,
    )


class KioskPrinter:
    """The flow's printer port over printer_drivers.TicketPrinter (every call bounded in time)."""

    def __init__(self, printer, hospital_name: str = "Bệnh viện"):
        self.printer = printer
        self.hospital_name = hospital_name

    @classmethod
    def from_config(cls, config: dict, hospital_name: str = "Bệnh viện") -> "KioskPrinter":
        from printer_drivers.printer import TicketPrinter

        return cls(TicketPrinter(config), hospital_name)

    def print_ticket(self, ticket: dict, identity: dict | None, lang: str) -> PrintOutcome:
        data = ticket_print_data(ticket, identity, self.hospital_name)
        result = self.printer.print_ticket(data)
        if not result.ok:
            log.warning("ticket %s not printed: %s (%s)", ticket.get("display_number"), result.status,
                        result.detail)
        return PrintOutcome(result.ok, result.status)

    def print_receipt(self, invoice: dict, ticket: dict, lang: str) -> PrintOutcome:
        data = receipt_print_data(invoice, ticket, self.hospital_name)
        result = self.printer.print_receipt(data)
        if not result.ok:
            log.warning("receipt for %s not printed: %s (%s)", ticket.get("display_number"), result.status,
                        result.detail)
        return PrintOutcome(result.ok, result.status)

    def status(self) -> str:
        """For the heartbeat: one of ok, paper_low, paper_out, cover_open, offline."""
        try:
            return self.printer.status().status
        except Exception:  # a status query must never take the heartbeat down with it
            log.exception("printer status failed")
            return "offline"
