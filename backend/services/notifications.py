"""Messages to patients' phones: "N people ahead of you", "please go to room …", and the reminder
the day before an appointment.

Each message has a key naming its event (this ticket, this call, this appointment slot). A periodic
pass finds the events that are due and sends each only after inserting its key into the ledger
(`sent_notifications`, primary key): whoever inserts the key sends, everybody else — another process,
the next pass — skips it. A gateway fault gives the key back so a later pass can try while the event
still matters; a refusal, or a crash after sending, keeps it: a missed message is better than two.
Accounts that turned notifications off are not even looked at. Each message is in the account's
language only (`PATCH /api/v1/me {"language"}`; the words are in backend/messages.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from ..domain.hospital_time import hospital_day, to_local
from ..domain.otp import mask_phone
from ..domain.tickets import TicketStatus
from ..messages import text
from . import queue_positions
from .accounts import mobile_of, phone_of
from .context import Deps
from .ports.notify import NotifyRejected, NotifyUnavailable, SmsMessage

log = logging.getLogger("tiepdon.notify")


@dataclass(frozen=True)
class Pending:
    key: str
    account_id: str
    kind: str
    phone_enc: str
    text: str


def places_text(number: str, ahead: int, service, room_vi: str, room_en: str, lang: str = "vi") -> str:
    key = "sms.next" if ahead == 0 else "sms.places"
    return text(key, lang, number=number, ahead=ahead, service_vi=service.name_vi, service_en=service.name_en,
                room_vi=room_vi, room_en=room_en)


def called_text(number: str, point_vi: str, point_en: str, lang: str = "vi") -> str:
    return text("sms.called", lang, number=number, point_vi=point_vi, point_en=point_en)


def reminder_text(service, start, lang: str = "vi") -> str:
    local = to_local(start)
    return text("sms.reminder", lang, service_vi=service.name_vi, service_en=service.name_en,
                time=f"{local:%H:%M}", date=f"{local:%d/%m/%Y}", room_vi=service.room_vi or service.name_vi,
                room_en=service.room_en or service.name_en)


def _queue_events(deps: Deps) -> list[Pending]:
    policy = mobile_of(deps).appointments
    today = hospital_day(deps.clock())
    out: list[Pending] = []
    with deps.uow.read() as uow:
        for r in uow.follow.open_followed_tickets(today):
            service = deps.catalog.service(r.service_code)
            if r.status == TicketStatus.CALLED.value:
                point = deps.catalog.points.get(r.service_point) if r.service_point else None
                point_vi = point.name_vi if point else service.room_vi
                point_en = point.name_en if point else service.room_en
                # A recall is a new call: the patient hears about it again, once.
                out.append(Pending(f"called:{r.id}:{r.recall_count}:{r.account_id}", r.account_id, "called",
                                   r.phone_enc, called_text(r.display_number, point_vi, point_en, r.language)))
                continue
            ahead = queue_positions.people_ahead(uow, r)
            if ahead <= policy.notify_places_ahead:
                out.append(Pending(f"places:{r.id}:{r.account_id}", r.account_id, "places", r.phone_enc,
                                   places_text(r.display_number, ahead, service, service.room_vi,
                                               service.room_en, r.language)))
        done = uow.notifications.existing([p.key for p in out])
    return [p for p in out if p.key not in done]


def _reminder_events(deps: Deps) -> list[Pending]:
    policy = mobile_of(deps).appointments
    now = deps.clock()
    local = to_local(now)
    if local.time() < policy.reminder_at:
        return []
    tomorrow = hospital_day(now) + timedelta(days=1)
    out: list[Pending] = []
    with deps.uow.read() as uow:
        for appt in uow.appointments.booked_on(tomorrow):
            account = uow.accounts.get(appt.account_id)
            if account is None or not account.notifications:
                continue
            service = deps.catalog.service(appt.service_code)
            # The slot is in the key: moving the appointment earns a reminder of the new time.
            out.append(Pending(f"reminder:{appt.id}:{int(appt.slot_start.timestamp())}", account.id,
                               "reminder", account.phone_enc,
                               reminder_text(service, appt.slot_start, account.language)))
        done = uow.notifications.existing([p.key for p in out])
    return [p for p in out if p.key not in done]


def _deliver(deps: Deps, items: list[Pending]) -> dict:
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    notifier = mobile_of(deps).notifier
    if notifier is None:
        return counts
    for item in items:
        with deps.uow.write() as uow:
            claimed = uow.notifications.claim(item.key, item.account_id, item.kind, deps.clock())
            uow.commit()
        if not claimed:
            counts["skipped"] += 1
            continue
        phone = phone_of(deps, item.phone_enc)
        try:
            notifier.send_sms(SmsMessage(to=phone, text=item.text, kind=item.kind, ref=item.key[:64]))
        except NotifyRejected as exc:
            with deps.uow.write() as uow:
                uow.notifications.finish(item.key, "failed", deps.clock(), exc.reason)
                uow.commit()
            log.warning("notification refused kind=%s to=%s reason=%s", item.kind, mask_phone(phone), exc.reason)
            counts["failed"] += 1
            continue
        except NotifyUnavailable as exc:
            with deps.uow.write() as uow:
                uow.notifications.release(item.key)
                uow.commit()
            log.info("notification postponed kind=%s reason=%s", item.kind, exc.reason)
            counts["failed"] += 1
            continue
        with deps.uow.write() as uow:
            uow.notifications.finish(item.key, "sent", deps.clock())
            uow.commit()
        counts["sent"] += 1
    return counts


def notify_queue(deps: Deps) -> dict:
    return _deliver(deps, _queue_events(deps))


def send_reminders(deps: Deps) -> dict:
    return _deliver(deps, _reminder_events(deps))


def run_notification_jobs(deps: Deps) -> dict:
    queue = notify_queue(deps)
    reminders = send_reminders(deps)
    return {"queue": queue, "reminders": reminders}
