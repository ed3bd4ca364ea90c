"""TicketPrinter over a real socket against the printer simulator: success, faults and recovery."""

from __future__ import annotations

import threading

import pytest
import zxingcpp

from printer_drivers.encode import encode_receipt, encode_ticket
from printer_drivers.preview import preview_image
from printer_drivers.printer import TicketPrinter
from printer_drivers.simulator import PrinterSimulator
from tests.unit.printing.helpers import TRACK_URL, sample_receipt, sample_ticket

from .conftest import FAST


def test_ticket_prints_and_the_printer_receives_exactly_the_encoded_stream(simulator, printer):
    result = printer.print_ticket(sample_ticket())
    assert result.ok and result.status == "ok" and result.detail == "printed"
    expected = encode_ticket(sample_ticket(), profile=printer.profile)
    assert result.stream == expected and result.bytes_sent == len(expected)
    (job,) = simulator.jobs
    assert job.printed == expected and job.completed and job.held_bytes == 0
    assert [r.text for r in zxingcpp.read_barcodes(preview_image(job.printed, 576))] == [TRACK_URL]


def test_receipt_prints(simulator, printer):
    result = printer.print_receipt(sample_receipt())
    assert result.ok
    assert simulator.jobs[-1].printed == encode_receipt(sample_receipt(), profile=printer.profile)


@pytest.mark.parametrize(
    "state,expected",
    [
        ("ok", "ok"),
        ("paper_low", "paper_low"),
        ("paper_out", "paper_out"),
        ("cover_open", "cover_open"),
        ("offline", "offline"),
        ("unresponsive", "offline"),
    ],
)
def test_status_reports_each_condition(simulator, printer, state, expected):
    simulator.set_state(state)
    status = printer.status()
    assert status.status == expected and status.checked
    assert status.message_vi and status.message_en
    assert simulator.jobs == []  # asking for status never prints anything


def test_paper_low_still_prints_and_says_so(simulator, printer):
    simulator.set_state("paper_low")
    result = printer.print_ticket(sample_ticket())
    assert result.ok and result.status == "paper_low"
    assert simulator.jobs[-1].completed


@pytest.mark.parametrize("fault", ["paper_out", "cover_open"])
def test_fault_before_the_job_sends_nothing(simulator, printer, fault):
    simulator.set_state(fault)
    result = printer.print_ticket(sample_ticket())
    assert not result.ok and result.status == fault and result.bytes_sent == 0
    assert "nhân viên" in result.message_vi and "staff" in result.message_en
    assert result.stream  # the kiosk keeps the stream for a staff reprint
    simulator.set_state("ok")
    assert simulator.jobs == []  # recovery prints nothing by itself
    assert printer.print_ticket(sample_ticket()).ok
    assert len(simulator.jobs) == 1 and simulator.jobs[0].completed


@pytest.mark.parametrize("fault", ["paper_out", "cover_open"])
def test_fault_during_the_job_fails_it_and_it_never_comes_out_later(simulator, printer, fault):
    simulator.set_state(fault, after_bytes=8000)
    result = printer.print_ticket(sample_ticket())
    assert not result.ok and result.status == fault
    assert result.bytes_sent == len(result.stream)  # it was all sent; the printer stopped mid-ticket
    assert simulator.wait_idle()
    (failed,) = simulator.jobs
    assert not failed.completed and failed.cleared and failed.held_bytes == 0
    partial = failed.printed
    assert 8000 <= len(partial) < len(result.stream)

    simulator.set_state("ok")  # paper reloaded / cover closed
    (failed,) = simulator.jobs
    assert failed.printed == partial and not failed.printed_late  # nothing burst out

    again = printer.print_ticket(sample_ticket())
    assert again.ok and again.status == "ok"
    failed, reprinted = simulator.jobs
    assert reprinted.completed and reprinted.printed == again.stream
    assert failed.printed == partial


def test_printer_vanishing_mid_job_then_recovering(simulator, printer):
    simulator.set_state("offline", after_bytes=5000)
    result = printer.print_ticket(sample_ticket())
    assert not result.ok and result.status == "offline"
    assert printer.last_status.status == "offline"
    assert printer.status().status == "offline"
    assert simulator.wait_idle()
    (lost,) = simulator.jobs
    assert lost.dropped and not lost.completed

    simulator.set_state("ok")  # power back
    assert printer.status().status == "ok"
    again = printer.print_ticket(sample_ticket())
    assert again.ok
    lost, reprinted = simulator.jobs
    assert reprinted.completed and not lost.completed and not lost.printed_late


def test_unresponsive_printer_fails_within_the_deadline_and_sends_no_job(simulator, printer):
    simulator.set_state("unresponsive")
    result = printer.print_ticket(sample_ticket())
    assert not result.ok and result.status == "offline" and result.detail == "status_timeout"
    assert result.bytes_sent == 0
    simulator.set_state("ok")
    assert printer.print_ticket(sample_ticket()).ok
    assert len(simulator.jobs) == 1


def test_nothing_listening_is_offline():
    sim = PrinterSimulator("127.0.0.1", 0).start()
    port = sim.port
    sim.stop()
    printer = TicketPrinter({"kind": "network", "host": "127.0.0.1", "port": port, **FAST})
    result = printer.print_ticket(sample_ticket())
    assert not result.ok and result.status == "offline" and result.detail == "connect_failed"
    assert printer.status().status == "offline"


def test_a_failed_job_is_not_retried_in_the_background(simulator, printer):
    simulator.set_state("paper_out")
    assert not printer.print_ticket(sample_ticket()).ok
    connections = simulator.connection_count
    simulator.set_state("ok")
    # No connection may come from the printer object on its own after the failure.
    assert not simulator.wait_until(lambda s: s.connection_count > connections, timeout=0.3)
    assert simulator.jobs == []


def test_status_during_a_job_answers_from_the_last_check_without_waiting(simulator, printer):
    simulator.set_state("unresponsive")
    worker = threading.Thread(target=printer.print_ticket, args=(sample_ticket(),))
    worker.start()
    try:
        assert simulator.wait_until(lambda s: s.open_connections == 1)
        before = printer.last_status
        assert printer.status() is before
    finally:
        worker.join()
    assert printer.last_status.status == "offline"
