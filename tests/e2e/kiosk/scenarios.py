"""What a patient does at the kiosk, step by step; each runs inside the kiosk process (driver.py)
and returns facts for the test to assert on. No assertions on timing here: the bench measures."""
from __future__ import annotations

import time

_TAPS = ("start", "service:", "confirm")


def _ticket_facts(h) -> dict:
    def read():
        t = h.flow.session.ticket or {}
        return {"id": t.get("id"), "display_number": t.get("display_number"),
                "track_url": t.get("track_url"), "coverage": t.get("coverage"),
                "print_state": h.flow.session.print_state, "print_status": h.flow.session.print_status,
                "existing": h.flow.session.ticket_existing}
    return h.ui(read)


def _wait_printed(h, timeout: float = 20.0) -> None:
    h.wait(lambda: h.flow.session.print_state in ("printed", "failed"), timeout, "printing to end")


def checkin(h) -> dict:
    """Scan a CCCD at the welcome screen, agree, pick the clinic, confirm: the ticket prints."""
    p = h.params
    facts: dict = {"taps": 0, "shots": []}
    h.shot("01-welcome")
    facts["welcome_buttons"] = h.button_sizes()
    facts["welcome_overflow"] = h.overflowing_labels()
    h.scan_keys(p["qr"])
    h.wait(lambda: h.flow.session.pending_scan is not None, 10, "the scan to be held for consent")
    h.shot("02-welcome-consent")
    h.tap("start")
    facts["taps"] += 1
    h.wait_screen("choose", 30)
    h.shot("03-choose")
    facts["choose_texts"] = h.texts()
    facts["choose_buttons"] = h.button_sizes()
    facts["choose_overflow"] = h.overflowing_labels()
    h.tap(f"service:{p.get('service', 'KHAM-NOI')}")
    facts["taps"] += 1
    h.wait_screen("confirm")
    h.shot("04-confirm")
    facts["confirm_coverage"] = h.ui(lambda: h.flow.session.coverage)
    facts["confirm_overflow"] = h.overflowing_labels()
    h.tap("confirm")
    facts["taps"] += 1
    h.wait_screen("ticket", 30)
    _wait_printed(h)
    h.shot("05-ticket")
    facts["ticket"] = _ticket_facts(h)
    facts["ticket_texts"] = h.texts()
    facts["ticket_overflow"] = h.overflowing_labels()
    h.tap("lang")
    h.shot("06-ticket-en")
    facts["ticket_texts_en"] = h.texts()
    h.tap("done")
    h.wait_screen("welcome")
    facts["after_reset"] = h.ui(lambda: {"personal": h.flow.session.has_personal_data,
                                         "lang": h.flow.lang})
    return facts


def tour(h) -> dict:
    """The other screens: scan prompt, keypad, walk-in, self-pay, a garbled scan, slow typing."""
    p = h.params
    facts: dict = {}
    h.tap("start")
    h.wait_screen("scan")
    h.shot("10-scan")
    facts["scan_buttons"] = h.button_sizes()
    # A person typing on a keyboard is far slower than a scanner: nothing is sent anywhere.
    h.scan_keys(p["qr"][:12], gap_s=0.12)
    h.frames(2)
    facts["slow_typing"] = {"screen": h.screen(), "rejected": h.parts.wedge.rejected}
    # A wedge scanner that mangled the diacritics: the backend refuses, the kiosk says why.
    h.scan_keys(p["garbled"])
    h.wait(lambda: h.flow.screen.value == "scan" and h.flow.session.notice is not None, 20,
           "the refusal of a garbled scan")
    h.shot("11-scan-garbled")
    facts["garbled_notice"] = h.ui(lambda: h.flow.session.notice.vi)
    h.tap("manual")
    h.wait_screen("manual")
    for key in "0010900":
        h.tap(f"key:{key}")
    h.tap("mfield:dob")
    for key in "15081990":
        h.tap(f"key:{key}")
    h.tap("mfield:name")
    for key in ["A", "N", "huyền"]:
        h.tap(f"key:{key}")
    facts["manual"] = h.ui(lambda: (h.flow.session.manual.number, h.flow.session.manual.dob,
                                    h.flow.session.manual.name))
    h.shot("12-manual")
    facts["manual_buttons"] = h.button_sizes()
    facts["manual_overflow"] = h.overflowing_labels()
    h.tap("back")
    h.wait_screen("scan")
    h.tap("no_papers")
    h.wait_screen("choose", 30)
    h.shot("13-choose-walkin")
    h.tap("service:KHAM-TMH")
    h.wait_screen("confirm")
    facts["walkin_coverage"] = h.ui(lambda: h.flow.session.coverage)
    facts["walkin_texts"] = h.texts()
    h.shot("14-confirm-selfpay")
    h.tap("lang")
    h.shot("15-confirm-selfpay-en")
    h.tap("confirm")
    h.wait_screen("ticket", 30)
    _wait_printed(h)
    facts["ticket"] = _ticket_facts(h)
    facts["ticket_notice"] = h.ui(lambda: h.flow.session.notice.vi if h.flow.session.notice else "")
    h.shot("16-ticket-fee-notice")
    h.tap("done")
    h.wait_screen("welcome")
    return facts


def paper_out(h) -> dict:
    """The printer runs out of paper: the number is on screen, said plainly, nothing prints later."""
    facts: dict = {}
    h.printer_sim.set_state("paper_out")
    h.parts.heartbeat.beat_now()
    h.wait(lambda: h.flow.printer_status == "paper_out", 20, "the heartbeat to see the printer")
    h.shot("20-welcome-printer-banner")
    facts["welcome_texts"] = h.texts()
    h.scan_keys(h.params["qr"])
    h.tap("start")
    h.wait_screen("choose", 30)
    h.tap("service:KHAM-NOI")
    h.wait_screen("confirm")
    h.tap("confirm")
    h.wait_screen("ticket", 30)
    _wait_printed(h)
    h.shot("21-ticket-paper-out")
    facts["ticket"] = _ticket_facts(h)
    facts["ticket_texts"] = h.texts()
    facts["reprint_visible"] = h.ui(lambda: h._find("reprint") is not None)
    # Paper is refilled: the failed job must not burst out for the next patient to pick up.
    h.printer_sim.set_state("ok")
    time.sleep(1.0)
    sent = h.parts.heartbeat.sent
    h.parts.heartbeat.beat_now()
    h.wait(lambda: h.parts.heartbeat.sent > sent, 20, "a heartbeat after the refill")
    h.tap("reprint")
    _wait_printed(h)
    h.wait(lambda: h.flow.session.print_state == "printed", 20, "the reprint")
    facts["reprinted"] = _ticket_facts(h)
    return facts


def typed_open_visit(h) -> dict:
    """The patient got a ticket with their card. Someone then types the same CCCD number at the
    keypad with another name (BHXH refuses it): the kiosk shows none of the patient's numbers, offers
    no reprint, prints nothing, and says to scan the card or go to reception."""
    p = h.params
    facts: dict = {}
    h.scan_keys(p["qr"])
    h.tap("start")
    h.wait_screen("choose", 30)
    h.tap("service:KHAM-NOI")
    h.wait_screen("confirm")
    h.tap("confirm")
    h.wait_screen("ticket", 30)
    _wait_printed(h)
    facts["held"] = _ticket_facts(h)
    h.tap("done")
    h.wait_screen("welcome")
    h.tap("start")
    h.wait_screen("scan")
    h.tap("manual")
    h.wait_screen("manual")
    for key in p["number"]:
        h.tap(f"key:{key}")
    h.tap("mfield:dob")
    for key in p["year"]:
        h.tap(f"key:{key}")
    h.tap("mfield:name")
    for key in p["name_keys"]:
        h.tap(f"key:{key}")
    h.tap("msubmit")
    h.wait_screen("choose", 30)
    h.shot("50-choose-typed-number")
    facts["choose_texts"] = h.texts()
    facts["open_visit_button"] = h.ui(lambda: h._find("open_visit") is not None)
    h.tap("service:KHAM-NOI")
    h.wait_screen("confirm")
    facts["coverage"] = h.ui(lambda: h.flow.session.coverage)
    h.tap("confirm")
    h.wait_screen("message", 30)
    h.shot("51-message-typed-number-see-reception")
    facts["message_texts"] = h.texts()
    facts["reprint_visible"] = h.ui(lambda: h._find("reprint") is not None)
    facts["session_ticket"] = h.ui(lambda: h.flow.session.ticket)
    facts["tickets_shown"] = h.ui(lambda: list(h.flow.tickets_shown))
    h.tap("lang")
    h.shot("52-message-typed-number-en")
    facts["message_texts_en"] = h.texts()
    h.tap("msg:home")
    h.wait_screen("welcome")
    return facts


def backend_down(h) -> dict:
    """The backend becomes unreachable: while idle, and at the worst moment of a check-in (ticket
    created, answer lost). Either way the kiosk says so, retries, and shows one real ticket."""
    facts: dict = {}
    h.link.set_mode("down")
    h.parts.heartbeat.beat_now()
    h.wait_screen("offline", 30)
    h.shot("30-offline")
    facts["offline_texts"] = h.texts()
    h.link.set_mode("pass")
    h.wait_screen("welcome", 30)
    facts["recovered_idle"] = True
    h.scan_keys(h.params["qr"])
    h.tap("start")
    h.wait_screen("choose", 30)
    h.tap("service:KHAM-NOI")
    h.wait_screen("confirm")
    h.link.set_mode("swallow")
    key_before = h.ui(lambda: h.flow.session.issue)
    h.tap("confirm")
    h.wait_screen("offline", 30)
    facts["issue_key"] = h.ui(lambda: h.flow.session.issue.key)
    facts["key_before_confirm"] = key_before is not None
    h.shot("31-offline-mid-checkin")
    time.sleep(1.5)
    h.link.set_mode("pass")
    h.wait_screen("ticket", 30)
    _wait_printed(h)
    facts["ticket"] = _ticket_facts(h)
    facts["tickets_shown"] = h.ui(lambda: list(h.flow.tickets_shown))
    h.shot("32-ticket-after-recovery")
    h.tap("done")
    h.wait_screen("welcome")
    return facts


def bench(h) -> dict:
    """N check-ins back to back: scan → agree → clinic → confirm; time from scan to ticket drawn."""
    qrs = h.params["qrs"]
    services = h.params.get("services", ["KHAM-NOI"])
    timings, steps, answered = [], [], []
    for i, qr in enumerate(qrs):
        h.wait_screen("welcome", 30)
        t0 = time.perf_counter()
        h.scan_keys(qr)
        h.tap("start")
        h.wait_screen("choose", 30)
        t1 = time.perf_counter()
        h.tap(f"service:{services[i % len(services)]}")
        h.wait_screen("confirm")
        t2 = time.perf_counter()
        h.tap("confirm")
        h.wait(lambda: h.flow.session.ticket is not None, 30, "the backend's answer")
        answered.append(round((time.perf_counter() - t2) * 1000))
        h.wait_screen("ticket", 30)
        h.frames(1)
        t3 = time.perf_counter()
        timings.append((t3 - t0) * 1000)
        steps.append([round((t1 - t0) * 1000), round((t2 - t1) * 1000), round((t3 - t2) * 1000)])
        _wait_printed(h)
        h.tap("done")
    return {"timings_ms": timings, "steps_ms": steps, "ticket_answer_ms": answered,
            "tickets": h.ui(lambda: list(h.flow.tickets_shown))}


def _walk_in_to_payment(h, service: str) -> None:
    h.tap("start")
    h.wait_screen("scan")
    h.tap("no_papers")
    h.wait_screen("choose", 30)
    h.tap(f"service:{service}")
    h.wait_screen("confirm")
    h.tap("confirm")
    h.wait_screen("payment", 30)
    h.wait(lambda: h.flow.session.payment is not None, 30, "the payment QR")


def vnpay_pay(h) -> dict:
    """A self-paying walk-in pays by VNPay QR; the kiosk moves on by itself when the money arrives."""
    import requests

    facts: dict = {}
    _walk_in_to_payment(h, h.params["service"])
    h.shot("40-payment-vietqr")
    facts["vietqr_payload"] = h.ui(lambda: h.flow.session.payment["qr_payload"])
    facts["payment_overflow"] = h.overflowing_labels()
    h.tap("pay:vnpay")
    h.wait(lambda: (h.flow.session.payment or {}).get("method") == "vnpay", 30, "the VNPay QR")
    h.shot("41-payment-vnpay")
    payment_url = h.ui(lambda: h.flow.session.payment["payment_url"])
    facts["ticket_id"] = h.ui(lambda: h.flow.session.ticket["id"])
    # The patient's banking app pays (the simulator settles and calls our IPN).
    r = requests.post(f"{h.params['vnpay_url']}/_sim/pay", json={"payment_url": payment_url}, timeout=10)
    facts["sim_pay_status"] = r.status_code
    h.wait_screen("ticket", 30)
    _wait_printed(h)
    h.wait(lambda: h.flow.session.receipt_state in ("printed", "failed"), 20, "the receipt")
    h.shot("42-ticket-paid")
    facts["paid"] = _ticket_and_hospital(h)
    facts["receipt_state"] = h.ui(lambda: h.flow.session.receipt_state)
    facts["ticket"] = _ticket_facts(h)
    facts["ticket_texts"] = h.texts()
    facts["cues"] = h.ui(lambda: list(h.flow.cues))
    h.tap("done")
    h.wait_screen("welcome")
    return facts


def payment_timeout(h) -> dict:
    """Nobody pays and the hospital cancels at the deadline: the kiosk cancels the unpaid number and
    says so on a screen that stays up long enough to read (the patient last touched it long ago)."""
    facts: dict = {}
    _walk_in_to_payment(h, h.params["service"])
    facts["ticket_id"] = h.ui(lambda: h.flow.session.ticket["id"])
    facts["number"] = h.ui(lambda: h.flow.session.ticket["display_number"])
    h.wait_screen("message", 60)
    shown_at = h.ui(lambda: h.flow.screen_since)
    # Past several 0.25 s ticks of the kiosk: the message must still be there.
    h.wait(lambda: h.flow.clock() - shown_at >= 1.0, 10, "a second on the message")
    facts["still_shown"] = h.screen() == "message"
    h.shot("43-payment-timeout")
    facts["message_texts"] = h.texts()
    facts["printed"] = h.ui(lambda: h.flow.session.print_state)
    h.tap("lang")
    h.shot("43-payment-timeout-en")
    facts["message_texts_en"] = h.texts()
    h.tap("msg:home")
    h.wait_screen("welcome")
    return facts


def _ticket_and_hospital(h) -> dict:
    facts = h.ui(lambda: {"ticket": h.flow.session.ticket, "invoice": h.flow.session.invoice,
                          "hospital": h.parts.printer.hospital_name,
                          "notice": h.flow.session.notice.vi if h.flow.session.notice else ""})
    facts["texts"] = h.texts()
    return facts


def payment_timeout_cashier(h) -> dict:
    """Nobody pays and the hospital keeps numbers for the cashier: the kiosk says so, keeps the number
    and prints the ticket with the amount due and where to pay."""
    _walk_in_to_payment(h, h.params["service"])
    h.wait_screen("ticket", 60)
    _wait_printed(h)
    h.shot("44-payment-timeout-cashier-ticket")
    facts = _ticket_and_hospital(h)
    facts["print_state"] = h.ui(lambda: h.flow.session.print_state)
    facts["overflow"] = h.overflowing_labels() + h.clipped_labels()
    h.tap("lang")
    h.shot("44-payment-timeout-cashier-ticket-en")
    facts["texts_en"] = h.texts()
    facts["overflow"] += h.overflowing_labels() + h.clipped_labels()
    h.tap("done")
    h.wait_screen("welcome")
    return facts


def pay_at_cashier(h) -> dict:
    """The patient taps "Trả tại quầy thu ngân": the number is kept and the ticket says what to pay where."""
    _walk_in_to_payment(h, h.params["service"])
    h.shot("45-payment-with-cashier-option")
    payment_texts = h.texts()
    payment_overflow = h.overflowing_labels() + h.clipped_labels()
    h.tap("pay_cashier")
    h.wait_screen("ticket", 30)
    _wait_printed(h)
    h.shot("46-ticket-pay-at-cashier")
    facts = _ticket_and_hospital(h)
    facts.update(payment_texts=payment_texts, payment_overflow=payment_overflow,
                 print_state=h.ui(lambda: h.flow.session.print_state),
                 overflow=h.overflowing_labels() + h.clipped_labels())
    h.tap("done")
    h.wait_screen("welcome")
    return facts


def walk_in_fee(h) -> dict:
    """A walk-in at a clinic that takes the fee later: the printed ticket says how much and where."""
    h.tap("start")
    h.wait_screen("scan")
    h.tap("no_papers")
    h.wait_screen("choose", 30)
    h.tap(f"service:{h.params['service']}")
    h.wait_screen("confirm")
    h.tap("confirm")
    h.wait_screen("ticket", 30)
    _wait_printed(h)
    h.shot("47-ticket-fee-due")
    facts = _ticket_and_hospital(h)
    facts["print_state"] = h.ui(lambda: h.flow.session.print_state)
    facts["overflow"] = h.overflowing_labels() + h.clipped_labels()
    h.tap("done")
    h.wait_screen("welcome")
    return facts


def appointment_and_held_ticket(h) -> dict:
    """The booking's QR checks the patient in and prints the ticket; scanning it again, the card, or
    the QR printed on the ticket prints the same ticket again, never a second one."""
    facts: dict = {"steps": []}
    h.scan_keys(h.params["appointment_qr"])
    h.wait_screen("ticket", 30)
    _wait_printed(h)
    h.shot("60-ticket-appointment-checked-in")
    first = _ticket_and_hospital(h)
    facts["first"] = first
    facts["first_print"] = h.ui(lambda: h.flow.session.print_state)
    h.tap("done")
    h.wait_screen("welcome")
    for name, text in (("appointment_again", h.params["appointment_qr"]), ("ticket_qr", first["ticket"]["track_url"]),
                       ("card", h.params["card_qr"])):
        h.scan_keys(text)
        if name == "card":
            h.tap("start")  # a card needs the patient's agreement first
        h.wait(lambda: h.flow.screen.value == "ticket" and h.flow.session.print_state in ("printed", "failed"),
               30, f"the reprint after {name}")
        h.shot(f"61-ticket-reprinted-{name}")
        facts["steps"].append({"name": name, "ticket": _ticket_facts(h), "texts": h.texts(),
                               "clipped": h.clipped_labels(),
                               "identity": h.ui(lambda: h.flow.session.identity),
                               "other_clinic": h.ui(lambda: h._find("other_clinic") is not None)})
        h.tap("done")
        h.wait_screen("welcome")
    return facts


def revoked(h) -> dict:
    """The kiosk's token is revoked: at the next heartbeat it says it is out of service, and comes
    back by itself when the token is accepted again."""
    import sqlite3

    def set_revoked(value):
        con = sqlite3.connect(h.params["db_path"])
        try:
            con.execute("UPDATE devices SET revoked_at = ? WHERE name = ?", (value, h.params["device"]))
            con.commit()
        finally:
            con.close()

    facts: dict = {}
    set_revoked("2026-01-01 00:00:00.000000")
    sent = h.parts.heartbeat.sent
    # The server remembers a valid token for a moment (2 s): beat until a heartbeat gets the refusal.
    # The first refused heartbeat must put the kiosk out of service.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and h.parts.heartbeat.last_outcome != "unauthorized":
        h.parts.heartbeat.beat_now()
        h.wait(lambda: h.parts.heartbeat.sent > sent, 10, "a heartbeat")
        sent = h.parts.heartbeat.sent
        time.sleep(0.3)
    h.frames(2)
    facts["screen_after_first_refusal"] = h.screen()
    facts["reason"] = h.ui(lambda: h.flow.offline_reason)
    h.shot("70-out-of-service")
    facts["texts"] = h.texts()
    facts["overflow"] = h.overflowing_labels() + h.clipped_labels()
    set_revoked(None)
    h.wait_screen("welcome", 30)
    facts["back"] = True
    return facts


def english_words(h) -> dict:
    """Every screen a walk-in sees, in English: no word is cut across two lines."""
    facts: dict = {"broken": {}, "overflow": {}}

    def look(name):
        h.shot(name)
        facts["broken"][name] = h.broken_words()
        facts["overflow"][name] = h.overflowing_labels() + h.clipped_labels()

    h.tap("lang")
    look("80-welcome-en")
    h.tap("start")
    h.wait_screen("scan")
    look("81-scan-en")
    h.tap("no_papers")
    h.wait_screen("choose", 30)
    look("82-choose-en")
    h.tap(f"service:{h.params['service']}")
    h.wait_screen("confirm")
    h.tap("priority:revolutionary_merit")
    look("83-confirm-en-selected")
    h.tap("back")
    h.wait_screen("choose")
    h.tap("lang")
    look("84-choose-vi")
    h.tap("service:KHAM-MAT")
    h.wait_screen("confirm")
    look("85-confirm-vi")
    return facts
