"""The kiosk in a real Kivy window (SDL2 draws offscreen without a display) against a real
`tiepdon serve`, the BHXH, HIS and VNPay simulators, and the printer simulator over TCP.

Each scenario runs in its own process (a Kivy App runs once per process): driver.py builds the
kiosk through its composition root and plays the patient; this module checks what the backend, the
printer and the screen ended up with. Screenshots land in tests/artifacts/kiosk/.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest
import zxingcpp

from kiosk_client.printing import receipt_print_data, ticket_print_data
from printer_drivers.encode import encode_receipt, encode_ticket
from printer_drivers.layout import layout_receipt, layout_ticket
from printer_drivers.ops import Text as TextOp
from printer_drivers.preview import preview_image
from printer_drivers.config import PrinterConfig
from tests.e2e.kiosk.stack import CASHIER_WHERE, PAY_FIRST_SERVICE, WITH_CASHIER, KioskStack

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "kiosk")
SHOTS = os.path.join(ROOT, "var", "shots")
MIN_TOUCH_PX = 120


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = KioskStack(str(tmp_path_factory.mktemp("kiosk-stack")), latency_ms=50).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def cashier_stack(tmp_path_factory):
    """A hospital that takes fees at the cashier and keeps numbers at the payment deadline."""
    s = KioskStack(str(tmp_path_factory.mktemp("kiosk-cashier-stack")), latency_ms=50,
                   payments=WITH_CASHIER).start()
    yield s
    s.stop()


def run_kiosk(stack, tmp_path, scenario, params=None, timeouts=None, timeout_s=120, token=None) -> dict:
    workdir = tmp_path / scenario
    workdir.mkdir()
    spec = {"backend_url": stack.url, "token": token or stack.token, "scenario": scenario,
            "workdir": str(workdir), "shots_dir": ARTIFACTS, "params": params or {},
            "timeouts": {"offline_retry_s": 1, **(timeouts or {})}, "timeout_s": timeout_s,
            "launched_at": time.time()}
    (workdir / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_HOME=str(workdir / "kivy-home"))
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "e2e", "kiosk", "driver.py"),
                           str(workdir / "spec.json")], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout_s + 30)
    result_file = workdir / "result.json"
    assert result_file.exists(), proc.stderr[-3000:]
    result = json.loads(result_file.read_text(encoding="utf-8"))
    assert result.get("ok"), result.get("error", "") + proc.stderr[-2000:]
    result["workdir"] = workdir
    return result


def query(stack, sql, *args):
    con = sqlite3.connect(stack.db_url.removeprefix("sqlite:///"))
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def printed_qr(workdir, job_number) -> list[str]:
    stream = (workdir / "printer" / f"job-{job_number:04d}.bin").read_bytes()
    return [r.text for r in zxingcpp.read_barcodes(preview_image(stream, 576))]


def test_bhyt_patient_scans_taps_clinic_and_confirm_and_gets_a_printed_ticket(stack, tmp_path):
    qr = stack.insured_patient(1, name="Hoàng Văn Bảy")
    r = run_kiosk(stack, tmp_path, "checkin", {"qr": qr})["result"]
    ticket = r["ticket"]
    assert r["taps"] == 3 and r["confirm_coverage"] == "bhyt"
    assert ticket["display_number"].startswith("N") and ticket["print_state"] == "printed"
    rows = query(stack, "SELECT display_number, coverage, status FROM tickets WHERE id = ?", ticket["id"])
    assert rows == [(ticket["display_number"], "bhyt", "waiting")]
    # Who you are: masked, never the full name or number.
    shown = " ".join(r["choose_texts"])
    assert "Hoàng V. B" in shown and "Hoàng Văn Bảy" not in shown and "Thẻ BHYT hợp lệ" in shown
    assert "English" in shown and "Chọn nơi khám" in shown
    assert "Your number" in r["ticket_texts_en"] and ticket["display_number"] in r["ticket_texts_en"]
    for screen in ("welcome", "choose", "confirm", "ticket"):
        assert r[f"{screen}_overflow"] == [], screen
    for action, width, height in r["welcome_buttons"] + r["choose_buttons"]:
        assert height >= MIN_TOUCH_PX and width >= MIN_TOUCH_PX, action
    assert r["after_reset"] == {"personal": False, "lang": "vi"}


def test_the_printer_received_the_ticket_and_its_qr_is_the_track_url(stack, tmp_path):
    qr = stack.insured_patient(2, name="Lương Thị Ánh")
    result = run_kiosk(stack, tmp_path, "checkin", {"qr": qr, "service": "KHAM-NGOAI"})
    ticket = result["result"]["ticket"]
    jobs = result["printer_jobs"]
    assert len(jobs) == 1 and jobs[0]["completed"] and not jobs[0]["printed_late"]
    assert printed_qr(result["workdir"], 1) == [ticket["track_url"]]
    assert f"/t/{ticket['id']}?token=" in ticket["track_url"]


def test_walk_in_keypad_garbled_scan_and_slow_typing(stack, tmp_path):
    qr = stack.insured_patient(3, name="Đỗ Văn Hùng")
    garbled = qr.replace("Đỗ Văn Hùng", "Ä\x90á»\x97 VÄ\x83n HÃ¹ng")  # UTF-8 read as Latin-1
    patients_before = query(stack, "SELECT COUNT(*) FROM patients")[0][0]
    r = run_kiosk(stack, tmp_path, "tour", {"qr": qr, "garbled": garbled})["result"]
    assert r["slow_typing"]["screen"] == "scan" and r["slow_typing"]["rejected"] >= 1
    assert "họ tên" in r["garbled_notice"] or "Không đọc được thẻ" in r["garbled_notice"]
    assert query(stack, "SELECT COUNT(*) FROM patients")[0][0] == patients_before  # nobody invented
    assert r["manual"] == ["0010900", "15081990", "ÀN"]  # the tone lands on the vowel
    assert r["manual_overflow"] == []
    for action, width, height in r["manual_buttons"] + r["scan_buttons"]:
        assert height >= MIN_TOUCH_PX and width >= MIN_TOUCH_PX, action
    assert r["walkin_coverage"] == "self_pay" and "39.000 đ" in " ".join(r["walkin_texts"])
    assert query(stack, "SELECT coverage FROM tickets WHERE id = ?", r["ticket"]["id"]) == [("self_pay",)]


def test_printer_out_of_paper_shows_the_number_on_screen_and_never_prints_it_later(stack, tmp_path):
    qr = stack.insured_patient(4, name="Vi Thị Hoa")
    result = run_kiosk(stack, tmp_path, "paper_out", {"qr": qr})
    r = result["result"]
    assert "Máy in đang tạm hỏng" in " ".join(r["welcome_texts"])
    assert r["ticket"]["print_state"] == "failed" and r["ticket"]["print_status"] == "paper_out"
    assert any("Máy in hết giấy — vé của bạn trên màn hình" in t for t in r["ticket_texts"])
    assert r["ticket"]["display_number"] in r["ticket_texts"] and r["reprint_visible"]
    assert r["reprinted"]["print_state"] == "printed"
    jobs = result["printer_jobs"]
    assert not any(j["printed_late"] for j in jobs)  # the failed job did not burst out after the refill
    assert [j["completed"] for j in jobs][-1] is True
    assert query(stack, "SELECT COUNT(*) FROM tickets WHERE id = ?", r["ticket"]["id"]) == [(1,)]
    status = query(stack, "SELECT printer_status FROM devices WHERE name = 'kiosk-e2e'")
    assert status == [("ok",)]  # the heartbeat after the refill


def test_a_typed_number_of_a_patient_with_an_open_visit_gets_no_reprint_and_a_clear_message(stack, tmp_path):
    qr = stack.insured_patient(6, name="Hoàng Văn Sáu", year=1960)
    number = qr.split("|")[0]
    result = run_kiosk(stack, tmp_path, "typed_open_visit", {
        "qr": qr, "number": number, "year": "1960",
        "name_keys": ["L", "E", "space", "V", "A", "N", "space", "T", "A", "M"]})
    r = result["result"]
    held = r["held"]
    assert held["print_state"] == "printed"
    # Nothing of the patient's ticket reaches the screen, and nothing more is printed.
    for texts in (r["choose_texts"], r["message_texts"], r["message_texts_en"]):
        assert not any(held["display_number"] in t for t in texts)
    assert any("bằng tay" in t for t in r["choose_texts"])  # the neutral hint
    assert r["open_visit_button"] is False and r["reprint_visible"] is False
    assert r["session_ticket"] is None and r["tickets_shown"] == [held["id"]]
    assert any("quầy tiếp đón" in t for t in r["message_texts"])
    assert any("reception desk" in t for t in r["message_texts_en"])
    assert len(result["printer_jobs"]) == 1
    visit = query(stack, "SELECT visit_id FROM tickets WHERE id = ?", held["id"])[0][0]
    assert query(stack, "SELECT id, status FROM tickets WHERE visit_id = ?", visit) == [(held["id"], "waiting")]


def test_backend_unreachable_idle_and_mid_checkin_recovers_with_exactly_one_ticket(stack, tmp_path):
    qr = stack.insured_patient(5, name="Nông Văn Dền")
    result = run_kiosk(stack, tmp_path, "backend_down", {"qr": qr})
    r = result["result"]
    assert result["swallowed"] == 1  # the backend issued the ticket and the answer was lost
    assert any("Mất kết nối" in t for t in r["offline_texts"]) and r["recovered_idle"]
    visit = query(stack, "SELECT visit_id FROM tickets WHERE id = ?", r["ticket"]["id"])
    assert len(visit) == 1
    on_visit = query(stack, "SELECT id FROM tickets WHERE visit_id = ?", visit[0][0])
    assert on_visit == [(r["ticket"]["id"],)]  # the retry with the same key did not issue another
    assert r["tickets_shown"] == [r["ticket"]["id"]]
    assert r["key_before_confirm"] is False and len(r["issue_key"]) == 32  # made by the tap itself


def test_self_pay_patient_pays_by_vnpay_and_the_kiosk_moves_on_by_itself(stack, tmp_path):
    result = run_kiosk(stack, tmp_path, "vnpay_pay",
                       {"service": PAY_FIRST_SERVICE, "vnpay_url": stack.vnpay_url})
    r = result["result"]
    assert r["vietqr_payload"].startswith("000201") and r["sim_pay_status"] == 200
    assert r["ticket"]["id"] == r["ticket_id"] and r["ticket"]["print_state"] == "printed"
    assert any(t.startswith("Đã thanh toán 39.000 đ") for t in r["ticket_texts"])
    rows = query(stack, "SELECT status, amount FROM invoices WHERE ticket_id = ?", r["ticket_id"])
    assert rows == [("paid", 39000)]
    assert r["payment_overflow"] == []


def test_payment_timeout_ends_on_a_clear_screen_and_cancels_the_unpaid_number(stack, tmp_path):
    # The patient's last touch is older than the idle limit when the deadline passes: the message
    # must still get its own time on screen (it used to jump straight to welcome).
    result = run_kiosk(stack, tmp_path, "payment_timeout", {"service": PAY_FIRST_SERVICE},
                       timeouts={"payment_timeout_s": 6, "idle_reset_s": 4})
    r = result["result"]
    assert r["still_shown"]
    assert "Hết thời gian thanh toán" in r["message_texts"] and "Time to pay has run out" in r["message_texts_en"]
    assert any(f"số {r['number']} đã bị huỷ" in t for t in r["message_texts"])
    assert any(f"number {r['number']} was cancelled" in t for t in r["message_texts_en"])
    assert r["printed"] == "none" and result["printer_jobs"] == []
    assert query(stack, "SELECT status FROM tickets WHERE id = ?", r["ticket_id"]) == [("cancelled",)]
    assert query(stack, "SELECT status FROM invoices WHERE ticket_id = ?", r["ticket_id"]) != [("paid",)]


def job_preview(workdir, job_number):
    return preview_image((workdir / "printer" / f"job-{job_number:04d}.bin").read_bytes(), 576)


def keep_preview(image, name) -> None:
    """The printed paper as a PNG beside the screenshots, to look at."""
    os.makedirs(SHOTS, exist_ok=True)
    image.save(os.path.join(SHOTS, f"{name}.png"))


def assert_printed(workdir, job_number, stream, name) -> None:
    """What came out of the printer simulator is exactly the expected job, pixel for pixel."""
    got = job_preview(workdir, job_number)
    keep_preview(got, name)
    want = preview_image(stream, 576)
    assert got.size == want.size and got.tobytes() == want.tobytes(), name


def ticket_lines(data) -> list[str]:
    return [op.text for op in layout_ticket(data, 576) if isinstance(op, TextOp)]


PROFILE = PrinterConfig.from_dict({"kind": "network", "host": "127.0.0.1", "port": 9100}).printer_profile()


def test_a_walk_in_ticket_with_the_fee_unpaid_prints_the_amount_and_where_to_pay(stack, tmp_path):
    result = run_kiosk(stack, tmp_path, "walk_in_fee", {"service": "KHAM-TMH"})
    r = result["result"]
    assert r["print_state"] == "printed" and len(result["printer_jobs"]) == 1 and r["overflow"] == []
    data = ticket_print_data(r["ticket"], None, r["hospital"])
    lines = ticket_lines(data)
    assert data.amount_due_vnd == 39000 and "39.000 đ" in lines and "Nơi trả tiền: Quầy thu ngân" in lines
    assert_printed(result["workdir"], 1, encode_ticket(data, profile=PROFILE), "p1-ticket-fee-due")
    assert any("39.000 đ" in t for t in r["texts"])  # and on the screen


def test_after_paying_the_kiosk_prints_a_receipt_through_the_printer(stack, tmp_path):
    result = run_kiosk(stack, tmp_path, "vnpay_pay", {"service": PAY_FIRST_SERVICE, "vnpay_url": stack.vnpay_url})
    r = result["result"]
    assert r["receipt_state"] == "printed"
    jobs = result["printer_jobs"]
    assert len(jobs) == 2 and all(j["completed"] for j in jobs)
    paid = r["paid"]
    ticket = ticket_print_data(paid["ticket"], None, paid["hospital"])
    assert ticket.amount_due_vnd is None  # paid: nothing due on the ticket
    receipt = receipt_print_data(paid["invoice"], paid["ticket"], paid["hospital"])
    lines = " ".join(op.text for op in layout_receipt(receipt, 576) if isinstance(op, TextOp))
    invoice = query(stack, "SELECT amount, provider FROM invoices WHERE ticket_id = ?", r["ticket_id"])
    assert invoice == [(39000, "vnpay")]
    for part in ("39.000 đ", "VNPay", paid["ticket"]["display_number"], receipt.reference):
        assert part in lines
    assert_printed(result["workdir"], 1, encode_ticket(ticket, profile=PROFILE), "p2-ticket-paid")
    assert_printed(result["workdir"], 2, encode_receipt(receipt, profile=PROFILE), "p3-receipt")


def test_the_appointment_qr_checks_in_and_the_card_or_ticket_qr_reprints_the_same_ticket(stack, tmp_path):
    card = stack.insured_patient(20, name="Trần Thị Hẹn")
    qr = stack.appointment_now(card)
    result = run_kiosk(stack, tmp_path, "appointment_and_held_ticket", {"appointment_qr": qr, "card_qr": card})
    r = result["result"]
    first = r["first"]["ticket"]
    assert r["first_print"] == "printed" and first["display_number"].startswith("N")
    appointment_id = qr.split(".")[1]
    assert query(stack, "SELECT status, ticket_id FROM appointments WHERE id = ?", appointment_id) == [
        ("checked_in", first["id"])]
    for step in r["steps"]:
        assert step["ticket"]["id"] == first["id"], step["name"]
        assert step["ticket"]["print_state"] == "printed" and step["ticket"]["existing"], step["name"]
        assert first["display_number"] in step["texts"] and step["clipped"] == [], step["name"]
    assert [s["other_clinic"] for s in r["steps"]] == [False, False, True]  # only the card knows the patient
    jobs = result["printer_jobs"]
    assert len(jobs) == 4 and all(j["completed"] for j in jobs)
    visit = query(stack, "SELECT visit_id FROM tickets WHERE id = ?", first["id"])[0][0]
    assert query(stack, "SELECT COUNT(*) FROM tickets WHERE visit_id = ?", visit) == [(1,)]
    identities = [None] + [s["identity"] for s in r["steps"]]  # the card scan adds the masked name
    for n, identity in enumerate(identities, start=1):  # the same ticket every time
        data = ticket_print_data(first, identity, r["first"]["hospital"])
        assert_printed(result["workdir"], n, encode_ticket(data, profile=PROFILE), f"p4-appointment-ticket-{n}")


def test_a_revoked_kiosk_says_out_of_service_at_once_and_comes_back_when_accepted(stack, tmp_path):
    token = stack.add_kiosk("kiosk-e2e-revoked")
    result = run_kiosk(stack, tmp_path, "revoked", {"db_path": stack.db_url.removeprefix("sqlite:///"),
                                                    "device": "kiosk-e2e-revoked"}, token=token)
    r = result["result"]
    assert r["screen_after_first_refusal"] == "offline" and r["reason"] == "unauthorized"
    assert "Tạm ngừng phục vụ" in r["texts"] and r["overflow"] == [] and r["back"]
    assert any("quầy tiếp đón" in t for t in r["texts"])


def test_no_word_is_cut_across_two_lines_and_nothing_overflows(stack, tmp_path):
    result = run_kiosk(stack, tmp_path, "english_words", {"service": "KHAM-SAN"})
    r = result["result"]
    assert r["broken"] == {name: [] for name in r["broken"]}
    assert r["overflow"] == {name: [] for name in r["overflow"]}


def test_the_payment_deadline_keeps_the_number_for_the_cashier_when_the_hospital_says_so(cashier_stack, tmp_path):
    result = run_kiosk(cashier_stack, tmp_path, "payment_timeout_cashier", {"service": PAY_FIRST_SERVICE},
                       timeouts={"payment_timeout_s": 6})
    r = result["result"]
    t = r["ticket"]
    assert r["print_state"] == "printed" and r["overflow"] == []
    assert "hết thời gian" in r["notice"].lower() and "vẫn được giữ" in r["notice"]
    assert any("39.000 đ" in x and CASHIER_WHERE[0] in x for x in r["texts"])
    assert any(CASHIER_WHERE[1] in x for x in r["texts_en"])
    assert query(cashier_stack, "SELECT status FROM tickets WHERE id = ?", t["id"]) == [("waiting",)]
    assert query(cashier_stack, "SELECT status FROM invoices WHERE ticket_id = ?", t["id"]) == [("pending",)]
    data = ticket_print_data(t, None, r["hospital"])
    assert data.amount_due_vnd == 39000 and f"Nơi trả tiền: {CASHIER_WHERE[0]}" in ticket_lines(data)
    assert_printed(result["workdir"], 1, encode_ticket(data, profile=PROFILE), "p5-ticket-timeout-cashier")


def test_pay_at_the_cashier_keeps_the_number_and_prints_what_to_pay_where(cashier_stack, tmp_path):
    result = run_kiosk(cashier_stack, tmp_path, "pay_at_cashier", {"service": PAY_FIRST_SERVICE})
    r = result["result"]
    t = r["ticket"]
    assert "Trả tại quầy thu ngân" in r["payment_texts"] and r["payment_overflow"] == []
    assert r["print_state"] == "printed" and r["overflow"] == [] and "vẫn được giữ" in r["notice"]
    assert any("39.000 đ" in x and CASHIER_WHERE[0] in x for x in r["texts"])
    assert query(cashier_stack, "SELECT status FROM tickets WHERE id = ?", t["id"]) == [("waiting",)]
    assert query(cashier_stack, "SELECT status FROM invoices WHERE ticket_id = ?", t["id"]) == [("pending",)]
    data = ticket_print_data(t, None, r["hospital"])
    assert data.amount_due_vnd == 39000 and data.pay_where == CASHIER_WHERE[0]
    assert_printed(result["workdir"], 1, encode_ticket(data, profile=PROFILE), "p6-ticket-pay-at-cashier")
