"""What each Socket.IO event carries (API.md, Socket.IO). Tickets carry no personal data: the TV
shows a number, and `name_masked` stays null until identification links tickets to patients."""
from datetime import datetime

from ..domain.catalog import Catalog, Service, ServicePoint
from ..domain.devices import DeviceStatus
from ..domain.tickets import Ticket, requeue_allowed
from ..messages import pair
from ..services.queue_positions import Place
from .rest import iso, linked_ticket, point_ref, priority_ref


def service_brief(s: Service) -> dict:
    return {"code": s.code, "name_vi": s.name_vi, "name_en": s.name_en}


def point_brief(p: ServicePoint) -> dict:
    return {"code": p.code, "name_vi": p.name_vi, "name_en": p.name_en, "room_vi": p.room_vi}


def _point(catalog: Catalog, t: Ticket) -> ServicePoint | None:
    return catalog.points.get(t.service_point) if t.service_point else None


def patient_update(t: Ticket, place: Place | None, catalog: Catalog, links: dict | None = None,
                   public_url: str = "") -> dict:
    """`links`: services.tickets.links_of for a ticket just sent on ({"replaced_by", "current"}):
    the phone then reconnects with the same link and follows the new ticket."""
    point = _point(catalog, t)
    position, ahead, wait = place if place is not None else (None, None, None)
    body = {
        "id": t.id,
        "display_number": t.display_number,
        "status": t.status.value,
        "position": position,
        "people_ahead": ahead,
        "estimated_wait_min": wait,
        "service_point": point_ref(point) if point else None,
        "called_at": iso(t.called_at),
    }
    if links:
        body["replaced_by"] = linked_ticket(links["replaced_by"], catalog, public_url)
        body["current"] = linked_ticket(links["current"], catalog, public_url)
    return body


def staff_update(t: Ticket, action: str, place: Place | None, catalog: Catalog) -> dict:
    point = _point(catalog, t)
    position, ahead, wait = place if place is not None else (None, None, None)
    return {
        "action": action,
        "id": t.id,
        "display_number": t.display_number,
        "status": t.status.value,
        "service": service_brief(catalog.service(t.service_code)),
        "service_point": point_brief(point) if point else None,
        "priority": priority_ref(t),
        "position": position,
        "people_ahead": ahead,
        "estimated_wait_min": wait,
        "issued_at": iso(t.issued_at),
        "called_at": iso(t.called_at),
        "payment_required": t.payment_required,
        "paid": t.paid,
        "recall_count": t.recall_count,
        "requeue_allowed": requeue_allowed(t, catalog.skip_requeue_limit),
        "transferred_from": t.transferred_from,
    }


def display_call(t: Ticket, catalog: Catalog) -> dict:
    point = catalog.point(t.service_point)
    return {
        "display_number": t.display_number,
        "service_point": point_brief(point),
        "service": service_brief(catalog.service(t.service_code)),
        "name_masked": None,
        "at": iso(t.called_at),
        "recall": t.recall_count > 0,
    }


def display_current(t: Ticket, catalog: Catalog) -> dict:
    return {"display_number": t.display_number, "status": t.status.value,
            "service": service_brief(catalog.service(t.service_code)), "name_masked": None,
            "called_at": iso(t.called_at)}


def display_cleared(t: Ticket, point: ServicePoint, at: datetime) -> dict:
    """Extension of API.md: the point no longer shows this number (finished, skipped, cancelled)."""
    return {"display_number": t.display_number, "service_point": point_brief(point),
            "status": t.status.value, "at": iso(at)}


INVOICE_FIELDS = ("id", "status", "needs_refund", "amount", "currency", "provider", "paid_at",
                  "expires_at", "ticket_id", "at_cashier", "receipt")


def invoice_update(invoice: dict) -> dict:
    """A whitelist: whatever else the payment side keeps on an invoice stays on the server."""
    out = {}
    for k in INVOICE_FIELDS:
        if k in invoice:
            v = invoice[k]
            out[k] = iso(v) if isinstance(v, datetime) else v
    return out


def device_update(device: DeviceStatus) -> dict:
    """device.updated (staff): a kiosk's heartbeat, or the watch noticing it went silent."""
    return {"device": device.name, "printer_status": device.printer_status, "app_version": device.app_version,
            "last_seen_at": iso(device.last_seen_at), "responding": device.responding,
            "heartbeat_s": device.heartbeat_s, "at": iso(device.at)}


def long_wait_alert(t: Ticket, service: Service, waited_min: int, now: datetime) -> dict:
    return {
        "type": "long_wait",
        "ticket_id": t.id,
        "display_number": t.display_number,
        "service": service_brief(service),
        "waited_min": waited_min,
        "long_wait_min": service.long_wait_min,
        "at": iso(now),
        **_words(pair("alert.long_wait", number=t.display_number, service_vi=service.name_vi,
                      service_en=service.name_en, minutes=waited_min)),
    }


def _words(words) -> dict:
    return {"message_vi": words.vi, "message_en": words.en}


def alert_update(alert: dict) -> dict:
    return {k: (iso(v) if isinstance(v, datetime) else v) for k, v in alert.items()}
