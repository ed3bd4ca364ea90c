"""The preview decodes the ESC/POS bytes; it must show what the printer would print."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
import zxingcpp
from PIL import Image, ImageChops

from printer_drivers import commands
from printer_drivers.encode import encode_ops, encode_ticket
from printer_drivers.layout import layout_ticket
from printer_drivers.preview import decode_stream, preview_png
from printer_drivers.profiles import PROFILE_58MM, PROFILE_80MM
from printer_drivers.render import render_image

from .helpers import TRACK_URL, sample_ticket


def _same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and a.convert("1").tobytes() == b.convert("1").tobytes()


@pytest.mark.parametrize("profile", [PROFILE_80MM, PROFILE_58MM], ids=["native-qr", "raster-qr"])
def test_qr_on_the_preview_decodes_to_the_tracking_url(profile):
    png = preview_png(encode_ticket(sample_ticket(), profile=profile), profile.width_dots)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "1" and image.width == profile.width_dots
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [TRACK_URL]


def test_preview_equals_the_rendered_ticket_on_a_cutter_printer():
    stream = encode_ticket(sample_ticket(), profile=PROFILE_80MM)
    ops = layout_ticket(sample_ticket(), 576)
    assert _same(decode_stream(stream, 576).image, render_image(ops, 576))


def test_preview_of_58mm_adds_only_the_tear_off_feed():
    page = decode_stream(encode_ticket(sample_ticket(), profile=PROFILE_58MM), 384)
    rendered = render_image(layout_ticket(sample_ticket(), 384), 384)
    assert page.warnings == []
    assert _same(page.image.crop((0, 0, 384, rendered.height)), rendered)
    assert ImageChops.invert(page.image.crop((0, rendered.height, 384, page.image.height)).convert("L")).getbbox() is None


def test_native_qr_preview_matches_raster_qr_rendering():
    ops = layout_ticket(sample_ticket(), 576)
    native = decode_stream(encode_ops(ops, PROFILE_80MM), 576).image
    raster = decode_stream(encode_ops(ops, replace(PROFILE_80MM, native_qr=False)), 576).image
    assert _same(native, raster)


def test_hand_made_stream_is_decoded_dot_for_dot():
    # Two 8×2 raster images: one left-aligned, one centred and doubled (m=3), with a 5-dot feed.
    raster = b"\x1dv0\x00\x01\x00\x02\x00\xf0\x0f"
    doubled = b"\x1dv0\x03\x01\x00\x01\x00\x81"
    stream = commands.INITIALIZE + raster + commands.feed_dots(5) + commands.ALIGN_CENTER + doubled
    image = decode_stream(stream, 32).image
    assert image.size == (32, 2 + 5 + 2)
    ink = lambda x, y: image.getpixel((x, y)) == 0  # noqa: E731
    assert [ink(x, 0) for x in range(8)] == [True] * 4 + [False] * 4
    assert [ink(x, 1) for x in range(8)] == [False] * 4 + [True] * 4
    assert not any(ink(x, y) for x in range(32) for y in range(2, 7))
    # 0x81 doubled → dots 0-1 and 14-15 of a 16-wide image centred at x=8.
    for y in (7, 8):
        assert [x for x in range(32) if ink(x, y)] == [8, 9, 22, 23]


def test_unknown_and_truncated_commands_are_reported_not_fatal():
    page = decode_stream(commands.INITIALIZE + b"\x1bB\x02\x03" + b"\x1dv0\x00\x01\x00\x05\x00\xff", 64)
    assert any("not drawn" in w for w in page.warnings)
    assert any("unparsed" in w for w in page.warnings)


def test_printer_font_text_is_approximated():
    page = decode_stream(commands.INITIALIZE + b"HELLO\n", 200)
    assert ImageChops.invert(page.image.convert("L")).getbbox() is not None
