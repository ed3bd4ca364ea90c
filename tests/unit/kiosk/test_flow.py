"""The kiosk state machine: every screen, every transition, timeouts, retries, privacy on reset."""
import subprocess
import sys

import pytest

from kiosk_client.flow import FlowConfig, KioskFlow, Screen
from kiosk_client.gateways.rest import Offline, Problem
from kiosk_client import viewmodels
from tests.unit.kiosk.fakes import (DeferredIO, FakeClock, FakeGateway, FakePrinter, SERVICES,
                                    identify_answer, ticket)

CCCD = "001090012345|123456789|Nguyễn Văn An|15081990|Nam|Hà Nội|20042021"


def make(gateway=None, printer=None, run_io=None, **config):
    gateway = gateway or FakeGateway()
    clock = FakeClock()
    keys = iter(f"key-{i}" for i in range(1, 100))
    kwargs = {"run_io": run_io} if run_io else {}
    flow = KioskFlow(gateway, printer=printer if printer is not None else FakePrinter(),
                     config=FlowConfig(**config), clock=clock, new_key=lambda: next(keys), **kwargs)
    return flow, gateway, clock


def to_choose(flow):
    flow.start()
    flow.scan(CCCD)
    assert flow.screen is Screen.CHOOSE


def to_confirm(flow, code="KHAM-NOI"):
    to_choose(flow)
    flow.choose_service(code)
    assert flow.screen is Screen.CONFIRM


def test_flow_and_view_models_import_without_kivy():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'kivy' or name.startswith('kivy.'):\n"
        "            raise ImportError('kivy is blocked in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import kiosk_client, kiosk_client.flow, kiosk_client.viewmodels, kiosk_client.i18n\n"
        "import kiosk_client.scanner, kiosk_client.config, kiosk_client.printing, kiosk_client.heartbeat\n"
        "import kiosk_client.gateways, kiosk_client.gateways.realtime, kiosk_client.sounds\n"
        "import backend.cli\n"
        "print('no kivy:', not any(m.startswith('kivy') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "no kivy: True" in out.stdout


def test_bhyt_patient_scan_to_ticket_in_three_taps_scanning_first():
    flow, gw, _ = make()
    taps = 0
    flow.scan(CCCD)  # scanned before touching anything
    assert flow.screen is Screen.WELCOME and flow.session.pending_scan == CCCD
    assert gw.called("identify") == []  # nothing leaves the kiosk before consent
    flow.start(); taps += 1  # noqa: E702  (the consent tap)
    assert flow.screen is Screen.CHOOSE
    payload = gw.called("identify")[0][1]
    assert payload == {"scan": CCCD, "consent": {"accepted": True}}
    assert flow.session.pending_scan is None  # raw QR text dropped once used
    flow.choose_service("KHAM-NOI"); taps += 1  # noqa: E702
    assert flow.session.coverage == "bhyt"  # the check is ok, so BHYT is preselected
    flow.confirm(); taps += 1  # noqa: E702
    assert flow.screen is Screen.TICKET and taps == 3
    body, key = gw.called("create_ticket")[0][1:3]
    assert body == {"service_code": "KHAM-NOI", "coverage": "bhyt", "identify_token": "tok-123"}
    assert key == "key-1"
    assert flow.printer.printed[0]["id"] == "t1"
    assert flow.session.print_state == "printed"
    assert flow.cues[-1] == "ticket"


def test_touch_first_path_also_three_taps_after_the_scan():
    flow, gw, _ = make()
    flow.start()
    assert flow.screen is Screen.SCAN
    flow.scan(CCCD)
    flow.choose_service("KHAM-NOI")
    flow.confirm()
    assert flow.screen is Screen.TICKET


def test_services_hidden_from_kiosk_are_not_offered_and_closed_ones_refuse():
    flow, gw, _ = make()
    to_choose(flow)
    codes = [s["code"] for s in flow.session.services]
    assert "THU-NGAN" not in codes and "KHAM-DL" in codes
    flow.choose_service("KHAM-DL")
    assert flow.screen is Screen.CHOOSE and "hết giờ" in flow.session.notice.vi
    vm = viewmodels.build(flow)
    closed = next(c for c in vm.services if c.id == "KHAM-DL")
    assert not closed.enabled


def test_refused_bhyt_check_defaults_to_self_pay_and_disables_bhyt():
    gw = FakeGateway()
    gw.answer("identify", identify_answer(status="refused"))
    flow, gw, _ = make(gw)
    to_confirm(flow)
    assert flow.session.coverage == "self_pay"
    vm = viewmodels.build(flow)
    assert [c.id for c in vm.coverages] == ["bhyt", "self_pay"]
    assert not vm.coverages[0].enabled and vm.coverages[1].detail == "39.000 đ"


@pytest.mark.parametrize("code", ["CARD_UNREADABLE", "CARD_EXPIRED", "CARD_NAME_INVALID",
                                  "CARD_INVALID_NUMBER", "CARD_NOT_YET_VALID", "CARD_INVALID_DATE"])
def test_card_problems_go_back_to_scan_with_the_reason_and_keep_nothing(code):
    gw = FakeGateway()
    gw.answer("identify", Problem(code, 422, "title"))
    flow, gw, _ = make(gw)
    flow.start()
    flow.scan("garbled|text")
    assert flow.screen is Screen.SCAN
    assert flow.session.identity is None and flow.session.pending_scan is None
    assert flow.session.notice is not None and flow.session.notice.vi and flow.session.notice.en
    assert flow.cues[-1] == "error"


def test_manual_entry_typo_returns_to_the_keypad_with_entries_kept():
    gw = FakeGateway()
    gw.answer("identify", Problem("CARD_DOB_MISMATCH", 422), identify_answer())
    flow, gw, _ = make(gw)
    flow.start()
    flow.manual_open()
    for k in "001090012345":
        flow.manual_key(k)
    flow.manual_field("dob")
    for k in "15081991":
        flow.manual_key(k)
    flow.manual_field("name")
    for k in ["N", "G", "U", "Y", "Ê", "ngã", "N", "space", "A", "N"]:
        flow.manual_key(k)
    assert flow.session.manual.name == "NGUYỄN AN"
    flow.manual_submit()
    assert flow.screen is Screen.MANUAL and flow.session.manual.number == "001090012345"
    assert gw.called("identify")[0][1]["manual"] == {"id_type": "cccd", "number": "001090012345",
                                                     "name": "NGUYỄN AN", "dob": "15/08/1991"}
    flow.manual_field("dob")
    flow.manual_key("back")
    flow.manual_key("0")
    flow.manual_submit()
    assert flow.screen is Screen.CHOOSE
    assert flow.session.manual.number == ""  # typed data is not kept after use


def test_manual_entry_refuses_incomplete_input_locally_and_tone_marks_only_on_vowels():
    flow, gw, _ = make()
    flow.start()
    flow.manual_open()
    flow.manual_key("1")
    flow.manual_submit()
    assert flow.screen is Screen.MANUAL and flow.session.notice is not None
    assert gw.called("identify") == []
    flow.manual_field("name")
    for k in ["B", "sắc"]:
        flow.manual_key(k)
    assert flow.session.manual.name == "B"
    for k in ["O", "hỏi", "nặng"]:
        flow.manual_key(k)
    assert flow.session.manual.name == "BỌ"  # a new tone replaces the old one


def test_walk_in_without_papers_is_self_pay_only():
    flow, gw, _ = make()
    flow.start()
    flow.no_papers()
    assert flow.screen is Screen.CHOOSE
    assert "TD-BHYT" not in [s["code"] for s in flow.session.services]
    flow.choose_service("KHAM-MAT")
    assert flow.session.coverage == "self_pay"
    flow.set_coverage("bhyt")
    assert flow.session.coverage == "self_pay" and flow.session.notice is not None
    flow.confirm()
    body = gw.called("create_ticket")[0][1]
    assert body == {"service_code": "KHAM-MAT", "coverage": "self_pay"}


def test_bhyt_refused_at_issue_offers_self_pay_with_a_new_key():
    gw = FakeGateway()
    gw.answer("create_ticket", Problem("BHYT_REFUSED", 422), ticket(coverage="self_pay"))
    flow, gw, _ = make(gw)
    to_confirm(flow)
    flow.confirm()
    assert flow.screen is Screen.CONFIRM
    assert flow.session.coverage == "self_pay" and "tự trả tiền" in flow.session.notice.vi
    flow.confirm()
    (_, first, k1, _), (_, second, k2, _) = gw.called("create_ticket")
    assert first["coverage"] == "bhyt" and second["coverage"] == "self_pay" and k1 != k2
    assert flow.screen is Screen.TICKET


def test_visit_already_open_shows_the_existing_ticket_without_printing_it_again():
    existing = ticket(number=7, tid="old")
    gw = FakeGateway()
    gw.answer("identify", identify_answer(open_tickets=[existing]))
    gw.answer("create_ticket", Problem("VISIT_ALREADY_OPEN", 409))
    flow, gw, _ = make(gw)
    flow.start()
    flow.scan(CCCD)
    assert flow.screen is Screen.TICKET and len(flow.printer.printed) == 1  # the card scan reprinted it
    flow.other_clinic()
    assert flow.screen is Screen.CHOOSE
    vm = viewmodels.build(flow)
    assert "N007" in vm.open_visit
    flow.choose_service("KHAM-NOI")
    flow.confirm()
    assert flow.screen is Screen.TICKET and flow.session.ticket["id"] == "old"
    assert flow.session.ticket_existing and len(flow.printer.printed) == 1
    assert viewmodels.build(flow).can_reprint


def test_resume_open_visit_from_the_patient_card():
    gw = FakeGateway()
    gw.answer("identify", identify_answer(open_tickets=[ticket(number=4, tid="mine")]))
    flow, gw, _ = make(gw)
    flow.start()
    flow.scan(CCCD)
    flow.other_clinic()
    assert flow.screen is Screen.CHOOSE
    flow.resume_open_visit()
    assert flow.screen is Screen.TICKET and flow.session.ticket["id"] == "mine"
    assert gw.called("create_ticket") == []


def to_choose_typed(flow):
    flow.start()
    flow.manual_open()
    for key in "001090012345":
        flow.manual_key(key)
    flow.manual_field("dob")
    for key in "1990":
        flow.manual_key(key)
    flow.manual_field("name")
    for key in "LE VAN TAM".replace(" ", "|"):
        flow.manual_key("space" if key == "|" else key)
    flow.manual_submit()
    assert flow.screen is Screen.CHOOSE


def test_a_typed_number_with_a_visit_open_today_gets_a_message_and_never_a_reprint():
    gw = FakeGateway()
    gw.answer("identify", identify_answer(status="refused", assurance="typed"))
    gw.answer("create_ticket", Problem("VISIT_OPEN_SEE_RECEPTION", 409))
    flow, gw, _ = make(gw)
    to_choose_typed(flow)
    vm = viewmodels.build(flow)
    assert vm.open_visit == "" and "bằng tay" in vm.common.notice  # the neutral hint, no number
    flow.choose_service("KHAM-NOI")
    flow.confirm()
    assert flow.screen is Screen.MESSAGE and flow.session.ticket is None
    vm = viewmodels.build(flow)
    assert "quầy tiếp đón" in vm.body and [a.id for a in vm.actions] == ["home"]
    flow.toggle_language()
    assert "reception desk" in viewmodels.build(flow).body
    flow.reprint()
    assert flow.printer.printed == [] and flow.tickets_shown == []


def test_a_typed_number_never_shows_or_reprints_an_existing_ticket_even_if_the_backend_sent_one():
    # An older backend (or a bug) that still sends the open visit: the kiosk keeps the rule itself.
    gw = FakeGateway()
    gw.answer("identify", identify_answer(open_tickets=[ticket(number=7, tid="theirs")], assurance="typed"))
    gw.answer("create_ticket", Problem("VISIT_ALREADY_OPEN", 409))
    flow, gw, _ = make(gw)
    to_choose_typed(flow)
    assert flow.open_tickets() == [] and viewmodels.build(flow).open_visit == ""
    flow.resume_open_visit()
    assert flow.screen is Screen.CHOOSE
    flow.choose_service("KHAM-NOI")
    flow.confirm()
    assert flow.screen is Screen.MESSAGE and flow.session.ticket is None
    assert "theirs" not in flow.tickets_shown and flow.printer.printed == []


def test_a_manual_entry_without_an_assurance_field_counts_as_typed():
    answer = identify_answer(open_tickets=[ticket(number=7, tid="theirs")])
    del answer["assurance"]
    answer["card"]["manual"] = True
    gw = FakeGateway()
    gw.answer("identify", answer)
    flow, gw, _ = make(gw)
    to_choose_typed(flow)
    assert flow.open_tickets() == []


def test_too_many_typed_numbers_asks_for_the_card():
    gw = FakeGateway()
    gw.answer("identify", Problem("MANUAL_LOOKUP_LIMIT", 429))
    flow, gw, _ = make(gw)
    flow.start()
    flow.manual_open()
    for key in "001090012345":
        flow.manual_key(key)
    flow.manual_field("dob")
    for key in "1990":
        flow.manual_key(key)
    flow.manual_field("name")
    for key in "AN":
        flow.manual_key(key)
    flow.manual_submit()
    assert flow.screen is Screen.SCAN and "quét thẻ" in flow.session.notice.vi
    assert flow.session.manual.number == ""  # nothing typed is kept
    assert flow.session.auto_retry_at is None


def test_queue_closed_at_issue_reloads_the_clinics():
    gw = FakeGateway()
    gw.answer("create_ticket", Problem("QUEUE_CLOSED", 409))
    flow, gw, _ = make(gw)
    to_confirm(flow)
    calls_before = len(gw.called("services"))
    flow.confirm()
    assert flow.screen is Screen.CHOOSE and "hết giờ" in flow.session.notice.vi
    assert len(gw.called("services")) == calls_before + 1


def test_rate_limited_waits_then_retries_with_the_same_key():
    gw = FakeGateway()
    gw.answer("create_ticket", Problem("RATE_LIMITED", 429, retry_after=3), ticket())
    flow, gw, clock = make(gw)
    to_confirm(flow)
    flow.confirm()
    assert flow.screen is Screen.MESSAGE
    clock.advance(2)
    flow.tick()
    assert flow.screen is Screen.MESSAGE
    clock.advance(1.5)
    flow.tick()
    assert flow.screen is Screen.TICKET
    keys = [c[2] for c in gw.called("create_ticket")]
    assert keys == ["key-1", "key-1"]


def test_internal_error_offers_retry_with_the_same_key():
    gw = FakeGateway()
    gw.answer("create_ticket", Problem("INTERNAL_ERROR", 500, "Lỗi"), ticket())
    flow, gw, _ = make(gw)
    to_confirm(flow)
    flow.confirm()
    assert flow.screen is Screen.MESSAGE
    vm = viewmodels.build(flow)
    assert [a.id for a in vm.actions] == ["retry", "home"]
    flow.retry()
    assert flow.screen is Screen.TICKET
    assert [c[2] for c in gw.called("create_ticket")] == ["key-1", "key-1"]


def test_unknown_problem_code_shows_the_backends_title():
    gw = FakeGateway()
    gw.answer("create_ticket", Problem("SOMETHING_NEW", 409, "Tiêu đề từ máy chủ"))
    flow, gw, _ = make(gw)
    to_confirm(flow)
    flow.confirm()
    assert flow.screen is Screen.MESSAGE and flow.session.message.vi == "Tiêu đề từ máy chủ"


def test_network_failure_mid_issue_goes_offline_and_recovers_with_one_ticket():
    gw = FakeGateway()
    gw.answer("create_ticket", Offline("timeout"), ticket(tid="only"))
    gw.answer("heartbeat", Offline("refused"), {"ok": True})
    flow, gw, clock = make(gw, offline_retry_s=5)
    to_confirm(flow)
    flow.confirm()
    assert flow.screen is Screen.OFFLINE and flow.offline_reason == "network"
    assert "Mất kết nối" in viewmodels.build(flow).title
    clock.advance(5)
    flow.tick()  # probe fails: still offline, no ticket invented
    assert flow.screen is Screen.OFFLINE and flow.tickets_shown == []
    clock.advance(5)
    flow.tick()  # probe answers: the same request again, same key
    assert flow.screen is Screen.TICKET and flow.tickets_shown == ["only"]
    assert [c[2] for c in gw.called("create_ticket")] == ["key-1", "key-1"]


def test_offline_for_longer_than_the_idle_limit_forgets_the_patient():
    gw = FakeGateway()
    gw.answer("create_ticket", Offline("timeout"))
    gw.answer("heartbeat", Offline("refused"), Offline("refused"), Offline("refused"), {"ok": True})
    flow, gw, clock = make(gw, offline_retry_s=20)
    to_confirm(flow)
    flow.confirm()
    clock.advance(46)
    flow.tick()
    assert flow.screen is Screen.OFFLINE and not flow.session.has_personal_data
    assert flow.session.identity is None and flow.session.issue is None
    for _ in range(4):
        clock.advance(20)
        flow.tick()
    assert flow.screen is Screen.WELCOME
    assert len(gw.called("create_ticket")) == 1  # nothing was sent for a patient who left


def test_unauthorized_device_shows_out_of_service():
    gw = FakeGateway()
    gw.answer("identify", Problem("UNAUTHORIZED", 401))
    flow, gw, _ = make(gw)
    flow.start()
    flow.scan(CCCD)
    assert flow.screen is Screen.OFFLINE and flow.offline_reason == "unauthorized"
    assert "ngừng phục vụ" in viewmodels.build(flow).body


def test_heartbeat_failure_on_an_idle_kiosk_shows_offline_and_recovery_returns_to_welcome():
    flow, gw, _ = make()
    flow.backend_down()
    assert flow.screen is Screen.OFFLINE
    flow.backend_up()
    assert flow.screen is Screen.WELCOME


def test_heartbeat_failure_does_not_interrupt_a_patient():
    flow, gw, _ = make()
    to_choose(flow)
    flow.backend_down()
    assert flow.screen is Screen.CHOOSE


def test_idle_reset_after_45_seconds_clears_personal_data_and_language():
    flow, gw, clock = make()
    to_choose(flow)
    flow.toggle_language()
    clock.advance(44)
    flow.tick()
    assert flow.screen is Screen.CHOOSE
    flow.touch()
    clock.advance(44.9)
    flow.tick()
    assert flow.screen is Screen.CHOOSE  # a touch restarts the clock
    clock.advance(0.2)
    flow.tick()
    assert flow.screen is Screen.WELCOME
    assert flow.session.identity is None and not flow.session.has_personal_data
    assert flow.lang == "vi"


def test_a_scan_held_for_consent_is_forgotten_when_nobody_agrees():
    flow, gw, clock = make()
    flow.scan(CCCD)
    clock.advance(46)
    flow.tick()
    assert flow.session.pending_scan is None and gw.called("identify") == []


def test_an_answer_arriving_after_a_reset_is_dropped():
    io = DeferredIO()
    flow, gw, clock = make(run_io=io)
    flow.start()
    flow.scan(CCCD)
    assert flow.screen is Screen.BUSY
    flow.reset("test")
    io.release()
    assert flow.screen is Screen.WELCOME and flow.session.identity is None


def test_a_second_tap_on_confirm_sends_nothing_more():
    io = DeferredIO()
    flow, gw, _ = make(run_io=io)
    flow.start()
    flow.scan(CCCD)
    io.release()
    flow.choose_service("KHAM-NOI")
    flow.confirm()
    flow.confirm()
    assert len(io.pending) == 1
    io.release()
    io.release()  # the print job
    assert len(gw.called("create_ticket")) == 1 and flow.screen is Screen.TICKET


def test_a_scan_on_a_later_screen_starts_over_for_the_next_person():
    flow, gw, _ = make()
    to_confirm(flow)
    flow.scan("079305001234||Trần Thị Mai|02022005|Nữ|TP. Hồ Chí Minh|10052022")
    assert flow.screen is Screen.WELCOME
    assert flow.session.identity is None and flow.session.pending_scan.startswith("079305")


def test_ticket_screen_returns_to_welcome_after_20_s_or_60_s_when_not_printed():
    flow, gw, clock = make()
    to_confirm(flow)
    flow.confirm()
    clock.advance(21)
    flow.tick()
    assert flow.screen is Screen.WELCOME
    flow2, _, clock2 = make(printer=FakePrinter(ok=False, status="paper_out"))
    to_confirm(flow2)
    flow2.confirm()
    vm = viewmodels.build(flow2)
    assert vm.print_failed and "Máy in hết giấy — vé của bạn trên màn hình" in vm.print_message
    flow2.toggle_language()
    assert "The printer is out of paper — your ticket is on the screen" in viewmodels.build(flow2).print_message
    clock2.advance(30)
    flow2.tick()
    assert flow2.screen is Screen.TICKET
    clock2.advance(31)
    flow2.tick()
    assert flow2.screen is Screen.WELCOME


def test_printer_banner_on_welcome_only_when_the_printer_cannot_print():
    flow, gw, _ = make()
    assert viewmodels.build(flow).printer_banner == ""
    flow.printer_changed("paper_low")
    assert viewmodels.build(flow).printer_banner == ""
    flow.printer_changed("paper_out")
    assert "Máy in" in viewmodels.build(flow).printer_banner


def _invoice(due=True, status="pending"):
    return {"id": "inv1", "status": status, "amount": 39000, "due_before_call": due,
            "expires_at": "2999-01-01T00:00:00+07:00", "reference": "TD1"}


def _payment_flow(**config):
    gw = FakeGateway()
    gw.answer("create_ticket", ticket(coverage="self_pay", invoice=_invoice()))
    gw.answer("vietqr", {"qr_payload": "000201VIETQR", "amount": 39000, "reference": "TD1",
                         "expires_at": "2999-01-01T00:00:00+07:00"})
    gw.answer("vnpay", {"qr_payload": "000201VNPAY", "payment_url": "http://x",
                        "expires_at": "2999-01-01T00:00:00+07:00"})
    gw.answer("invoice", {"id": "inv1", "status": "pending"})
    flow, gw, clock = make(gw, **config)
    flow.start()
    flow.no_papers()
    flow.choose_service("KHAM-MAT")
    flow.confirm()
    return flow, gw, clock


def test_self_pay_pays_by_qr_and_moves_on_by_itself_when_the_invoice_is_paid():
    flow, gw, clock = _payment_flow()
    assert flow.screen is Screen.PAYMENT
    vm = viewmodels.build(flow)
    assert vm.qr_payload == "000201VIETQR" and "39.000 đ" in vm.amount
    flow.set_payment_method("vnpay")
    assert viewmodels.build(flow).qr_payload == "000201VNPAY"
    flow.invoice_event({"id": "other", "status": "paid"})
    assert gw.called("invoice") == []
    gw.answer("invoice", {"id": "inv1", "status": "paid", "amount": 39000})
    flow.invoice_event({"id": "inv1", "status": "paid"})
    assert flow.screen is Screen.TICKET and flow.session.ticket["paid"]
    assert "Đã thanh toán 39.000 đ" == viewmodels.build(flow).paid
    assert len(flow.printer.printed) == 1 and gw.called("cancel_ticket") == []


def test_payment_is_polled_when_no_event_comes():
    flow, gw, clock = _payment_flow(payment_poll_s=3)
    clock.advance(3)
    flow.tick()
    assert len(gw.called("invoice")) == 1 and flow.screen is Screen.PAYMENT
    gw.answer("invoice", {"id": "inv1", "status": "paid"})
    clock.advance(3)
    flow.tick()
    assert flow.screen is Screen.TICKET


def test_payment_timeout_cancels_the_unpaid_ticket_and_says_so():
    flow, gw, clock = _payment_flow(payment_timeout_s=60, payment_poll_s=100)
    assert flow.payment_seconds_left() == 60
    clock.advance(61)
    flow.tick()
    assert gw.called("cancel_ticket") == [("cancel_ticket", "t1", "trk")]
    assert flow.screen is Screen.MESSAGE and "hết thời gian" in flow.session.message.vi.lower()
    assert flow.printer.printed == []


def test_money_arriving_at_the_deadline_wins_over_the_timeout():
    flow, gw, clock = _payment_flow(payment_timeout_s=60, payment_poll_s=100)
    gw.answer("invoice", {"id": "inv1", "status": "paid"})
    clock.advance(61)
    flow.tick()
    assert flow.screen is Screen.TICKET and gw.called("cancel_ticket") == []


def test_patient_cancels_payment():
    flow, gw, clock = _payment_flow()
    flow.cancel_payment()
    assert gw.called("cancel_ticket") and flow.screen is Screen.MESSAGE
    flow.done()
    assert flow.screen is Screen.WELCOME and not flow.session.has_personal_data


def test_payment_not_required_before_the_call_just_mentions_the_fee():
    gw = FakeGateway()
    gw.answer("create_ticket", ticket(coverage="self_pay", invoice=_invoice(due=False)))
    flow, gw, _ = make(gw)
    flow.start()
    flow.no_papers()
    flow.choose_service("KHAM-MAT")
    flow.confirm()
    assert flow.screen is Screen.TICKET and "39.000 đ" in flow.session.notice.vi


def test_qr_unavailable_falls_back_to_the_cashier():
    gw = FakeGateway()
    gw.answer("create_ticket", ticket(coverage="self_pay", invoice=_invoice()))
    gw.answer("vietqr", Problem("PAYMENT_PROVIDER_NOT_CONFIGURED", 503))
    flow, gw, _ = make(gw)
    flow.start()
    flow.no_papers()
    flow.choose_service("KHAM-MAT")
    flow.confirm()
    assert flow.screen is Screen.TICKET and "thu ngân" in flow.session.notice.vi


def test_consent_required_goes_back_to_welcome():
    gw = FakeGateway()
    gw.answer("identify", Problem("CONSENT_REQUIRED", 422))
    flow, gw, _ = make(gw)
    flow.start()
    flow.scan(CCCD)
    assert flow.screen is Screen.WELCOME and flow.session.notice is not None


def test_identify_token_expired_at_issue_asks_for_a_new_scan():
    gw = FakeGateway()
    gw.answer("create_ticket", Problem("IDENTIFY_TOKEN_INVALID", 422))
    flow, gw, _ = make(gw)
    to_confirm(flow)
    flow.confirm()
    assert flow.screen is Screen.SCAN and flow.session.identity is None


def test_declared_priority_is_sent_and_can_be_undone():
    flow, gw, _ = make()
    to_confirm(flow)
    flow.toggle_priority("pregnant")
    flow.toggle_priority("severe_disability")
    flow.toggle_priority("nonsense")
    assert flow.session.priority == "severe_disability"
    flow.confirm()
    assert gw.called("create_ticket")[0][1]["priority_reason"] == "severe_disability"


def test_language_toggle_redraws_everything_in_english_and_back():
    flow, gw, _ = make()
    to_confirm(flow)
    vm = viewmodels.build(flow)
    assert vm.go_label == "Lấy số" and vm.service_name == "Khám Nội"
    flow.toggle_language()
    vm = viewmodels.build(flow)
    assert vm.go_label == "Get my number" and vm.service_name == "Internal medicine"
    assert vm.common.lang_label == "Tiếng Việt"


def test_back_navigation():
    flow, gw, _ = make()
    to_confirm(flow)
    flow.back()
    assert flow.screen is Screen.CHOOSE
    flow.back()
    assert flow.screen is Screen.WELCOME and flow.session.identity is None


def test_view_model_of_every_screen_builds_in_both_languages():
    flow, gw, _ = make()
    seen = set()

    def check():
        for lang in ("vi", "en"):
            flow.lang = lang
            vm = viewmodels.build(flow)
            assert vm.common.screen == flow.screen.value
        flow.lang = "vi"
        seen.add(flow.screen)

    check()
    flow.start(); check()  # noqa: E702
    flow.manual_open(); check()  # noqa: E702
    flow.back()
    flow.scan(CCCD); check()  # noqa: E702
    flow.choose_service("KHAM-NOI"); check()  # noqa: E702
    flow.confirm(); check()  # noqa: E702
    flow._busy("busy_wait"); check()  # noqa: E702
    flow._message(flow.session.notice or viewmodels.S["retry"]); check()  # noqa: E702
    flow._go_offline("network", None); check()  # noqa: E702
    f2, _, _ = _payment_flow()
    for lang in ("vi", "en"):
        f2.lang = lang
        assert viewmodels.build(f2).common.screen == "payment"
    seen.add(Screen.PAYMENT)
    assert seen == set(Screen)
