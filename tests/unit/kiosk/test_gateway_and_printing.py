"""The kiosk's REST client against a real backend app served over HTTP (SQLite, no simulators
needed for these routes), and the printer glue against the real printer simulator over TCP."""
import threading

import pytest
import zxingcpp
from werkzeug.serving import make_server

from kiosk_client.gateways.rest import Offline, Problem, RestGateway
from kiosk_client.printing import KioskPrinter, ticket_print_data
from printer_drivers.preview import preview_image
from printer_drivers.simulator import PrinterSimulator
from tests.support.app import make_backend
from tests.support.pg import free_port


@pytest.fixture
def served(sqlite_url):
    backend = make_backend(sqlite_url)
    server = make_server("127.0.0.1", 0, backend.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield backend, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    backend.app.extensions["tiepdon"].engine.dispose()


def test_rest_client_speaks_the_api(served):
    backend, url = served
    gw = RestGateway(url, backend.device_token, read_timeout_s=10)
    services = gw.services()
    assert any(s["code"] == "KHAM-NOI" for s in services["services"])
    body = {"service_code": "KHAM-NOI", "coverage": "self_pay"}
    first = gw.create_ticket(body, "tap-1")
    again = gw.create_ticket(body, "tap-1")  # a retried tap
    assert again["id"] == first["id"] and again["display_number"] == first["display_number"]
    other = gw.create_ticket(body, "tap-2")
    assert other["number"] == first["number"] + 1
    assert gw.heartbeat("paper_out")["printer_status"] == "paper_out"
    cancelled = gw.cancel_ticket(other["id"], other["track_token"])
    assert cancelled["status"] == "cancelled"


def test_problems_arrive_with_their_code_in_the_asked_language(served):
    backend, url = served
    gw = RestGateway(url, backend.device_token)
    with pytest.raises(Problem) as vi:
        gw.identify({"scan": "không phải thẻ", "consent": {"accepted": True}})
    assert vi.value.code == "CARD_UNREADABLE" and vi.value.status == 422 and "thẻ" in vi.value.title
    with pytest.raises(Problem) as en:
        gw.create_ticket({"service_code": "KHAM-NOI", "coverage": "bhyt"}, "k", lang="en")
    assert en.value.code == "CARD_REQUIRED" and "insurance" in en.value.title
    with pytest.raises(Problem) as unauthorized:
        RestGateway(url, "wrong-token").heartbeat("ok")
    assert unauthorized.value.code == "UNAUTHORIZED"


def test_an_unreachable_backend_is_offline_not_a_problem():
    gw = RestGateway(f"http://127.0.0.1:{free_port()}", "t", connect_timeout_s=1, read_timeout_s=1)
    with pytest.raises(Offline):
        gw.services()


SAMPLE_TICKET = {
    "id": "abc", "display_number": "N012", "service": {
        "code": "KHAM-NOI", "name_vi": "Khám Nội", "name_en": "Internal medicine",
        "room_vi": "Phòng khám 101–103", "directions_vi": "Tầng 1, hành lang B",
        "directions_en": "Ground floor, corridor B"},
    "coverage": "bhyt", "priority": {"code": "elderly_75", "label_vi": "Người từ 75 tuổi",
                                     "label_en": "Aged 75 or over"},
    "people_ahead": 4, "estimated_wait_min": 20, "issued_at": "2026-11-23T09:00:00+07:00",
    "track_url": "http://localhost:8000/t/abc?token=xyz", "service_point": None,
}
IDENTITY = {"patient": {"name_masked": "Nguyễn V. A"}, "bhyt_check": {"status": "ok"}}


def test_print_data_carries_only_masked_facts():
    data = ticket_print_data(SAMPLE_TICKET, IDENTITY, "Bệnh viện Đa khoa huyện Sông Cầu")
    assert data.display_number == "N012" and data.patient_name_masked == "Nguyễn V. A"
    assert data.priority_label == "Ưu tiên: Người từ 75 tuổi" and data.bhyt_status == "BHYT: đã kiểm tra"
    assert data.issued_at.utcoffset().total_seconds() == 7 * 3600


def test_kiosk_printer_prints_through_the_simulator_and_the_qr_is_the_track_url():
    with PrinterSimulator("127.0.0.1", 0) as sim:
        printer = KioskPrinter.from_config({"kind": "network", "host": "127.0.0.1", "port": sim.port,
                                            "job_timeout_s": 5, "io_timeout_s": 1, "status_poll_s": 0.05})
        outcome = printer.print_ticket(SAMPLE_TICKET, IDENTITY, "vi")
        assert outcome.ok and outcome.status == "ok"
        assert sim.wait_idle(5)
        job = sim.jobs[-1]
        assert job.completed
        codes = [r.text for r in zxingcpp.read_barcodes(preview_image(job.printed, 576))]
        assert codes == [SAMPLE_TICKET["track_url"]]
        sim.set_state("paper_out")
        failed = printer.print_ticket(SAMPLE_TICKET, IDENTITY, "vi")
        assert not failed.ok and failed.status == "paper_out"
        assert printer.status() == "paper_out"
