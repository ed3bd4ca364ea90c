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

from printer_drivers.preview import preview_image
from tests.e2e.kiosk.stack import PAY_FIRST_SERVICE, KioskStack

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "kiosk")
MIN_TOUCH_PX = 120


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = KioskStack(str(tmp_path_factory.mktemp("kiosk-stack")), latency_ms=50).start()
    yield s
    s.stop()


def run_kiosk(stack, tmp_path, scenario, params=None, timeouts=None, timeout_s=120) -> dict:
    workdir = tmp_path / scenario
    workdir.mkdir()
    spec = {"backend_url": stack.url, "token": stack.token, "scenario": scenario,
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
    result = run_kiosk(stack, tmp_path, "payment_timeout", {"service": PAY_FIRST_SERVICE},
                       timeouts={"payment_timeout_s": 4})
    r = result["result"]
    assert any("hết thời gian thanh toán" in t.lower() for t in r["message_texts"])
    assert r["printed"] == "none" and result["printer_jobs"] == []
    assert query(stack, "SELECT status FROM tickets WHERE id = ?", r["ticket_id"]) == [("cancelled",)]
    assert query(stack, "SELECT status FROM invoices WHERE ticket_id = ?", r["ticket_id"]) != [("paid",)]
