"""Printer configuration, and the backends that need no network: dummy and device file."""

from __future__ import annotations

import pytest

from printer_drivers.config import PrinterConfig
from printer_drivers.encode import encode_receipt, encode_ticket
from printer_drivers.printer import TicketPrinter

from .helpers import sample_receipt, sample_ticket


def test_config_kinds_from_dicts():
    net = PrinterConfig.from_dict({"kind": "network", "host": "10.0.0.9", "port": 9100})
    assert net.printer_profile().width_dots == 576 and net.printer_profile().native_qr
    usb = PrinterConfig.from_dict({"kind": "usb", "vendor_id": "0x04b8", "product_id": "0x0e15"})
    assert (usb.vendor_id, usb.product_id) == (0x04B8, 0x0E15)
    serial = PrinterConfig.from_dict({"kind": "serial", "device": "/dev/ttyUSB0", "baudrate": 115200})
    assert serial.baudrate == 115200
    narrow = PrinterConfig.from_dict({"kind": "file", "path": "/dev/usb/lp0", "profile": "POS-5890"})
    assert narrow.printer_profile().width_dots == 384 and not narrow.printer_profile().native_qr
    override = PrinterConfig.from_dict({"kind": "dummy", "profile": "TM-T20II", "native_qr": False, "width_dots": 512})
    assert override.printer_profile().width_dots == 512 and not override.printer_profile().native_qr


@pytest.mark.parametrize(
    "raw",
    [
        {"kind": "bluetooth"},
        {"kind": "network"},
        {"kind": "usb", "vendor_id": 1},
        {"kind": "serial"},
        {"kind": "file"},
        {"kind": "dummy", "colour": "red"},
        {"kind": "network", "host": "h", "io_timeout_s": 0},
        {"kind": "network", "host": "h", "job_timeout_s": 3600},
    ],
)
def test_bad_config_is_refused(raw):
    with pytest.raises(ValueError):
        PrinterConfig.from_dict(raw)


def test_dummy_printer_keeps_the_exact_stream():
    printer = TicketPrinter({"kind": "dummy"})
    result = printer.print_ticket(sample_ticket())
    assert result.ok and result.status == "ok"
    assert result.stream == encode_ticket(sample_ticket(), profile=printer.profile)
    assert printer.dummy_output == result.stream and result.bytes_sent == len(result.stream)
    receipt = printer.print_receipt(sample_receipt())
    assert printer.dummy_output == result.stream + receipt.stream
    status = printer.status()
    assert status.status == "ok" and not status.checked  # assumed, and said so


def test_file_printer_writes_the_stream(tmp_path):
    device = tmp_path / "lp0"
    printer = TicketPrinter({"kind": "file", "path": str(device), "profile": "POS-5890"})
    result = printer.print_receipt(sample_receipt())
    assert result.ok
    assert device.read_bytes() == encode_receipt(sample_receipt(), profile=printer.profile)


def test_missing_device_file_is_offline_not_an_exception(tmp_path):
    printer = TicketPrinter({"kind": "file", "path": str(tmp_path / "missing" / "lp0")})
    result = printer.print_ticket(sample_ticket())
    assert not result.ok and result.status == "offline" and result.bytes_sent == 0
    assert "nhân viên" in result.message_vi and "staff" in result.message_en
    assert printer.status().status == "offline"


def test_missing_serial_port_is_offline(tmp_path):
    printer = TicketPrinter({"kind": "serial", "device": str(tmp_path / "ttyUSB9")})
    assert printer.status().status == "offline"
    assert printer.print_ticket(sample_ticket()).status == "offline"


def test_usb_without_device_is_offline():
    printer = TicketPrinter({"kind": "usb", "vendor_id": "0x04b8", "product_id": "0x0e15"})
    status = printer.status()
    assert status.status == "offline" and status.detail in ("usb_unavailable", "connect_failed")


def test_layout_bug_does_not_raise_into_the_kiosk(monkeypatch):
    import printer_drivers.printer as printer_module

    def broken(*args, **kwargs):
        raise RuntimeError("layout bug")

    monkeypatch.setattr(printer_module, "encode_ticket", broken)
    result = TicketPrinter({"kind": "dummy"}).print_ticket(sample_ticket())
    assert not result.ok and result.detail == "encode_failed" and result.message_vi
