"""The patient's whole path at the kiosk, as a state machine in plain Python.

No Kivy here (a test imports this module with kivy blocked): the screens only draw the view-model of
the current state and turn taps into the intent methods below (``start``, ``scan``, ``choose_service``,
``confirm`` …). Everything slow — the backend, the printer — goes through ``run_io(job, done)``: the
app runs the job on a worker thread and calls ``done`` back on the UI thread; tests run it inline.

Three rules shape the code:
* Personal data lives only in ``Session``; every reset replaces it and bumps ``generation``, so an
  answer that comes back after a reset is dropped instead of showing one patient's data to the next.
* A ticket number is only ever shown when the backend issued it. A retried "Lấy số" (after a network
  failure or a rate limit) reuses the Idempotency-Key made when the patient tapped, so the backend
  answers with the first ticket instead of a second one.
* Time is read from ``clock`` (monotonic seconds) and acted on in ``tick()``: idle reset, the payment
  deadline and polling, the ticket screen's return to welcome, offline probes, automatic retries.
"""
from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Callable, Protocol

from .gateways.rest import Offline, Problem
from .i18n import (DECLARABLE_PRIORITIES, PROBLEM_TEXT, S, TONE_MARKS, Text, cashier_text,
                   pay_later_text, timeout_cancelled_text)

log = logging.getLogger("kiosk.flow")


class Screen(str, Enum):
    WELCOME = "welcome"
    SCAN = "scan"
    MANUAL = "manual"
    BUSY = "busy"
    CHOOSE = "choose"
    CONFIRM = "confirm"
    PAYMENT = "payment"
    TICKET = "ticket"
    MESSAGE = "message"
    OFFLINE = "offline"


# Screens where the patient is expected to act: 45 s without a touch there means they walked away.
IDLE_SCREENS = frozenset({Screen.SCAN, Screen.MANUAL, Screen.CHOOSE, Screen.CONFIRM, Screen.MESSAGE})
# Codes after which the patient must present a card again.
RESCAN_CODES = frozenset({"CARD_REQUIRED", "IDENTIFY_TOKEN_INVALID"})
BHYT_USABLE = frozenset({"ok", "flagged", "pending"})
ACTIVE_TICKET = frozenset({"waiting", "called", "serving"})
# The appointment QR from booking (API: TDA1.<id>.<mac>) and the QR printed on a ticket (its phone
# tracking link …/t/<id>?token=…): neither holds personal data, both are proof of possession.
APPOINTMENT_QR = re.compile(r"TDA1\.([A-Za-z0-9_-]{1,64})\.[A-Za-z0-9_-]{1,128}")
TRACK_QR = re.compile(r"https?://[^\s/]+(?:/[^\s?]*)?/t/([A-Za-z0-9_-]{1,64})\?token=([A-Za-z0-9_.~-]{1,256})")


class Gateway(Protocol):
    def services(self, lang: str = "vi") -> dict: ...
    def identify(self, payload: dict, lang: str = "vi") -> dict: ...
    def create_ticket(self, body: dict, idempotency_key: str, lang: str = "vi") -> dict: ...
    def cancel_ticket(self, ticket_id: str, token: str, lang: str = "vi") -> dict: ...
    def invoice(self, invoice_id: str, lang: str = "vi") -> dict: ...
    def vnpay(self, invoice_id: str, lang: str = "vi") -> dict: ...
    def vietqr(self, invoice_id: str, lang: str = "vi") -> dict: ...
    def pay(self, invoice_id: str, method: str, lang: str = "vi") -> dict: ...
    def pay_at_cashier(self, invoice_id: str, lang: str = "vi") -> dict: ...
    def ticket(self, ticket_id: str, token: str, lang: str = "vi") -> dict: ...
    def check_in_appointment(self, appointment_id: str, qr: str, lang: str = "vi") -> dict: ...
    def heartbeat(self, printer_status: str, lang: str = "vi") -> dict: ...


class TicketPrinterPort(Protocol):
    def print_ticket(self, ticket: dict, identity: dict | None, lang: str) -> "PrintOutcome": ...
    def print_receipt(self, invoice: dict, ticket: dict, lang: str) -> "PrintOutcome": ...


@dataclass(frozen=True)
class PrintOutcome:
    ok: bool
    status: str  # ok | paper_low | paper_out | cover_open | offline


@dataclass
class FlowConfig:
    idle_reset_s: float = 45.0
    ticket_screen_s: float = 20.0
    # A patient whose ticket did not print needs time to photograph the screen.
    ticket_screen_unprinted_s: float = 60.0
    payment_timeout_s: float = 300.0
    payment_poll_s: float = 3.0
    offline_retry_s: float = 5.0
    default_language: str = "vi"
    payment_method: str = "vietqr"  # the one to start with, if the backend offers it


# What a backend that does not list its payment methods (GET /services payment_methods) offers.
DEFAULT_PAYMENT_METHODS = ({"method": "vietqr"}, {"method": "vnpay"})
# API.md gives these two their own routes (kept, so they behave exactly as before); any other
# method is started through POST /invoices/{id}/pay.
_OWN_ROUTES = ("vietqr", "vnpay")


@dataclass
class ManualEntry:
    id_type: str = "cccd"
    number: str = ""
    dob: str = ""  # digits only, ddmmyyyy or yyyy
    name: str = ""
    field: str = "number"


@dataclass
class PendingIssue:
    body: dict
    key: str  # made once per tap on "Lấy số"; every retry of that tap reuses it


@dataclass
class Session:
    """Everything about the patient at the kiosk now. Replaced, never edited back, on reset."""

    consent: bool = False
    pending_scan: str | None = None
    identity: dict | None = None
    walk_in: bool = False
    services: list = field(default_factory=list)
    service_code: str | None = None
    coverage: str | None = None
    bhyt_refused: bool = False
    priority: str | None = None
    issue: PendingIssue | None = None
    ticket: dict | None = None
    ticket_existing: bool = False
    invoice: dict | None = None
    payment: dict | None = None
    payment_method: str = "vietqr"
    payment_deadline: float | None = None
    next_poll: float = 0.0
    print_state: str = "none"  # none | printing | printed | failed
    print_status: str | None = None
    receipt_due: bool = False  # a payment just went through: its receipt follows the ticket
    receipt_state: str = "none"  # none | printing | printed | failed
    notice: Text | None = None
    busy: Text | None = None
    message: Text | None = None
    message_title: Text | None = None
    actions: tuple = ()
    auto_retry_at: float | None = None
    manual: ManualEntry = field(default_factory=ManualEntry)

    @property
    def has_personal_data(self) -> bool:
        return any((self.pending_scan, self.identity, self.ticket, self.manual.number,
                    self.manual.name, self.manual.dob))


def inline_io(job: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
    """Runs a job on the caller's thread (tests, scripts)."""
    try:
        result = job()
    except Exception as exc:  # handed to done, which decides
        done(None, exc)
        return
    done(result, None)


class KioskFlow:
    def __init__(self, gateway: Gateway, *, printer: TicketPrinterPort | None = None,
                 config: FlowConfig | None = None, clock: Callable[[], float] | None = None,
                 run_io=inline_io, new_key: Callable[[], str] | None = None,
                 wall_clock: Callable[[], datetime] | None = None):
        import time

        self.gateway = gateway
        self.printer = printer
        self.config = config or FlowConfig()
        self.clock = clock or time.monotonic
        self.wall_clock = wall_clock or (lambda: datetime.now(timezone.utc))
        self.run_io = run_io
        self.new_key = new_key or (lambda: uuid.uuid4().hex)
        self.lang = self.config.default_language
        self.session = Session(payment_method=self.config.payment_method)
        self.screen = Screen.WELCOME
        self.generation = 0
        self.hospital_name: Text | None = None
        self.payment_methods: list[dict] = [dict(m) for m in DEFAULT_PAYMENT_METHODS]
        self.printer_status = "ok"
        self.offline_reason: str | None = None  # network | unauthorized
        self._retry: Callable[[], None] | None = None
        self._next_probe = 0.0
        self._inflight: set[str] = set()
        self.last_activity = self.clock()
        self.screen_since = self.last_activity
        self.listeners: list[Callable[[KioskFlow], None]] = []
        self.cue_listeners: list[Callable[[str], None]] = []
        self.cues: list[str] = []  # recent sound cues, for tests and the bench
        self.tickets_shown: list[str] = []  # ids, for the bench and tests; no personal data
        # Called when the kiosk learns a new printer state (a print's outcome): the app sends a
        # heartbeat at once so staff see the fault now, not at the next period.
        self.printer_listeners: list[Callable[[str], None]] = []
        # Runs a callable once the current screen has been drawn; the app sets it. Printing waits
        # for it so the number is on screen before the print job competes for the CPU.
        self.after_draw: Callable[[Callable[[], None]], None] = lambda fn: fn()

    # ------------------------------------------------------------------ plumbing
    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener(self)

    def _cue(self, name: str) -> None:
        self.cues.append(name)
        del self.cues[:-20]
        for listener in list(self.cue_listeners):
            listener(name)

    def _go(self, screen: Screen) -> None:
        self.screen = screen
        self.screen_since = self.clock()
        self._changed()

    def _io(self, kind: str, job: Callable[[], Any], on_ok: Callable[[Any], None],
            on_error: Callable[[BaseException], None] | None = None, *, keep: bool = False) -> None:
        """Start a job; its answer is applied only if no reset happened meanwhile (unless `keep`)."""
        generation = self.generation
        self._inflight.add(kind)

        def done(result, error):
            self._inflight.discard(kind)
            if generation != self.generation and not keep:
                return
            if error is None:
                on_ok(result)
            elif on_error is not None:
                on_error(error)
            else:
                self._fail(error, None)

        self.run_io(job, done)

    def touch(self) -> None:
        """Any tap or key: the patient is still there."""
        self.last_activity = self.clock()

    # ------------------------------------------------------------------ reset and language
    def reset(self, reason: str = "done") -> None:
        """Back to welcome; the patient's data goes with the old Session object."""
        log.info("reset: %s", reason)
        self.generation += 1
        self.session = Session(payment_method=self.config.payment_method)
        self.lang = self.config.default_language
        self._retry = None
        self.touch()
        self._go(Screen.OFFLINE if self.offline_reason else Screen.WELCOME)

    def toggle_language(self) -> None:
        self.touch()
        self.lang = "en" if self.lang == "vi" else "vi"
        self._changed()

    def warm_up(self) -> None:
        """At start: learn the hospital's name for the header (no patient involved)."""
        lang = self.lang

        def ok(data):
            hospital = data.get("hospital") or {}
            self._take_payment_methods(data)
            if hospital.get("name_vi"):
                self.hospital_name = Text(hospital["name_vi"], hospital.get("name_en") or hospital["name_vi"])
                self._changed()

        self._io("warm_up", lambda: self.gateway.services(lang), ok, lambda _e: None, keep=True)

    # ------------------------------------------------------------------ welcome, consent, scan
    def start(self) -> None:
        """The big button on welcome: it is also the consent tap."""
        if self.screen is not Screen.WELCOME:
            return
        self.touch()
        self.session.consent = True
        self.session.notice = None
        pending = self.session.pending_scan
        if pending is not None:
            self._identify({"scan": pending})
        else:
            self._go(Screen.SCAN)

    def scan(self, text: str) -> None:
        """A complete scan from either scanner. The backend decides whether it is a card."""
        if self.screen in (Screen.BUSY, Screen.PAYMENT, Screen.OFFLINE):
            return  # nothing can be done with it now, and it must not be kept
        self.touch()
        text = unicodedata.normalize("NFC", text.strip())
        if not text:
            return
        if self.screen not in (Screen.WELCOME, Screen.SCAN, Screen.MANUAL):
            # A scan on any later screen is most likely the next person: they consent themselves.
            self.reset("new_scan")
        appointment = APPOINTMENT_QR.fullmatch(text)
        if appointment:
            # Booked with a linked card: the QR proves the booking, and holds no personal data.
            self._check_in(appointment.group(1), text)
            return
        track = TRACK_QR.fullmatch(text)
        if track:
            self._find_ticket(track.group(1), track.group(2))
            return
        if not self.session.consent:
            self.session.pending_scan = text
            self.session.notice = S["consent_needed"]
            self._cue("attention")
            self._go(Screen.WELCOME)
            return
        self._identify({"scan": text})

    def to_scan(self) -> None:
        self.touch()
        if self.session.consent:
            self.session.notice = None
            self._go(Screen.SCAN)

    def no_papers(self) -> None:
        """Walk-in without papers: no identity, self-pay only (API: BHYT needs a card)."""
        if self.screen is not Screen.SCAN:
            return
        self.touch()
        self.session.walk_in = True
        self.session.identity = None
        self.session.notice = None
        self._load_services()

    # ------------------------------------------------------------------ manual entry
    def manual_open(self) -> None:
        if self.screen is not Screen.SCAN:
            return
        self.touch()
        self.session.manual = ManualEntry()
        self.session.notice = None
        self._go(Screen.MANUAL)

    def manual_type(self, id_type: str) -> None:
        self.touch()
        if id_type in ("cccd", "bhyt"):
            self.session.manual.id_type = id_type
            self.session.manual.number = ""
            self._changed()

    def manual_field(self, name: str) -> None:
        self.touch()
        if name in ("number", "dob", "name"):
            self.session.manual.field = name
            self._changed()

    def manual_key(self, key: str) -> None:
        """One key of the on-screen keyboard: a character, 'back', 'space', or a tone name."""
        self.touch()
        m = self.session.manual
        value = getattr(m, m.field)
        if key == "back":
            value = value[:-1]
        elif key == "clear":
            value = ""
        elif m.field == "dob":
            if key.isdigit() and len(value) < 8:
                value += key
        elif m.field == "number":
            ch = key.upper()
            allowed = ch.isdigit() or (m.id_type == "bhyt" and "A" <= ch <= "Z")
            if len(ch) == 1 and allowed and len(value) < 15:
                value += ch
        else:  # name
            if key == "space":
                value = value + " " if value and not value.endswith(" ") else value
            elif key in TONE_MARKS:
                value = _apply_tone(value, TONE_MARKS[key])
            elif len(key) == 1 and key.isalpha() and len(value) < 60:
                value += key.upper()
        setattr(m, m.field, unicodedata.normalize("NFC", value))
        self._changed()

    def manual_submit(self) -> None:
        if self.screen is not Screen.MANUAL:
            return
        self.touch()
        m = self.session.manual
        if not m.number or len(m.dob) not in (4, 8) or len(m.name.strip()) < 2:
            self.session.notice = S["manual_missing"]
            self._cue("error")
            self._changed()
            return
        dob = m.dob if len(m.dob) == 4 else f"{m.dob[:2]}/{m.dob[2:4]}/{m.dob[4:]}"
        self._identify({"manual": {"id_type": m.id_type, "number": m.number,
                                   "name": " ".join(m.name.split()), "dob": dob}})

    # ------------------------------------------------------------------ identify and services
    def _busy(self, key: str) -> None:
        self.session.busy = S[key]
        self._go(Screen.BUSY)

    def _identify(self, source: dict) -> None:
        self._busy("busy_identify")
        payload = {**source, "consent": {"accepted": True}}
        lang = self.lang
        gateway = self.gateway

        def job():
            ident = gateway.identify(payload, lang)
            # Fetched in the same trip so the clinic list is on screen with the patient's name.
            return ident, gateway.services(lang)

        def ok(result):
            ident, services = result
            s = self.session
            s.pending_scan = None  # the raw QR text is not needed any more
            s.identity, s.walk_in, s.notice = ident, False, None
            hint = ident.get("assurance") or {}
            if self.typed_identity() and hint.get("message_vi"):
                s.notice = Text(hint["message_vi"], hint.get("message_en") or hint["message_vi"])
            s.manual = ManualEntry()
            self._take_services(services)
            self._cue("ok")
            held = self.open_tickets()
            if held:
                # A ticket today already: print the visit's current one again, never a second one.
                self._show_ticket(held[-1], existing=True, reprint=True)
                return
            self._go(Screen.CHOOSE)

        origin = Screen.MANUAL if "manual" in source else Screen.SCAN
        self._io("identify", job, ok,
                 lambda e: self._fail(e, lambda: self._identify(source), origin=origin))

    # ------------------------------------------------------------------ appointment and ticket QR
    def _check_in(self, appointment_id: str, qr: str) -> None:
        """The booking's QR: the appointment becomes a ticket (POST /appointments/{id}/check-in)."""
        self._busy("busy_checkin")
        lang = self.lang

        def ok(answer):
            ticket = answer.get("ticket") or {}
            note = None
            if answer.get("message_vi"):
                note = Text(answer["message_vi"], answer.get("message_en") or answer["message_vi"])
            self._cue("ok")
            self._issued(ticket, notice=note)

        def error(exc):
            if isinstance(exc, Problem) and exc.code == "APPOINTMENT_ALREADY_CHECKED_IN" \
                    and isinstance(exc.body.get("ticket"), dict):
                self._show_held(exc.body["ticket"])
            elif isinstance(exc, Problem) and exc.code.startswith("APPOINTMENT_"):
                self._cue("error")
                self._message(_appointment_problem(exc), ("home",))
            else:
                self._fail(exc, lambda: self._check_in(appointment_id, qr))

        self._io("check_in", lambda: self.gateway.check_in_appointment(appointment_id, qr, lang), ok, error)

    def _find_ticket(self, ticket_id: str, token: str) -> None:
        """The QR of a printed ticket: print the visit's current ticket again (a transfer may have
        given it a new number)."""
        self._busy("busy_ticket_lookup")
        lang = self.lang

        def ok(answer):
            self._show_held(answer)

        def error(exc):
            if isinstance(exc, Offline) or (isinstance(exc, Problem) and exc.code == "SERVICE_UNAVAILABLE"):
                self._fail(exc, lambda: self._find_ticket(ticket_id, token))
            else:
                # A wrong or old token says nothing about this kiosk's own rights.
                self._cue("error")
                self._message(S["ticket_qr_unknown"], ("home",))

        self._io("find_ticket", lambda: self.gateway.ticket(ticket_id, token, lang), ok, error)

    def _show_held(self, ticket: dict) -> None:
        ticket = current_ticket(ticket)
        if ticket.get("status") not in ACTIVE_TICKET:
            self._cue("error")
            self._message(S["ticket_not_active"], ("home",))
            return
        self._show_ticket(ticket, existing=True, reprint=True)

    def other_clinic(self) -> None:
        """From a held ticket shown after a card scan: the patient wants another clinic too."""
        s = self.session
        if self.screen is not Screen.TICKET or not s.ticket_existing or s.identity is None \
                or s.print_state == "printing":
            return
        self.touch()
        s.ticket, s.ticket_existing, s.notice, s.print_state = None, False, None, "none"
        self._go(Screen.CHOOSE)

    def _load_services(self, notice: Text | None = None) -> None:
        self._busy("busy_services")
        lang = self.lang

        def ok(services):
            self._take_services(services)
            self.session.notice = notice
            self._go(Screen.CHOOSE)

        self._io("services", lambda: self.gateway.services(lang), ok,
                 lambda e: self._fail(e, lambda: self._load_services(notice)))

    def _take_payment_methods(self, data: dict) -> None:
        offered = data.get("payment_methods")
        if isinstance(offered, list):
            self.payment_methods = [m for m in offered if isinstance(m, dict) and isinstance(m.get("method"), str)]

    def offered_methods(self) -> list[str]:
        return [m["method"] for m in self.payment_methods]

    def _take_services(self, data: dict) -> None:
        self._take_payment_methods(data)
        hospital = data.get("hospital") or {}
        if hospital.get("name_vi"):
            self.hospital_name = Text(hospital["name_vi"], hospital.get("name_en") or hospital["name_vi"])
        rows = [s for s in data.get("services", []) if s.get("kiosk", True)]
        if self.session.walk_in:
            rows = [s for s in rows if "self_pay" in s.get("coverages", ())]
        self.session.services = rows

    def service(self, code: str | None) -> dict | None:
        return next((s for s in self.session.services if s["code"] == code), None)

    def bhyt_usable(self) -> bool:
        ident = self.session.identity
        if ident is None or self.session.bhyt_refused:
            return False
        return (ident.get("bhyt_check") or {}).get("status") in BHYT_USABLE

    def typed_identity(self) -> bool:
        """A typed number BHXH did not confirm (DESIGN rule 9): it may get a new ticket, but the kiosk
        never shows, reprints or resumes a ticket already held, whatever the backend sent."""
        ident = self.session.identity
        if ident is None:
            return False
        level = (ident.get("assurance") or {}).get("level")
        if level is None:  # a backend from before assurance levels: judge by how it was entered
            return bool((ident.get("card") or {}).get("manual"))
        return level not in ("card", "confirmed")

    def open_tickets(self) -> list[dict]:
        if self.typed_identity():
            return []
        visit = (self.session.identity or {}).get("open_visit") or {}
        return [t for t in visit.get("tickets", []) if t.get("status") in ("waiting", "called", "serving")]

    def resume_open_visit(self) -> None:
        """The patient already has a number today: show it again instead of making another."""
        if self.screen is not Screen.CHOOSE:
            return
        self.touch()
        tickets = self.open_tickets()
        if tickets:
            self._show_ticket(tickets[-1], existing=True)

    # ------------------------------------------------------------------ choose, confirm, issue
    def choose_service(self, code: str) -> None:
        if self.screen is not Screen.CHOOSE:
            return
        self.touch()
        svc = self.service(code)
        if svc is None:
            return
        if not svc.get("open_now", True):
            self.session.notice = PROBLEM_TEXT["QUEUE_CLOSED"]
            self._cue("error")
            self._changed()
            return
        s = self.session
        s.service_code, s.notice = code, None
        s.coverage = self._default_coverage(svc)
        self._go(Screen.CONFIRM)

    def _default_coverage(self, svc: dict) -> str:
        allowed = svc.get("coverages") or ["self_pay"]
        if "bhyt" in allowed and self.bhyt_usable():
            return "bhyt"
        return "self_pay" if "self_pay" in allowed else allowed[0]

    def coverage_choices(self) -> list[str]:
        svc = self.service(self.session.service_code) or {}
        allowed = list(svc.get("coverages") or ["self_pay"])
        if self.session.walk_in:
            allowed = [c for c in allowed if c == "self_pay"]
        return allowed

    def set_coverage(self, coverage: str) -> None:
        if self.screen is not Screen.CONFIRM:
            return
        self.touch()
        if coverage == "bhyt" and self.session.identity is None:
            self.session.notice = S["bhyt_needs_card"]
        elif coverage in self.coverage_choices():
            self.session.coverage = coverage
            self.session.notice = None
        self._changed()

    def toggle_priority(self, code: str) -> None:
        if self.screen is not Screen.CONFIRM or code not in DECLARABLE_PRIORITIES:
            return
        self.touch()
        self.session.priority = None if self.session.priority == code else code
        self._changed()

    def back(self) -> None:
        self.touch()
        s = self.session
        if self.screen is Screen.CONFIRM:
            s.notice = None
            self._go(Screen.CHOOSE)
        elif self.screen is Screen.MANUAL:
            s.notice = None
            s.manual = ManualEntry()
            self._go(Screen.SCAN)
        elif self.screen in (Screen.SCAN, Screen.CHOOSE):
            self.reset("back")

    def confirm(self) -> None:
        """"Lấy số": the one tap that may create a ticket."""
        if self.screen is not Screen.CONFIRM:
            return  # a second tap while the first is on its way lands on BUSY and is ignored
        self.touch()
        s = self.session
        body: dict[str, Any] = {"service_code": s.service_code, "coverage": s.coverage}
        if s.identity is not None:
            body["identify_token"] = s.identity["identify_token"]
        if s.priority:
            body["priority_reason"] = s.priority
        s.issue = PendingIssue(body, self.new_key())
        self._issue()

    def _issue(self) -> None:
        issue = self.session.issue
        if issue is None:
            return
        self._busy("busy_ticket")
        lang = self.lang
        self._io("issue", lambda: self.gateway.create_ticket(issue.body, issue.key, lang),
                 self._issued, lambda e: self._fail(e, self._issue))

    def _issued(self, ticket: dict, notice: Text | None = None) -> None:
        s = self.session
        s.issue = None
        invoice = ticket.get("invoice")
        pending = bool(invoice) and invoice.get("status") == "pending"
        due_now = pending and invoice.get("due_before_call", bool(ticket.get("payment_required")))
        if due_now:
            # The hospital calls nobody who has not paid: pay here, now.
            s.ticket, s.invoice = ticket, invoice
            self._start_payment()
        elif pending:
            self._show_ticket(ticket, notice=pay_later_text(invoice.get("amount")))
        elif ticket.get("payment_required") and not ticket.get("paid"):
            self._show_ticket(ticket, notice=S["payment_at_cashier"])
        else:
            self._show_ticket(ticket, notice=notice)

    # ------------------------------------------------------------------ payment
    def _start_payment(self) -> None:
        s = self.session
        now = self.clock()
        s.payment_deadline = now + self.config.payment_timeout_s
        s.payment, s.notice = None, None
        offered = self.offered_methods()
        if offered and s.payment_method not in offered:
            s.payment_method = offered[0]
        self._cap_deadline(s.invoice.get("expires_at"))
        s.next_poll = now + self.config.payment_poll_s
        self._go(Screen.PAYMENT)
        self._fetch_qr()

    def _cap_deadline(self, expires_at: str | None) -> None:
        """The invoice's own expiry (wall clock) can be earlier than the kiosk's patience."""
        if not expires_at:
            return
        try:
            when = datetime.fromisoformat(expires_at)
        except ValueError:
            return
        if when.tzinfo is None:
            return
        left = (when - self.wall_clock()).total_seconds()
        s = self.session
        s.payment_deadline = min(s.payment_deadline or float("inf"), self.clock() + max(left, 0.0))

    def _fetch_qr(self) -> None:
        s = self.session
        invoice_id, method, lang = s.invoice["id"], s.payment_method, self.lang
        if method in _OWN_ROUTES:
            call = getattr(self.gateway, method)
        else:
            def call(invoice_id, lang):
                return self.gateway.pay(invoice_id, method, lang)

        def ok(answer):
            if self.screen is not Screen.PAYMENT or self.session.payment_method != method:
                return
            self.session.payment = {**answer, "method": method}
            self._cap_deadline(answer.get("expires_at"))
            self._changed()

        def error(exc):
            if isinstance(exc, Offline):
                self._fail(exc, self._fetch_qr)
                return
            # The ticket exists and is unpaid: the cashier can take the fee, so show the number.
            log.warning("QR payment unavailable: %r", exc)
            self._show_ticket(self.session.ticket, notice=S["payment_unavailable"])

        self._io("qr", lambda: call(invoice_id, lang), ok, error)

    def set_payment_method(self, method: str) -> None:
        if self.screen is not Screen.PAYMENT or method not in self.offered_methods():
            return
        self.touch()
        if method != self.session.payment_method:
            self.session.payment_method = method
            self.session.payment = None
            self._changed()
            self._fetch_qr()

    def invoice_event(self, payload: dict) -> None:
        """`invoice.updated` from Socket.IO: a hint to read the invoice now (events carry deltas)."""
        s = self.session
        if self.screen is Screen.PAYMENT and s.invoice and payload.get("id") == s.invoice["id"]:
            self._poll_invoice()

    def realtime_connected(self) -> None:
        """After a (re)connect we may have missed an event: read the current state."""
        if self.screen is Screen.PAYMENT:
            self._poll_invoice()

    def _poll_invoice(self) -> None:
        if "poll" in self._inflight:
            return
        s = self.session
        s.next_poll = self.clock() + self.config.payment_poll_s
        invoice_id, lang = s.invoice["id"], self.lang

        def ok(invoice):
            status = invoice.get("status")
            if status == "paid":
                self._paid(invoice)
            elif status in ("expired", "refunded") and self.screen is Screen.PAYMENT:
                self._end_payment("payment_timeout")

        # A missed poll is simply retried at the next one; the deadline still bounds the wait.
        self._io("poll", lambda: self.gateway.invoice(invoice_id, lang), ok, lambda _e: None)

    def _paid(self, invoice: dict) -> None:
        # BUSY: the patient tapped cancel (or time ran out) just as the money arrived.
        if self.screen not in (Screen.PAYMENT, Screen.BUSY) or self.session.ticket is None:
            return
        s = self.session
        ticket = dict(s.ticket)
        ticket["paid"] = True
        ticket["invoice"] = {**(s.invoice or {}), **invoice}
        s.invoice = ticket["invoice"]
        self._cue("ok")
        s.receipt_due = self.printer is not None
        self._show_ticket(ticket)

    # --- the cashier (hospital file [payments] cashier / on_timeout, read from the invoice) ---
    def cashier_offered(self) -> bool:
        """A backend that does not say (no `cashier` on the invoice) offers no cashier."""
        return bool(((self.session.invoice or {}).get("cashier") or {}).get("allowed"))

    def pay_at_cashier(self) -> None:
        """"Trả tại quầy thu ngân": keep the number, pay at the desk; the ticket says how much and where."""
        if self.screen is not Screen.PAYMENT or not self.cashier_offered():
            return
        self.touch()
        self._to_cashier(timed_out=False)

    def _to_cashier(self, timed_out: bool) -> None:
        s = self.session
        self._busy("busy_wait")
        invoice_id, lang = s.invoice["id"], self.lang

        def ok(invoice):
            if invoice.get("status") == "paid":
                self._paid(invoice)
                return
            s = self.session
            ticket = dict(s.ticket)
            ticket["invoice"] = {**(s.invoice or {}), **invoice, "at_cashier": True}
            s.invoice = ticket["invoice"]
            self._show_ticket(ticket, notice=cashier_text(ticket["invoice"], timed_out))

        def error(exc):
            if timed_out:
                self._cancel_unpaid("payment_timeout")  # the hospital does not hold it: say so
            elif isinstance(exc, Problem) and exc.code in ("CASHIER_NOT_OFFERED", "INVOICE_NOT_PENDING"):
                s.invoice = {**(s.invoice or {}), "cashier": {"allowed": False}}
                if exc.code == "CASHIER_NOT_OFFERED":
                    self._back_to_payment(PROBLEM_TEXT["CASHIER_NOT_OFFERED"])
                else:  # paid meanwhile, or no longer payable: read it and act on what it is
                    self._end_payment("payment_timeout")
            else:
                self._fail(exc, lambda: self._to_cashier(timed_out))

        self._io("cashier", lambda: self.gateway.pay_at_cashier(invoice_id, lang), ok, error)

    def _back_to_payment(self, notice: Text) -> None:
        self.session.notice = notice
        self._go(Screen.PAYMENT)

    def cancel_payment(self) -> None:
        if self.screen is not Screen.PAYMENT:
            return
        self.touch()
        self._end_payment("payment_cancelled")

    def _end_payment(self, message_key: str) -> None:
        """Cancel or timeout: check once more (money may have just moved), then follow the
        hospital's rule for a deadline (keep the number for the cashier, or cancel it), and say so."""
        s = self.session
        if s.ticket is None:
            return
        self._busy("busy_wait")

        def decided(status):
            if status == "paid":
                return  # _paid showed the ticket
            rule = (self.session.invoice or {}).get("cashier") or {}
            if message_key == "payment_timeout" and rule.get("allowed") and rule.get("on_timeout") == "cashier":
                self._to_cashier(timed_out=True)
            else:
                self._cancel_unpaid(message_key)

        def ok(invoice):
            if invoice.get("status") == "paid":
                self._paid(invoice)
            else:
                self.session.invoice = {**(self.session.invoice or {}), **invoice}
                decided(invoice.get("status"))

        invoice_id, lang = s.invoice["id"], self.lang
        self._io("final_check", lambda: self.gateway.invoice(invoice_id, lang), ok,
                 lambda _e: decided(None))

    def _cancel_unpaid(self, message_key: str) -> None:
        ticket = self.session.ticket
        text = (timeout_cancelled_text(ticket.get("display_number", "")) if message_key == "payment_timeout"
                else S[message_key])
        title = S["payment_timeout_title"] if message_key == "payment_timeout" else None

        def said(_result):
            self._message(text, ("home",), title=title)

        self._io("cancel", lambda: self.gateway.cancel_ticket(ticket["id"], ticket["track_token"]),
                 said, said)

    def payment_seconds_left(self) -> int | None:
        d = self.session.payment_deadline
        return None if d is None else max(0, int(d - self.clock() + 0.999))

    # ------------------------------------------------------------------ ticket and printing
    def _show_ticket(self, ticket: dict, *, existing: bool = False, notice: Text | None = None,
                     reprint: bool = False) -> None:
        """`reprint`: a ticket held from earlier, shown for a scanned card or ticket/appointment QR,
        is printed again (never for a typed number: open_tickets() hides those)."""
        s = self.session
        s.ticket, s.ticket_existing, s.notice = ticket, existing, notice
        s.payment, s.payment_deadline = None, None
        self.tickets_shown.append(ticket["id"])
        del self.tickets_shown[:-200]
        self._cue("ticket")
        if self.printer is not None and (not existing or reprint):
            s.print_state = "printing"
            self._go(Screen.TICKET)
            generation = self.generation
            self.after_draw(lambda: self._print(ticket) if generation == self.generation else None)
        else:
            s.print_state = "none"
            self._go(Screen.TICKET)

    def reprint(self) -> None:
        s = self.session
        if self.screen is not Screen.TICKET or self.printer is None or s.print_state == "printing":
            return
        if s.ticket_existing and self.typed_identity():
            return
        self.touch()
        s.print_state = "printing"
        self._changed()
        self._print(s.ticket)

    def _print(self, ticket: dict) -> None:
        identity, lang, printer = self.session.identity, self.lang, self.printer

        def ok(outcome: PrintOutcome):
            self._printer_seen(outcome.status)
            s = self.session
            s.print_state = "printed" if outcome.ok else "failed"
            s.print_status = outcome.status
            if not outcome.ok:
                self._cue("error")
            self.screen_since = self.clock()  # the return timer starts once printing is over
            self._changed()
            if outcome.ok and s.receipt_due:
                s.receipt_due = False
                self._print_receipt(s.invoice or {}, ticket)

        def error(exc):
            log.exception("printing raised", exc_info=exc)
            ok(PrintOutcome(False, "offline"))

        self._io("print", lambda: printer.print_ticket(ticket, identity, lang), ok, error)

    def _print_receipt(self, invoice: dict, ticket: dict) -> None:
        """After a payment: the receipt (amount, method, reference, time) under the ticket."""
        printer, lang = self.printer, self.lang
        s = self.session
        s.receipt_state = "printing"

        def ok(outcome: PrintOutcome):
            self._printer_seen(outcome.status)
            self.session.receipt_state = "printed" if outcome.ok else "failed"
            self.screen_since = self.clock()
            self._changed()

        def error(exc):
            log.exception("receipt printing raised", exc_info=exc)
            ok(PrintOutcome(False, "offline"))

        self._io("print_receipt", lambda: printer.print_receipt(invoice, ticket, lang), ok, error)

    def _printer_seen(self, status: str) -> None:
        changed = status != self.printer_status
        self.printer_status = status
        if changed:
            for listener in list(self.printer_listeners):
                listener(status)

    def done(self) -> None:
        if self.screen in (Screen.TICKET, Screen.MESSAGE):
            self.reset("done")

    # ------------------------------------------------------------------ errors
    def _message(self, text: Text, actions: tuple = ("home",), retry=None,
                 auto_retry_at: float | None = None, title: Text | None = None) -> None:
        s = self.session
        s.message, s.actions, s.auto_retry_at, s.message_title = text, actions, auto_retry_at, title
        self._retry = retry
        self._go(Screen.MESSAGE)

    def retry(self) -> None:
        if self.screen is not Screen.MESSAGE or self._retry is None:
            return
        self.touch()
        op, self._retry = self._retry, None
        self.session.auto_retry_at = None
        op()

    def self_pay_instead(self) -> None:
        """Offered after BHYT_REFUSED: the same clinic, paying the fee."""
        if self.screen is Screen.CONFIRM and "self_pay" in self.coverage_choices():
            self.set_coverage("self_pay")

    def _fail(self, exc: BaseException, retry: Callable[[], None] | None,
              origin: Screen = Screen.SCAN) -> None:
        s = self.session
        if isinstance(exc, Offline) or (isinstance(exc, Problem) and exc.code == "SERVICE_UNAVAILABLE"):
            log.warning("backend unreachable: %s", getattr(exc, "reason", getattr(exc, "code", "")))
            self._go_offline("network", retry)
            return
        if not isinstance(exc, Problem):
            log.error("unexpected failure: %r", exc)
            self._cue("error")
            self._message(PROBLEM_TEXT["INTERNAL_ERROR"], ("retry", "home") if retry else ("home",), retry)
            return
        code = exc.code
        text = PROBLEM_TEXT.get(code) or Text(exc.title or PROBLEM_TEXT["INTERNAL_ERROR"].vi,
                                              exc.title or PROBLEM_TEXT["INTERNAL_ERROR"].en)
        self._cue("error")
        if code.startswith("CARD_") or code in RESCAN_CODES:
            s.pending_scan, s.identity, s.issue = None, None, None
            s.notice = text
            # A typo on the keypad is fixed where it was typed; anything else starts at the scanner.
            back_to_keypad = origin is Screen.MANUAL and code not in RESCAN_CODES
            if not back_to_keypad:
                s.manual = ManualEntry()
            self._go(Screen.MANUAL if back_to_keypad else Screen.SCAN)
        elif code == "CONSENT_REQUIRED":
            self.reset("consent")
            self.session.notice = text
            self._changed()
        elif code == "BHYT_REFUSED":
            s.bhyt_refused = True
            if "self_pay" in self.coverage_choices():
                s.coverage = "self_pay"
            s.notice = text
            self._go(Screen.CONFIRM)
        elif code == "VISIT_ALREADY_OPEN":
            mine = [t for t in self.open_tickets() if t["service"]["code"] == s.service_code]
            if mine:
                self._show_ticket(mine[-1], existing=True, notice=text)
            elif self.typed_identity():
                self._message(PROBLEM_TEXT["VISIT_OPEN_SEE_RECEPTION"], ("home",))
            else:
                self._message(text, ("home",))
        elif code == "VISIT_OPEN_SEE_RECEPTION":
            s.issue = None
            self._message(text, ("home",))
        elif code == "MANUAL_LOOKUP_LIMIT":
            # The scanner still works: a card in hand is not a look-up of a typed number.
            s.notice, s.manual = text, ManualEntry()
            self._go(Screen.SCAN)
        elif code in ("QUEUE_CLOSED", "SERVICE_NOT_FOUND"):
            self._load_services(notice=text)
        elif code == "COVERAGE_NOT_ALLOWED":
            s.notice = text
            self._go(Screen.CONFIRM)
        elif code == "RATE_LIMITED":
            wait = min(max(exc.retry_after or 2.0, 1.0), 30.0)
            self._message(text, ("home",), retry, auto_retry_at=self.clock() + wait if retry else None)
        elif code in ("UNAUTHORIZED", "FORBIDDEN"):
            self._go_offline("unauthorized", None)
        else:
            self._message(text, ("retry", "home") if retry else ("home",), retry)

    # ------------------------------------------------------------------ offline
    def _go_offline(self, reason: str, retry: Callable[[], None] | None) -> None:
        self.offline_reason = reason
        self._retry = retry
        self._next_probe = self.clock() + self.config.offline_retry_s
        self._go(Screen.OFFLINE)

    def _probe(self) -> None:
        self._next_probe = self.clock() + self.config.offline_retry_s
        status, lang = self.printer_status, self.lang

        def ok(_answer):
            self._back_online()

        def error(exc):
            if isinstance(exc, Problem) and exc.code in ("UNAUTHORIZED", "FORBIDDEN"):
                self.offline_reason = "unauthorized"
                self._changed()
            elif isinstance(exc, Problem) and exc.code != "SERVICE_UNAVAILABLE" \
                    and self.offline_reason != "unauthorized":
                # It answered: reachable. A refused kiosk stays out of service until its token is
                # accepted again (a rate limit on its failed attempts is no acceptance).
                self._back_online()

        self._io("probe", lambda: self.gateway.heartbeat(status, lang), ok, error, keep=True)

    def _back_online(self) -> None:
        if self.offline_reason is None:
            return
        self.offline_reason = None
        op, self._retry = self._retry, None
        if self.screen is not Screen.OFFLINE:
            return
        if op is not None:
            op()  # same session, same Idempotency-Key: the backend answers with what it issued
        if self.screen is Screen.OFFLINE:
            self.reset("back_online")

    def backend_down(self) -> None:
        """The heartbeat failed. An idle kiosk says so at once; a patient's own call will find out."""
        if self.screen is Screen.WELCOME and not self.session.has_personal_data:
            self._go_offline("network", None)

    def backend_up(self) -> None:
        if self.screen is Screen.OFFLINE:
            self._back_online()

    def backend_unauthorized(self) -> None:
        """The heartbeat was refused (revoked token): out of service now on an idle kiosk, and
        right after the patient in front of it is done."""
        if self.screen is Screen.WELCOME and not self.session.has_personal_data:
            self._go_offline("unauthorized", None)
        elif self.screen is not Screen.OFFLINE:
            self.offline_reason = "unauthorized"
            self._next_probe = self.clock() + self.config.offline_retry_s
        elif self.offline_reason != "unauthorized":
            self.offline_reason = "unauthorized"
            self._changed()

    def printer_changed(self, status: str) -> None:
        if status != self.printer_status:
            self.printer_status = status
            self._changed()

    # ------------------------------------------------------------------ time
    def tick(self) -> None:
        now = self.clock()
        s = self.session
        screen = self.screen
        idle = now - self.last_activity
        # A screen the kiosk put up by itself (a payment deadline's message) gets the full time to be
        # read, however long ago the patient last touched.
        if screen in IDLE_SCREENS and now - max(self.last_activity, self.screen_since) >= self.config.idle_reset_s:
            self.reset("idle")
        elif screen is Screen.WELCOME and s.has_personal_data and idle >= self.config.idle_reset_s:
            self.reset("idle")  # a scan held for consent that nobody confirmed
        elif screen is Screen.TICKET:
            limit = (self.config.ticket_screen_s if s.print_state in ("printed", "none")
                     else self.config.ticket_screen_unprinted_s)
            if s.print_state != "printing" and now - max(self.screen_since, self.last_activity) >= limit:
                self.reset("ticket_shown")
        elif screen is Screen.PAYMENT:
            if s.payment_deadline is not None and now >= s.payment_deadline:
                self._end_payment("payment_timeout")
            elif now >= s.next_poll:
                self._poll_invoice()
        elif screen is Screen.MESSAGE and s.auto_retry_at is not None and now >= s.auto_retry_at:
            s.auto_retry_at = None
            self.retry()
        elif screen is Screen.OFFLINE:
            if s.has_personal_data and idle >= self.config.idle_reset_s:
                # Privacy first: the patient has likely gone; nothing of theirs waits for the network.
                self.generation += 1
                self.session = Session(payment_method=self.config.payment_method)
                self.lang = self.config.default_language
                self._retry = None
                self._changed()
            if now >= self._next_probe and "probe" not in self._inflight:
                self._probe()


_MODIFIERS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn (â ă ê ô ơ ư after NFD)


def _apply_tone(value: str, mark: str) -> str:
    """Put a tone mark on the right vowel of the last word, replacing the tone it had (typed after
    the word, as on a phone: N G U Y Ê N + ngã → NGUYỄN, H O A + huyền → HOÀ, M A I + sắc → MÁI)."""
    tones = set(TONE_MARKS.values())
    head, _, word = value.rpartition(" ")
    letters = []  # [base letter, its non-tone marks]
    for ch in unicodedata.normalize("NFD", word):
        if unicodedata.combining(ch):
            if letters and ch not in tones:
                letters[-1][1] += ch
        else:
            letters.append([ch, ""])
    bases = "".join(b for b, _ in letters).upper()
    start = 2 if bases.startswith(("QU", "GI")) and len(bases) > 2 and bases[2] in "AEIOUY" else 0
    vowels = [i for i in range(start, len(letters)) if letters[i][0].upper() in "AEIOUY"]
    if not vowels:
        return value
    # The vowel cluster closest to the end of the word.
    cluster = [vowels[-1]]
    while len(cluster) < len(vowels) and vowels[-len(cluster) - 1] == cluster[0] - 1:
        cluster.insert(0, vowels[-len(cluster) - 1])
    modified = [i for i in cluster if set(letters[i][1]) & _MODIFIERS]
    ends_in_consonant = cluster[-1] < len(letters) - 1
    if modified:
        target = modified[-1]
    elif ends_in_consonant or len(cluster) == 1:
        target = cluster[-1]
    elif len(cluster) == 2:
        pair = bases[cluster[0]:cluster[1] + 1]
        target = cluster[1] if pair in ("OA", "OE", "UY") else cluster[0]
    else:
        target = cluster[1]
    letters[target][1] += mark
    word = unicodedata.normalize("NFC", "".join(b + m for b, m in letters))
    return f"{head} {word}" if head else word


def current_ticket(ticket: dict) -> dict:
    """The visit's current ticket (GET /tickets `current`, API 17): after a transfer, the new number
    and place on the same tracking link. A backend without the field: the ticket itself."""
    current = ticket.get("current")
    if not isinstance(current, dict) or not current.get("id") or current.get("id") == ticket.get("id"):
        return ticket
    out = dict(ticket)
    out.update({"id": current["id"], "display_number": current.get("display_number") or current.get("number")
                or ticket.get("display_number"), "status": current.get("status", "waiting"),
                "people_ahead": current.get("people_ahead"), "estimated_wait_min": current.get("estimated_wait_min"),
                "service_point": None, "current": None})
    out["service"] = {"code": current.get("service_code"), "name_vi": current.get("service_name_vi"),
                      "name_en": current.get("service_name_en"), "room_vi": current.get("room_vi"),
                      "room_en": current.get("room_en")}
    return out


def _appointment_problem(exc: Problem) -> Text:
    text = PROBLEM_TEXT.get(exc.code) or Text(exc.title or PROBLEM_TEXT["INTERNAL_ERROR"].vi,
                                              exc.title or PROBLEM_TEXT["INTERNAL_ERROR"].en)
    start = exc.body.get("check_in_from")
    if exc.code == "APPOINTMENT_TOO_EARLY" and isinstance(start, str):
        try:
            at = datetime.fromisoformat(start).strftime("%H:%M")
        except ValueError:
            return text
        return Text(text.vi.replace("{time}", at), text.en.replace("{time}", at))
    return text
