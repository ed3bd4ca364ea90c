"""What each screen shows, computed from the flow: plain data with every string already in the
patient's language. The .kv layouts only bind to these fields, so what a patient reads can be tested
without a window, and a screen class has nothing to decide."""
from __future__ import annotations

from dataclasses import dataclass, field

from .flow import KioskFlow, Screen
from .i18n import (PRIORITY_TEXT, S, TONE_MARKS, Text, age_text, people_text, pick, short_wait,
                   vnd, wait_text, where_to_pay)


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    detail: str = ""
    selected: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class Common:
    screen: str
    lang: str
    lang_label: str
    hospital: str
    notice: str


@dataclass(frozen=True)
class WelcomeVM:
    common: Common
    title: str
    start_label: str
    scan_hint: str
    consent: str
    consent_pending: bool
    printer_banner: str


@dataclass(frozen=True)
class ScanVM:
    common: Common
    title: str
    prompt: str
    manual_label: str
    no_papers_label: str
    back_label: str


@dataclass(frozen=True)
class ManualVM:
    common: Common
    title: str
    types: list[Choice]
    fields: list[Choice]  # id number|dob|name, label, detail = what was typed, selected = active
    keys: list[Choice]  # row by row, short rows padded with disabled blanks
    key_cols: int
    submit_label: str
    back_label: str


@dataclass(frozen=True)
class BusyVM:
    common: Common
    text: str


@dataclass(frozen=True)
class ChooseVM:
    common: Common
    title: str
    patient_name: str
    patient_details: str
    bhyt_message: str
    bhyt_status: str  # ok | flagged | refused | pending | "" (walk-in)
    open_visit: str  # "" when none
    open_visit_label: str
    services: list[Choice]
    empty_text: str
    back_label: str


@dataclass(frozen=True)
class ConfirmVM:
    common: Common
    title: str
    service_name: str
    service_room: str
    service_wait: str
    coverages: list[Choice]
    priority_title: str
    priorities: list[Choice]
    auto_priority: str
    go_label: str
    back_label: str


@dataclass(frozen=True)
class PaymentVM:
    common: Common
    title: str
    amount: str
    qr_payload: str
    instructions: str
    waiting: str
    seconds_left: str
    methods: list[Choice]
    cancel_label: str
    cashier_label: str = ""  # "" when the hospital does not take this fee at the cashier


@dataclass(frozen=True)
class TicketVM:
    common: Common
    heading: str
    display_number: str
    service_name: str
    room: str
    directions: str
    people_ahead: str
    wait: str
    track_url: str
    phone_hint: str
    print_message: str
    print_failed: bool
    paid: str
    done_label: str
    reprint_label: str
    can_reprint: bool
    due: str = ""  # an unpaid fee: how much, and where
    other_clinic_label: str = ""  # "" when not offered


@dataclass(frozen=True)
class MessageVM:
    common: Common
    title: str
    body: str
    actions: list[Choice] = field(default_factory=list)


@dataclass(frozen=True)
class OfflineVM:
    common: Common
    title: str
    body: str
    retrying: str


def _rows(keys: list[str], width: int = 8) -> list[list[str]]:
    return [keys[i:i + width] for i in range(0, len(keys), width)]



_VIET = ["Ă", "Â", "Đ", "Ê", "Ô", "Ơ", "Ư"]
_KEY_LABELS = {"back": Text("Xoá", "Del"), "clear": Text("Xoá hết", "Clear"),
               "space": Text("Cách", "Space"),
               # A tone key shows its mark on an "a", as Vietnamese phone keyboards do.
               **{name: Text("a" + mark, "a" + mark) for name, mark in TONE_MARKS.items()}}
_PRINTER_TEXT = {"paper_out": "printer_paper_out", "cover_open": "printer_cover_open",
                 "offline": "printer_offline"}


def _t(key: str, lang: str) -> str:
    return S[key].get(lang)


def _service_name(svc: dict | None, lang: str) -> str:
    return pick(svc.get("name_vi"), svc.get("name_en"), lang) if svc else ""


def _room(svc: dict | None, lang: str) -> str:
    return pick(svc.get("room_vi"), svc.get("room_en"), lang) if svc else ""


def _dob_display(digits: str) -> str:
    if len(digits) <= 2:
        return digits
    if len(digits) <= 4:
        return f"{digits[:2]}/{digits[2:]}"
    return f"{digits[:2]}/{digits[2:4]}/{digits[4:]}"


def build(flow: KioskFlow):
    """The view-model of the screen the flow is on."""
    lang = flow.lang
    s = flow.session
    common = Common(
        screen=flow.screen.value, lang=lang, lang_label=_t("lang_toggle", lang),
        hospital=flow.hospital_name.get(lang) if flow.hospital_name else "",
        notice=s.notice.get(lang) if s.notice else "",
    )
    builder = _BUILDERS[flow.screen]
    return builder(flow, common, lang)


def _welcome(flow: KioskFlow, c: Common, lang: str) -> WelcomeVM:
    pending = flow.session.pending_scan is not None
    printable = flow.printer is None or flow.printer_status in ("ok", "paper_low")
    return WelcomeVM(
        c, _t("welcome_title", lang),
        _t("consent_accept" if pending else "welcome_start", lang),
        _t("welcome_scan", lang), _t("consent", lang), pending,
        "" if printable else _t("printer_banner", lang))


def _scan(flow: KioskFlow, c: Common, lang: str) -> ScanVM:
    return ScanVM(c, _t("scan_title", lang), _t("scan_prompt", lang), _t("scan_manual", lang),
                  _t("scan_no_papers", lang), _t("back", lang))


def _manual(flow: KioskFlow, c: Common, lang: str) -> ManualVM:
    m = flow.session.manual
    types = [Choice("cccd", _t("manual_cccd", lang), selected=m.id_type == "cccd"),
             Choice("bhyt", _t("manual_bhyt", lang), selected=m.id_type == "bhyt")]
    fields = [Choice("number", _t("manual_number", lang), m.number, m.field == "number"),
              Choice("dob", _t("manual_dob", lang), _dob_display(m.dob), m.field == "dob"),
              Choice("name", _t("manual_name", lang), m.name, m.field == "name")]
    digits = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], ["clear", "0", "back"]]
    # Letters in alphabetical order, eight to a row: easier to find than QWERTY for someone who
    # never typed, and every key stays wider than 120 px on a 1080 px screen.
    if m.field == "name":
        keys = _rows(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + _VIET + list(TONE_MARKS) + ["space", "back"])
    elif m.field == "number" and m.id_type == "bhyt":
        keys = _rows(list("1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ["back"])
    else:
        keys = digits
    cols = max(len(row) for row in keys)
    flat = []
    for row in keys:
        flat += [Choice(k, _KEY_LABELS.get(k, Text(k, k)).get(lang)) for k in row]
        flat += [Choice("", "", enabled=False)] * (cols - len(row))
    return ManualVM(c, _t("manual_title", lang), types, fields, flat, cols, _t("manual_submit", lang),
                    _t("back", lang))


def _busy(flow: KioskFlow, c: Common, lang: str) -> BusyVM:
    return BusyVM(c, (flow.session.busy or S["busy_wait"]).get(lang))


def _choose(flow: KioskFlow, c: Common, lang: str) -> ChooseVM:
    s = flow.session
    ident = s.identity or {}
    patient = ident.get("patient") or {}
    check = ident.get("bhyt_check") or {}
    if s.walk_in:
        name, details, bhyt, status = _t("walk_in", lang), "", "", ""
    else:
        name = patient.get("name_masked", "")
        bits = [age_text(patient.get("age"), lang), patient.get("id_masked", "")]
        if ident.get("priority"):
            bits.append(_t("priority_auto", lang) + " " + pick(ident["priority"].get("label_vi"),
                                                               ident["priority"].get("label_en"), lang))
        details = " · ".join(b for b in bits if b)
        bhyt = pick(check.get("message_vi"), check.get("message_en"), lang)
        status = check.get("status", "")
    tickets = flow.open_tickets()
    open_visit = ""
    if tickets:
        t = tickets[-1]
        open_visit = f"{_t('open_visit', lang)} {t['display_number']} – {_service_name(t['service'], lang)}"
    services = []
    for svc in s.services:
        is_open = svc.get("open_now", True)
        detail = [S["waiting_count"].get(lang).format(n=svc.get("waiting", 0)),
                  short_wait(svc.get("estimated_wait_min"), lang)] if is_open else [_t("closed_now", lang)]
        services.append(Choice(svc["code"], _service_name(svc, lang),
                               " · ".join(d for d in detail if d), False, is_open))
    return ChooseVM(c, _t("choose_title", lang), name, details, bhyt, status, open_visit,
                    _t("open_visit_show", lang), services,
                    "" if services else _t("no_services", lang), _t("back", lang))


def _confirm(flow: KioskFlow, c: Common, lang: str) -> ConfirmVM:
    s = flow.session
    svc = flow.service(s.service_code) or {}
    allowed = flow.coverage_choices()
    fee = svc.get("fee_vnd") or 0
    coverages = []
    for code in ("bhyt", "self_pay"):
        if code not in (svc.get("coverages") or []):
            continue
        if code == "bhyt":
            usable = "bhyt" in allowed and flow.bhyt_usable()
            detail = "" if usable else _t("bhyt_needs_card", lang) if s.identity is None else ""
            coverages.append(Choice(code, _t("coverage_bhyt", lang), detail, s.coverage == code, usable))
        else:
            coverages.append(Choice(code, _t("coverage_self", lang),
                                    vnd(fee) if fee else _t("coverage_free", lang),
                                    s.coverage == code, code in allowed))
    priorities = [Choice(code, text.get(lang), selected=s.priority == code)
                  for code, text in PRIORITY_TEXT.items()]
    auto = (s.identity or {}).get("priority")
    auto_text = (_t("priority_auto", lang) + " " + pick(auto.get("label_vi"), auto.get("label_en"), lang)
                 if auto else "")
    wait = wait_text(svc.get("estimated_wait_min"), lang)
    return ConfirmVM(c, _t("confirm_title", lang), _service_name(svc, lang), _room(svc, lang),
                     (_t("estimated_wait", lang) + " " + wait) if wait else "", coverages,
                     _t("priority_title", lang), priorities, auto_text, _t("confirm_go", lang),
                     _t("back", lang))


def _method_label(method: dict, lang: str) -> str:
    """Our own words for the methods we know; the backend's for any other."""
    key = f"payment_{method['method']}"
    return _t(key, lang) if key in S else pick(method.get("label_vi"), method.get("label_en"), lang) or method["method"]


def _payment(flow: KioskFlow, c: Common, lang: str) -> PaymentVM:
    s = flow.session
    pay = s.payment or {}
    amount = pay.get("amount") or (s.invoice or {}).get("amount")
    left = flow.payment_seconds_left()
    methods = [Choice(m["method"], _method_label(m, lang), selected=s.payment_method == m["method"])
               for m in flow.payment_methods]
    return PaymentVM(
        c, _t("payment_title", lang), f"{_t('payment_amount', lang)} {vnd(amount)}",
        pay.get("qr_payload", ""),
        _t("payment_scan", lang) if pay else _t("busy_payment", lang),
        _t("payment_waiting", lang),
        S["payment_left"].get(lang).format(s=left) if left is not None else "",
        methods, _t("payment_cancel", lang),
        _t("payment_cashier", lang) if flow.cashier_offered() else "")


def _ticket(flow: KioskFlow, c: Common, lang: str) -> TicketVM:
    s = flow.session
    t = s.ticket or {}
    svc = t.get("service") or {}
    if s.print_state == "printing":
        msg, failed = _t("ticket_printing", lang), False
    elif s.print_state == "printed":
        msg, failed = _t("ticket_printed", lang), False
    elif s.print_state == "failed":
        msg, failed = _t(_PRINTER_TEXT.get(s.print_status or "", "printer_offline"), lang), True
    else:
        msg, failed = "", False
    ahead = t.get("people_ahead")
    invoice = t.get("invoice") or {}
    paid = (_t("ticket_paid", lang) + " " + vnd(invoice.get("amount"))
            if t.get("paid") and invoice.get("status") == "paid" else "")
    # A ticket held from earlier is reprinted only for a scanned card or a BHXH-confirmed number.
    can_reprint = flow.printer is not None and s.print_state != "printing" and (
        failed or s.ticket_existing) and not (s.ticket_existing and flow.typed_identity())
    due = ""
    if not t.get("paid") and invoice.get("status") == "pending" and invoice.get("amount"):
        due = f"{_t('ticket_due', lang)} {vnd(invoice.get('amount'))} – {where_to_pay(invoice).get(lang)}"
    other = (_t("ticket_other_clinic", lang) if s.ticket_existing and s.identity is not None
             and s.services and s.print_state != "printing" else "")
    return TicketVM(
        c, _t("ticket_existing" if s.ticket_existing else "ticket_title", lang),
        t.get("display_number", ""), _service_name(svc, lang), _room(svc, lang),
        pick(svc.get("directions_vi"), svc.get("directions_en"), lang),
        f"{_t('people_ahead', lang)} {people_text(ahead, lang)}" if ahead is not None else "",
        f"{_t('estimated_wait', lang)} {wait_text(t.get('estimated_wait_min'), lang)}"
        if t.get("estimated_wait_min") is not None else "",
        t.get("track_url", ""), _t("ticket_phone", lang), msg, failed, paid, _t("ticket_done", lang),
        _t("ticket_reprint", lang), can_reprint, due, other)


def _message(flow: KioskFlow, c: Common, lang: str) -> MessageVM:
    s = flow.session
    labels = {"retry": "retry", "home": "home"}
    actions = [Choice(a, _t(labels[a], lang)) for a in s.actions if a in labels]
    title = (s.message_title or S["error_title"]).get(lang)
    return MessageVM(c, title, (s.message or Text("", "")).get(lang), actions)


def _offline(flow: KioskFlow, c: Common, lang: str) -> OfflineVM:
    if flow.offline_reason == "unauthorized":
        return OfflineVM(c, _t("out_of_service_title", lang), _t("out_of_service", lang), "")
    return OfflineVM(c, _t("offline_title", lang), _t("offline_body", lang), _t("offline_retrying", lang))


_BUILDERS = {
    Screen.WELCOME: _welcome, Screen.SCAN: _scan, Screen.MANUAL: _manual, Screen.BUSY: _busy,
    Screen.CHOOSE: _choose, Screen.CONFIRM: _confirm, Screen.PAYMENT: _payment,
    Screen.TICKET: _ticket, Screen.MESSAGE: _message, Screen.OFFLINE: _offline,
}
