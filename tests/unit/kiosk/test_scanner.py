"""Scanner input: wedge bursts told apart from typing by timing; serial lines over real pyserial."""
import threading

import serial

from kiosk_client.scanner import SerialScanner, WedgeDecoder

QR = "001090012345|123456789|Nguyễn Văn An|15081990|Nam|Hà Nội|20042021"


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def feed(decoder, clock, text, gap):
    for ch in text:
        decoder.feed_text(ch)
        clock.t += gap


def test_a_fast_burst_ending_in_enter_is_one_scan_with_diacritics_intact():
    got, clock = [], Clock()
    d = WedgeDecoder(got.append, max_gap_ms=50, min_length=8, clock=clock)
    feed(d, clock, QR, 0.004)
    d.end()
    assert got == [QR]


def test_typing_by_hand_is_never_a_scan():
    got, clock = [], Clock()
    d = WedgeDecoder(got.append, max_gap_ms=50, min_length=8, clock=clock)
    feed(d, clock, "001090012345", 0.15)
    d.end()
    assert got == [] and d.rejected >= 1


def test_enter_pressed_long_after_a_burst_is_not_a_scan():
    got, clock = [], Clock()
    d = WedgeDecoder(got.append, max_gap_ms=50, min_length=8, clock=clock)
    feed(d, clock, QR, 0.003)
    clock.t += 2.0
    d.end()
    assert got == []


def test_short_bursts_are_dropped_and_a_pause_restarts_the_buffer():
    got, clock = [], Clock()
    d = WedgeDecoder(got.append, max_gap_ms=50, min_length=8, clock=clock)
    feed(d, clock, "abc", 0.003)
    d.end()
    feed(d, clock, "zz", 0.003)
    clock.t += 0.5  # a stray key, then the real scan
    feed(d, clock, QR, 0.003)
    d.feed_text("\r")
    assert got == [QR]


def test_scanner_without_enter_suffix_completes_on_a_pause():
    got, clock = [], Clock()
    d = WedgeDecoder(got.append, max_gap_ms=50, min_length=8, end_on_pause_ms=150, clock=clock)
    feed(d, clock, QR, 0.003)
    d.poll()
    assert got == []
    clock.t += 0.2
    d.poll()
    assert got == [QR]


def _serial_scans(payloads: list[bytes]) -> list[str]:
    port = serial.serial_for_url("loop://", timeout=0.05)
    got, done = [], threading.Event()

    def on_scan(text):
        got.append(text)
        if len(got) == len(payloads):
            done.set()

    scanner = SerialScanner("loop://", on_scan, port=port).start()
    try:
        for p in payloads:
            port.write(p)
        assert done.wait(5), got
    finally:
        scanner.stop()
        port.close()
    return got


def test_serial_scanner_reads_utf8_lines():
    assert _serial_scans([QR.encode() + b"\r\n", b"0123456789|abc\r"]) == [QR, "0123456789|abc"]


def test_serial_bytes_that_are_not_utf8_reach_the_backend_marked_as_garbled():
    # The same QR in Windows-1258, as a mis-set scanner sends it: never silently "fixed" here.
    garbled = QR.encode("cp1258", errors="replace") + b"\n"
    (text,) = _serial_scans([garbled])
    assert "\ufffd" in text and "Nguyễn" not in text
