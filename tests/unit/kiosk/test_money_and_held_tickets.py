"""Issue 17 at the kiosk: the payment deadline says what happened and follows the hospital's rule,
the cashier option, receipts, the appointment QR, reprinting a held ticket (card or ticket QR, the
visit's current number after a transfer), a revoked kiosk, printer faults reported at once."""
import threading

from kiosk_client import viewmodels
from kiosk_client.flow import FlowConfig, KioskFlow, Screen
from kiosk_client.gateways.rest import Offline, Problem
from kiosk_client.heartbeat import Heartbeat
from kiosk_client.printing import receipt_print_data, ticket_print_data
from printer_drivers.layout import layout_receipt, layout_ticket
from printer_drivers.ops import Text as TextOp
from tests.unit.kiosk.fakes import FakeClock, FakeGateway, FakePrinter, identify_answer, ticket

CCCD = "001090012345|123456789|Nguyễn Văn An|15081990|Nam|Hà Nội|20042021"
WHERE = {"vi": "Quầy thu ngân số 3, Sảnh A", "en": "Cashier desk 3, Hall A"}
CASHIER = {"allowed": True, "where": WHERE, "on_timeout": "cashier"}
APPOINTMENT_QR = "TDA1.Qm9vS2luZ0lkMTI.hQ3vAbC-_12"


def make(gateway=None, printer=None, **config):
    gateway = gateway or FakeGateway()
    clock = FakeClock()
    keys = iter(f"key-{i}" for i in range(1, 100))
    flow = KioskFlow(gateway, printer=printer if printer is not None else FakePrinter(),
                     config=FlowConfig(**config), clock=clock, new_key=lambda: next(keys))
    return flow, gateway, clock


def invoice(cashier=None, status="pending", **extra):
    inv = {"id": "inv1", "status": status, "amount": 39000, "due_before_call": True,
           "expires_at": "2999-01-01T00:00:00+07:00", "reference": "TD1", **extra}
    if cashier is not None:
        inv["cashier"] = cashier
    return inv


def payment_flow(cashier=None, **config):
    gw = FakeGateway()
    gw.answer("create_ticket", ticket(coverage="self_pay", invoice=invoice(cashier)))
    gw.answer("vietqr", {"qr_payload": "000201VIETQR", "amount": 39000, "reference": "TD1",
                         "expires_at": "2999-01-01T00:00:00+07:00"})
    gw.answer("invoice", invoice(cashier))
    gw.answer("pay_at_cashier", invoice(cashier))
    flow, gw, clock = make(gw, **config)
    flow.start()
    flow.no_papers()
    flow.choose_service("KHAM-MAT")
    flow.confirm()
    assert flow.screen is Screen.PAYMENT
    return flow, gw, clock


def texts(ops):
    return [op.text for op in ops if isinstance(op, TextOp)]


# --- 3. the payment deadline -------------------------------------------------------------------
def test_deadline_with_the_cashier_rule_keeps_the_number_prints_the_fee_and_says_where():
    flow, gw, clock = payment_flow(CASHIER, payment_timeout_s=60, payment_poll_s=100)
    clock.advance(61)
    flow.tick()
    assert gw.called("pay_at_cashier") == [("pay_at_cashier", "inv1")]
    assert gw.called("cancel_ticket") == []
    assert flow.screen is Screen.TICKET and len(flow.printer.printed) == 1
    notice = flow.session.notice
    assert "hết thời gian" in notice.vi.lower() and "vẫn được giữ" in notice.vi and "run out" in notice.en
    data = ticket_print_data(flow.printer.printed[0], None, "Bệnh viện")
    assert data.amount_due_vnd == 39000 and data.pay_where == WHERE["vi"]
    vm = viewmodels.build(flow)
    assert "39.000 đ" in vm.due and WHERE["vi"] in vm.due


def test_deadline_with_the_cancel_rule_cancels_and_the_message_stays_long_enough_to_read():
    rule = {**CASHIER, "on_timeout": "cancel"}
    flow, gw, clock = payment_flow(rule, payment_timeout_s=300, payment_poll_s=1000, idle_reset_s=45)
    clock.advance(301)  # nobody touched the kiosk for five minutes
    flow.tick()
    assert gw.called("cancel_ticket") == [("cancel_ticket", "t1", "trk")] and gw.called("pay_at_cashier") == []
    vm = viewmodels.build(flow)
    assert flow.screen is Screen.MESSAGE and vm.title == "Hết thời gian thanh toán"
    assert "N001" in vm.body and "đã bị huỷ" in vm.body
    clock.advance(1)
    flow.tick()
    assert flow.screen is Screen.MESSAGE  # not straight back to welcome
    clock.advance(44)
    flow.tick()
    assert flow.screen is Screen.WELCOME and not flow.session.has_personal_data
    flow.toggle_language()


def test_deadline_on_a_backend_without_the_cashier_field_cancels_as_before():
    flow, gw, clock = payment_flow(None, payment_timeout_s=60, payment_poll_s=100)
    assert viewmodels.build(flow).cashier_label == ""
    clock.advance(61)
    flow.tick()
    assert gw.called("cancel_ticket") and flow.screen is Screen.MESSAGE
    flow.toggle_language()
    assert viewmodels.build(flow).title == "Time to pay has run out"


# --- 7. pay at the cashier -----------------------------------------------------------------------
def test_pay_at_the_cashier_is_offered_when_allowed_and_keeps_the_number():
    flow, gw, clock = payment_flow(CASHIER)
    vm = viewmodels.build(flow)
    assert vm.cashier_label == "Trả tại quầy thu ngân"
    flow.pay_at_cashier()
    assert gw.called("pay_at_cashier") == [("pay_at_cashier", "inv1")] and gw.called("cancel_ticket") == []
    assert flow.screen is Screen.TICKET and len(flow.printer.printed) == 1
    printed = ticket_print_data(flow.printer.printed[0], None, "Bệnh viện")
    assert printed.amount_due_vnd == 39000 and printed.pay_where_en == WHERE["en"]
    assert "vẫn được giữ" in flow.session.notice.vi
    vm = viewmodels.build(flow)
    assert vm.due == f"Cần trả: 39.000 đ – {WHERE['vi']}"
    flow.toggle_language()
    assert viewmodels.build(flow).due == f"To pay: 39.000 đ – {WHERE['en']}"
    clock.advance(400)
    flow.tick()
    assert gw.called("cancel_ticket") == []  # the deadline no longer applies


def test_cashier_refused_by_the_backend_returns_to_the_qr_with_a_reason():
    flow, gw, clock = payment_flow(CASHIER)
    gw.answer("pay_at_cashier", Problem("CASHIER_NOT_OFFERED", 409))
    flow.pay_at_cashier()
    assert flow.screen is Screen.PAYMENT and "quầy" in flow.session.notice.vi
    assert viewmodels.build(flow).cashier_label == ""


def test_the_cashier_offline_goes_offline_and_retries_the_same_call():
    flow, gw, clock = payment_flow(CASHIER)
    gw.answer("pay_at_cashier", Offline("timeout"), invoice(CASHIER))
    flow.pay_at_cashier()
    assert flow.screen is Screen.OFFLINE
    flow.backend_up()
    assert flow.screen is Screen.TICKET and len(gw.called("pay_at_cashier")) == 2


# --- 8. receipt ---------------------------------------------------------------------------------
def test_a_receipt_is_printed_after_the_ticket_once_paid():
    flow, gw, clock = payment_flow(CASHIER)
    receipt = {"number": "BL-000123", "amount": 39000, "method": "vnpay", "reference": "VNP14123456",
               "paid_at": "2026-11-23T09:03:00+07:00"}
    gw.answer("invoice", invoice(CASHIER, status="paid", receipt=receipt))
    flow.invoice_event({"id": "inv1"})
    assert flow.screen is Screen.TICKET and len(flow.printer.printed) == 1
    assert [r["receipt"]["number"] for r in flow.printer.receipts] == ["BL-000123"]
    assert flow.session.receipt_state == "printed"
    data = receipt_print_data(flow.printer.receipts[0], flow.session.ticket, "Bệnh viện")
    lines = " ".join(texts(layout_receipt(data, 576)))
    for part in ("39.000 đ", "VNPay", "VNP14123456", "BL-000123", "09:03", "N001"):
        assert part in lines
    assert ticket_print_data(flow.session.ticket, None, "Bệnh viện").amount_due_vnd is None
    flow.reprint()  # printing the ticket again does not print another receipt
    assert len(flow.printer.receipts) == 1


def test_a_backend_without_receipt_still_gets_a_receipt_from_the_paid_invoice():
    flow, gw, clock = payment_flow(None)
    gw.answer("invoice", invoice(None, status="paid", provider="vietqr", paid_at="2026-11-23T09:05:00+07:00"))
    flow.invoice_event({"id": "inv1"})
    data = receipt_print_data(flow.printer.receipts[0], flow.session.ticket, "Bệnh viện")
    assert data.amount_vnd == 39000 and data.reference == "TD1" and data.provider.startswith("Chuyển khoản")


# --- 5. the fee on paper ------------------------------------------------------------------------
def test_an_unpaid_self_pay_ticket_prints_the_amount_due_and_where_to_pay():
    t = ticket(coverage="self_pay", invoice=invoice(CASHIER, due_before_call=False))
    t["paid"] = False
    data = ticket_print_data(t, None, "Bệnh viện")
    lines = texts(layout_ticket(data, 576))
    assert "39.000 đ" in lines
    assert f"Nơi trả tiền: {WHERE['vi']}" in lines and f"Where to pay: {WHERE['en']}" in lines
    # Without the hospital's words, still where: the cashier.
    t["invoice"].pop("cashier")
    assert "Nơi trả tiền: Quầy thu ngân" in texts(layout_ticket(ticket_print_data(t, None, "BV"), 384))
    # Paid or free: nothing due is printed.
    assert ticket_print_data(ticket(), None, "BV").amount_due_vnd is None


# --- 4. the appointment QR ----------------------------------------------------------------------
def test_the_appointment_qr_checks_in_and_prints_without_a_card():
    gw = FakeGateway()
    booked = ticket(number=12, tid="appt-ticket")
    gw.answer("check_in_appointment", {"ticket": booked, "arrival": "on_time",
                                       "message_vi": "Đã nhận lịch hẹn.", "message_en": "Checked in."})
    flow, gw, _ = make(gw)
    flow.scan(APPOINTMENT_QR)  # straight from the welcome screen
    assert gw.called("check_in_appointment") == [("check_in_appointment", "Qm9vS2luZ0lkMTI", APPOINTMENT_QR)]
    assert gw.called("identify") == []
    assert flow.screen is Screen.TICKET and flow.session.ticket["id"] == "appt-ticket"
    assert len(flow.printer.printed) == 1 and flow.session.notice.vi == "Đã nhận lịch hẹn."


def test_an_appointment_checked_in_before_reprints_its_ticket_and_too_early_says_when():
    gw = FakeGateway()
    first = ticket(number=12, tid="appt-ticket")
    gw.answer("check_in_appointment",
              Problem("APPOINTMENT_ALREADY_CHECKED_IN", 409, body={"code": "x", "ticket": first}),
              Problem("APPOINTMENT_TOO_EARLY", 409, body={"check_in_from": "2026-11-23T09:30:00+07:00"}))
    flow, gw, _ = make(gw)
    flow.scan(APPOINTMENT_QR)
    assert flow.screen is Screen.TICKET and flow.session.ticket_existing and len(flow.printer.printed) == 1
    flow.done()
    flow.scan(APPOINTMENT_QR)
    assert flow.screen is Screen.MESSAGE and "09:30" in flow.session.message.vi


# --- 2. a held ticket: card scan or ticket QR ---------------------------------------------------
def test_a_card_scan_with_a_ticket_today_reprints_the_current_one_instead_of_choosing():
    gw = FakeGateway()
    old = ticket(number=3, tid="old", status="transferred")
    new = ticket(number=9, tid="new", code="KHAM-MAT")
    gw.answer("identify", identify_answer(open_tickets=[old, new]))
    flow, gw, _ = make(gw)
    flow.start()
    flow.scan(CCCD)
    assert flow.screen is Screen.TICKET and flow.session.ticket["id"] == "new"
    assert [t["id"] for t in flow.printer.printed] == ["new"] and gw.called("create_ticket") == []
    assert viewmodels.build(flow).other_clinic_label == "Lấy số nơi khám khác"


def test_a_typed_number_never_reprints_a_held_ticket():
    gw = FakeGateway()
    gw.answer("identify", identify_answer(open_tickets=[ticket(number=3)], assurance="typed"))
    flow, gw, _ = make(gw)
    flow.start()
    flow.scan(CCCD)
    assert flow.screen is Screen.CHOOSE and flow.printer.printed == []


def test_the_printed_ticket_qr_reprints_the_visits_current_ticket_after_a_transfer():
    gw = FakeGateway()
    old = ticket(number=3, tid="old", status="transferred")
    old["current"] = {"id": "new", "number": "M009", "service_code": "KHAM-MAT", "service_name_vi": "Khám Mắt",
                      "service_name_en": "Ophthalmology", "room_vi": "Phòng 205", "room_en": "Room 205"}
    gw.answer("ticket", old)
    flow, gw, _ = make(gw)
    flow.scan("https://tiepdon.example.vn/t/old?token=trk-Abc_1")
    assert gw.called("ticket") == [("ticket", "old", "trk-Abc_1")]
    printed = flow.printer.printed
    assert flow.screen is Screen.TICKET and len(printed) == 1
    assert printed[0]["display_number"] == "M009" and printed[0]["service"]["room_vi"] == "Phòng 205"
    assert printed[0]["track_url"] == old["track_url"]  # the same link follows the visit
    data = ticket_print_data(printed[0], None, "BV")
    assert data.display_number == "M009" and data.room == "Phòng 205"


def test_a_finished_or_unknown_ticket_qr_says_so_and_prints_nothing():
    gw = FakeGateway()
    gw.answer("ticket", ticket(number=3, status="done"), Problem("TICKET_NOT_FOUND", 404),
              Problem("FORBIDDEN", 403))
    flow, gw, _ = make(gw)
    flow.scan("http://x/t/t3?token=trk")
    assert flow.screen is Screen.MESSAGE and "đã xong" in flow.session.message.vi
    flow.done()
    flow.scan("http://x/t/t3?token=trk")
    assert flow.screen is Screen.MESSAGE and "Không tìm thấy" in flow.session.message.vi
    flow.done()
    flow.scan("http://x/t/t3?token=bad")
    assert flow.screen is Screen.MESSAGE and flow.offline_reason is None  # a bad token is not a revoked kiosk
    assert flow.printer.printed == []


# --- 16. a revoked kiosk ------------------------------------------------------------------------
def test_a_refused_heartbeat_puts_the_kiosk_out_of_service_until_accepted_again():
    flow, gw, clock = make(offline_retry_s=5)
    flow.backend_unauthorized()
    vm = viewmodels.build(flow)
    assert flow.screen is Screen.OFFLINE and vm.title == "Tạm ngừng phục vụ"
    flow.toggle_language()
    assert viewmodels.build(flow).title == "Out of service"
    gw.answer("heartbeat", Problem("RATE_LIMITED", 429))
    clock.advance(5)
    flow.tick()
    assert flow.screen is Screen.OFFLINE  # a rate limit on its refused attempts is no acceptance
    gw.answer("heartbeat", {"ok": True})
    clock.advance(5)
    flow.tick()
    assert flow.screen is Screen.WELCOME


def test_a_kiosk_revoked_during_a_visit_goes_out_of_service_when_the_patient_is_done():
    flow, gw, clock = make()
    flow.start()
    flow.scan(CCCD)
    flow.backend_unauthorized()
    assert flow.screen is Screen.CHOOSE  # the patient in front of it is not cut off
    flow.back()
    assert flow.screen is Screen.OFFLINE and flow.offline_reason == "unauthorized"


# --- 13. printer faults at once -----------------------------------------------------------------
def test_a_printer_state_change_is_sent_at_once_not_at_the_next_period():
    gw = FakeGateway()
    state = {"now": "ok"}
    results = []
    beat = Heartbeat(gw, lambda: state["now"], interval_s=30, watch_s=1, on_result=lambda o, s: results.append(s))
    beat.beat()
    assert beat.watch() is False and len(gw.called("heartbeat")) == 1
    state["now"] = "paper_out"
    assert beat.watch() is True
    assert gw.called("heartbeat")[-1] == ("heartbeat", "paper_out") and results[-1] == "paper_out"
    assert beat.watch() is False


def test_the_heartbeat_thread_watches_the_printer_between_beats():
    gw = FakeGateway()
    state = {"now": "ok"}
    seen = threading.Event()

    def on_result(_outcome, status):
        if status == "cover_open":
            seen.set()
    beat = Heartbeat(gw, lambda: state["now"], interval_s=3600, watch_s=0.05, on_result=on_result).start()
    try:
        state["now"] = "cover_open"
        assert seen.wait(10)
    finally:
        beat.stop()


def test_a_print_failure_tells_the_listeners_at_once():
    flow, gw, _ = make(printer=FakePrinter(ok=False, status="paper_out"))
    told = []
    flow.printer_listeners.append(told.append)
    flow.start()
    flow.scan(CCCD)
    flow.choose_service("KHAM-NOI")
    flow.confirm()
    assert told == ["paper_out"]
