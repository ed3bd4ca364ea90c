"""Domain objects → the JSON of API.md. Plain functions: this runs on every ticket request."""
from datetime import date, datetime

from ..domain.catalog import Catalog, Service, ServicePoint
from ..domain.devices import DeviceStatus
from ..domain.hospital_time import hospital_day, to_local
from ..domain.invoices import CashierDesk
from ..domain.tickets import Ticket, requeue_allowed
from ..messages import MESSAGES, pair
from ..services.appointments import FreeSlots
from ..services.payments import receipt_body
from ..services.queues import QueueOverview
from ..services.tickets import Linked, TicketView


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_local(value).isoformat(timespec="seconds")
    return value.isoformat()


def service_ref(s: Service) -> dict:
    return {"code": s.code, "name_vi": s.name_vi, "name_en": s.name_en, "room_vi": s.room_vi,
            "room_en": s.room_en, "directions_vi": s.directions_vi, "directions_en": s.directions_en}


def point_ref(p: ServicePoint) -> dict:
    return {"code": p.code, "name_vi": p.name_vi, "name_en": p.name_en, "room_vi": p.room_vi,
            "room_en": p.room_en}


def priority_label(reason) -> dict:
    vi, en = pair(f"priority.{reason.value}")
    return {"code": reason.value, "label_vi": vi, "label_en": en}


def priority_ref(t: Ticket) -> dict | None:
    if t.priority is None:
        return None
    declared = t.priority_declared
    status_vi, status_en = pair("priority_status.declared" if declared else "priority_status.confirmed")
    return {**priority_label(t.priority),
            "status": "declared" if declared else "confirmed", "status_vi": status_vi, "status_en": status_en}


def linked_ticket(linked, catalog: Catalog, public_url: str) -> dict:
    """Another ticket of the visit (`replaced_by`, `current`), as the contract of issue 17 names it:
    `number` is the number printed on it ("X001", the same as `display_number`)."""
    t = linked.ticket
    s = catalog.service(t.service_code)
    return {"id": t.id, "number": t.display_number, "display_number": t.display_number,
            "status": t.status.value, "service_code": s.code, "service_name_vi": s.name_vi,
            "service_name_en": s.name_en, "room_vi": s.room_vi, "room_en": s.room_en,
            "track_token": linked.track_token,
            "track_url": f"{public_url}/t/{t.id}?token={linked.track_token}"}


def ticket_json(view: TicketView, catalog: Catalog, public_url: str) -> dict:
    t = view.ticket
    point = catalog.points.get(t.service_point) if t.service_point else None
    return {
        "id": t.id,
        "display_number": t.display_number,
        "number": t.number,
        "date": t.day.isoformat(),
        "status": t.status.value,
        "service": service_ref(catalog.service(t.service_code)),
        "coverage": t.coverage,
        "priority": priority_ref(t),
        "position": view.position,
        "people_ahead": view.people_ahead,
        "estimated_wait_min": view.estimated_wait_min,
        "estimated_wait_at_issue_min": t.estimated_wait_min,
        "issued_at": iso(t.issued_at),
        "called_at": iso(t.called_at),
        "service_point": point_ref(point) if point else None,
        "visit_id": t.visit_id,
        "payment_required": t.payment_required,
        "paid": t.paid,
        "transferred_from": t.transferred_from,
        "recall_count": t.recall_count,
        "requeue_allowed": requeue_allowed(t, catalog.skip_requeue_limit),
        "track_token": view.track_token,
        "track_url": f"{public_url}/t/{t.id}?token={view.track_token}",
        "invoice": invoice_brief(view.invoice, catalog.cashier) if view.invoice is not None else None,
        "replaced_by": linked_ticket(view.replaced_by, catalog, public_url) if view.replaced_by else None,
        "current": linked_ticket(view.current or Linked(t, view.track_token), catalog, public_url),
    }


def cashier_ref(desk: CashierDesk) -> dict:
    """Whether and where the patient may pay at the cashier, and what a kiosk's payment deadline does."""
    return {"allowed": desk.allowed, "where": {"vi": desk.where_vi, "en": desk.where_en},
            "on_timeout": desk.on_timeout}


def invoice_brief(invoice, cashier: CashierDesk) -> dict:
    """An invoice as the ticket and the kiosk show it (domain.invoices.Invoice, status as of now);
    `cashier`: the hospital's desk (catalog.cashier)."""
    return {
        "id": invoice.id,
        "status": invoice.status.value,
        "needs_refund": invoice.needs_refund,
        "amount": invoice.amount,
        "currency": "VND",
        "kind": invoice.kind.value,
        "description": invoice.description,
        "reference": invoice.reference,
        "due_before_call": invoice.due_before_call,
        "created_at": iso(invoice.created_at),
        "expires_at": iso(invoice.expires_at),
        "paid_at": iso(invoice.paid_at),
        "provider": invoice.provider,
        "at_cashier": invoice.at_cashier,
        "cashier": cashier_ref(cashier),
        "receipt": receipt_body(invoice),
    }


def free_slots_json(data: FreeSlots) -> dict:
    """GET /appointments/slots."""
    return {"service": service_ref(data.service), "date": data.date.isoformat(), "state": data.state,
            "slot_min": data.slot_min,
            "slots": [{"start": iso(s.start), "end": iso(s.end), "capacity": s.capacity, "free": s.free}
                      for s in data.slots]}


def heartbeat_json(state: DeviceStatus) -> dict:
    """POST /devices/heartbeat: what the kiosk's heartbeat recorded."""
    return {"device": state.name, "printer_status": state.printer_status, "app_version": state.app_version,
            "last_seen_at": iso(state.last_seen_at)}


def device_json(device: DeviceStatus) -> dict:
    """One kiosk of GET /devices."""
    return {"name": device.name, "kind": device.kind, "last_seen_at": iso(device.last_seen_at),
            "printer_status": device.printer_status, "app_version": device.app_version,
            "revoked": device.revoked, "responding": device.responding, "heartbeat_s": device.heartbeat_s}


def queues_json(data: QueueOverview) -> dict:
    services = []
    for row in data.services:
        s = row.service
        services.append({
            "service": {"code": s.code, "name_vi": s.name_vi, "name_en": s.name_en,
                        "prefix": s.prefix, "kind": s.kind},
            "open_now": row.open,
            "waiting": row.waiting,
            "called": row.called,
            "serving": row.serving,
            "priority_waiting": row.priority_waiting,
            "unpaid_waiting": row.unpaid_waiting,
            "longest_wait_min": row.longest_wait_min,
            "estimated_wait_min": row.estimated_wait_min,
            "average_service_s": row.average_service_s,
        })
    points = []
    for row in data.points:
        p, t = row.point, row.current
        points.append({
            "service_point": point_ref(p),
            "services": list(p.services),
            "current": None if t is None else {
                "id": t.id, "display_number": t.display_number, "status": t.status.value,
                "service": {"code": t.service_code}, "called_at": iso(t.called_at),
                "priority": priority_ref(t),
            },
        })
    return {"at": iso(data.at), "services": services, "service_points": points}


def services_json(data: QueueOverview, catalog: Catalog, payment_methods: list[dict]) -> dict:
    """GET /api/v1/services from services.queues.overview: what is on offer today and the wait;
    `payment_methods` from services.payments.method_choices (the kiosk's method buttons)."""
    services = []
    for row in data.services:
        s = row.service
        services.append({
            **service_ref(s), "prefix": s.prefix, "kind": s.kind,
            "coverages": list(s.coverages), "fee_vnd": s.fee_vnd, "open_now": row.open,
            "kiosk": s.kiosk, "waiting": row.waiting,
            "estimated_wait_min": row.estimated_wait_min,
            "payment_before_call": s.payment_before_call,
        })
    return {"date": hospital_day(data.at).isoformat(),
            "hospital": {"code": catalog.hospital_code, "name_vi": catalog.hospital_name_vi,
                         "name_en": catalog.hospital_name_en},
            "services": services, "payment_methods": payment_methods}


def account_json(a) -> dict:
    """services.accounts.Account: the patient app's account, phone masked."""
    return {"id": a.id, "phone_masked": a.phone_masked, "notifications": a.notifications,
            "language": a.language, "created_at": iso(a.created_at)}


def link_json(link) -> dict:
    """services.accounts.Link: a patient linked to an account."""
    return {"id": link.id, "relation": link.relation, "name_masked": link.name_masked, "since": iso(link.created_at)}


def _words(prefix: str, key: str, **fields) -> dict:
    t = pair(key, **fields)
    return {f"{prefix}_vi": t.vi, f"{prefix}_en": t.en}


def bhyt_flag_json(row: dict) -> dict:
    """A flagged BHYT check for reception: BHXH's code in words, what to do, the action offered."""
    code = row.get("code") or ""
    meaning = f"bhxh_code.{code}"
    todo = f"bhyt_todo.{row['outcome']}"
    return {
        "visit_id": row["visit_id"], "status": row["status"], "code": row["code"], "outcome": row["outcome"],
        "attempts": row["attempts"], "name_masked": row["name_masked"], "tickets": row["tickets"],
        **(_words("meaning", meaning) if meaning in MESSAGES else _words("meaning", "bhxh_code.unknown", code=code)),
        **_words("todo", todo if todo in MESSAGES else "bhyt_todo.other"),
        "action": row["action"],
    }


def his_item_json(row: dict) -> dict:
    """A visit not yet in the HIS: its state in words and what staff can do (send now / again)."""
    key = f"his_state.{row['status']}"
    words = _words("todo", key, attempts=row["attempts"]) if key in MESSAGES else {}
    return {**row, "queued_at": iso(row["queued_at"]), "next_attempt_at": iso(row["next_attempt_at"]), **words}


def current_patient_json(current, catalog: Catalog, public_url: str) -> dict:
    """GET /service-points/{code}/current: the ticket, who it is (masked), coverage, payment."""
    t = current.view.ticket
    check = current.bhyt_check
    bhyt = None
    if check is not None:
        key = f"bhxh_code.{check['code']}"
        bhyt = {**check, **(_words("meaning", key) if key in MESSAGES else {})}
    invoice = current.view.invoice
    return {
        "ticket": ticket_json(current.view, catalog, public_url),
        "patient": None if current.name_masked is None else {
            "name_masked": current.name_masked, "age": current.age, "gender": current.gender},
        "coverage": {"kind": t.coverage, "bhyt_check": bhyt},
        "payment": {"required": t.payment_required, "paid": t.paid,
                    "invoice_status": invoice.status.value if invoice is not None else None,
                    "amount": invoice.amount if invoice is not None else None},
    }
