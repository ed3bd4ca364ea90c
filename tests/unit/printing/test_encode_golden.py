"""Byte-exact ESC/POS streams and their previews, against golden files.

Regenerate after an intended change (then look at the PNGs before committing them):
    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/printing/test_encode_golden.py
"""

from __future__ import annotations

import pytest

from printer_drivers import commands
from printer_drivers.encode import encode_receipt, encode_ticket
from printer_drivers.preview import preview_png
from printer_drivers.profiles import PROFILE_58MM, PROFILE_80MM
from printer_drivers.stream import parse_commands

from .helpers import TRACK_URL, check_png_golden, check_stream_golden, sample_receipt, sample_ticket

CASES = {
    # 80 mm Epson-class printer: native QR (GS ( k) and a cutter.
    "ticket_80mm": lambda: encode_ticket(sample_ticket(), 576, PROFILE_80MM),
    # 58 mm printer without native QR or cutter: QR as raster, tear-off feed.
    "ticket_58mm": lambda: encode_ticket(sample_ticket(), 384, PROFILE_58MM),
    "receipt_80mm": lambda: encode_receipt(sample_receipt(), 576, PROFILE_80MM),
}
WIDTH = {"ticket_80mm": 576, "ticket_58mm": 384, "receipt_80mm": 576}


@pytest.mark.parametrize("name", sorted(CASES))
def test_stream_is_byte_exact(name):
    check_stream_golden(name, CASES[name]())


@pytest.mark.parametrize("name", sorted(CASES))
def test_preview_matches_golden_png(name):
    check_png_golden(name, preview_png(CASES[name](), WIDTH[name]))


def test_encoding_is_deterministic():
    assert encode_ticket(sample_ticket(), 576, PROFILE_80MM) == encode_ticket(sample_ticket(), 576, PROFILE_80MM)


def test_80mm_stream_structure():
    stream = CASES["ticket_80mm"]()
    commands_, consumed = parse_commands(stream)
    assert consumed == len(stream)
    names = [c.name for c in commands_]
    assert names[0] == "initialize"
    assert commands_[-1].raw == commands.FEED_AND_CUT
    assert set(names) <= {"initialize", "raster", "feed_dots", "align", "symbol", "cut"}
    stored = [c for c in commands_ if c.name == "symbol" and c.args["fn"] == 80]
    assert [c.args["payload"][1:].decode() for c in stored] == [TRACK_URL]
    # The huge number goes in GS v 0 quadruple mode (m=3): a quarter of the bytes.
    assert any(c.name == "raster" and c.args["m"] == 3 for c in commands_)
    # Blank space is paper feed, not white raster rows.
    for c in commands_:
        if c.name == "raster":
            rows = [c.args["data"][r * c.args["width_bytes"] : (r + 1) * c.args["width_bytes"]] for r in range(c.args["height"])]
            assert any(rows[0]) and any(rows[-1]), "raster band starts or ends with a blank row"


def test_58mm_stream_has_raster_qr_and_tear_off_feed():
    stream = CASES["ticket_58mm"]()
    commands_, _ = parse_commands(stream)
    assert not any(c.name == "symbol" for c in commands_)
    assert not any(c.name == "cut" for c in commands_)
    assert commands_[-1].name == "feed_dots"
    assert all(c.args["width_bytes"] * 8 <= 384 for c in commands_ if c.name == "raster")


def test_80mm_ticket_fits_the_byte_budget():
    # A size check, not a timing: 40 kB is ~4 s on a 115200-baud serial printer.
    assert len(CASES["ticket_80mm"]()) <= 40_000


def test_profile_without_raster_scaling_sends_full_resolution():
    from dataclasses import replace

    stream = encode_ticket(sample_ticket(), 576, replace(PROFILE_80MM, raster_scaling=False))
    assert all(c.args["m"] == 0 for c in parse_commands(stream)[0] if c.name == "raster")
    assert len(stream) > len(CASES["ticket_80mm"]())
