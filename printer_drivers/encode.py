"""Blocks → the exact ESC/POS byte stream, built with python-escpos's Dummy backend.

Building the stream once, offline, and then handing the finished bytes to a real backend means the
bytes golden-tested, previewed and sent are the same object. Size matters (a 9600-baud serial
printer takes about a second per kilobyte), so blank space is sent as paper feed, each raster band
is cut off after its last inked byte column, and large glyphs go at half resolution.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from escpos.constants import QR_ECLEVEL_H, QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q
from escpos.printer import Dummy
from PIL import Image, ImageChops

from . import commands
from .layout import layout_receipt, layout_ticket
from .ops import DrawOp
from .profiles import PrinterProfile, resolve_profile
from .render import Block, FeedBlock, QrBlock, RasterBlock, render_blocks
from .ticket import ReceiptPrintData, TicketPrintData

_QR_LEVELS = {"L": QR_ECLEVEL_L, "M": QR_ECLEVEL_M, "Q": QR_ECLEVEL_Q, "H": QR_ECLEVEL_H}
# Shorter blank runs stay inside the band: a new GS v 0 header costs 8 bytes and every band boundary
# is a motor stop on cheap printers, which can show as a faint line through the text.
MIN_BLANK_RUN_TO_FEED = 4
# A 58 mm printer without a cutter needs the ticket pushed past its tear bar.
TEAR_OFF_FEED_DOTS = 120


def _bands(image: Image.Image) -> Iterator[tuple[str, int, int]]:
    """Yield ('feed', top, bottom) and ('ink', top, bottom) row ranges covering the image."""
    ink = ImageChops.invert(image).tobytes()  # ink bits become 1, row padding stays 0
    row_bytes = (image.width + 7) // 8
    inked = [any(ink[r * row_bytes : (r + 1) * row_bytes]) for r in range(image.height)]
    height = image.height
    row = 0
    while row < height:
        start = row
        if not inked[row]:
            while row < height and not inked[row]:
                row += 1
            yield ("feed", start, row)
            continue
        end = row + 1  # one past the last inked row of this band
        row = end
        while row < height:
            if inked[row]:
                row += 1
                end = row
                continue
            gap_start = row
            while row < height and not inked[row]:
                row += 1
            if row == height or row - gap_start >= MIN_BLANK_RUN_TO_FEED:
                break
        yield ("ink", start, end)
        row = end


def _inked_width(image: Image.Image) -> int:
    box = ImageChops.invert(image).getbbox()
    right = box[2] if box else 8
    return min(image.width, (right + 7) // 8 * 8)


def encode_blocks(blocks: Sequence[Block], profile: PrinterProfile) -> bytes:
    printer = Dummy(profile=profile.escpos())
    printer._raw(commands.INITIALIZE)
    pending_feed = 0

    def flush_feed() -> None:
        nonlocal pending_feed
        if pending_feed:
            printer._raw(commands.feed_dots(pending_feed))
            pending_feed = 0

    for block in blocks:
        if isinstance(block, FeedBlock):
            pending_feed += block.dots
        elif isinstance(block, RasterBlock):
            for kind, top, bottom in _bands(block.image):
                if kind == "feed":
                    pending_feed += (bottom - top) * block.scale
                    continue
                band = block.image.crop((0, top, block.image.width, bottom))
                band = band.crop((0, 0, _inked_width(band), band.height))
                flush_feed()
                full = block.scale == 1
                printer.image(
                    band,
                    impl="bitImageRaster",
                    high_density_vertical=full,
                    high_density_horizontal=full,
                )
        elif isinstance(block, QrBlock):
            flush_feed()
            # python-escpos refuses center=True for native codes; ESC a centres them on the printer.
            printer._raw(commands.ALIGN_CENTER)
            printer.qr(block.data, ec=_QR_LEVELS[block.error_level], size=block.module_dots, native=True)
            printer._raw(commands.ALIGN_LEFT)
        else:
            raise TypeError(f"unknown block: {block!r}")
    flush_feed()
    if profile.cutter:
        printer._raw(commands.FEED_AND_CUT)
    else:
        printer._raw(commands.feed_dots(TEAR_OFF_FEED_DOTS))
    return printer.output


def encode_ops(ops: Sequence[DrawOp], profile: PrinterProfile) -> bytes:
    blocks = render_blocks(
        ops, profile.width_dots, native_qr=profile.native_qr, half_resolution=profile.raster_scaling
    )
    return encode_blocks(blocks, profile)


def encode_ticket(
    data: TicketPrintData, width_dots: int | None = None, profile: PrinterProfile | str | None = None
) -> bytes:
    """The exact byte stream a printer receives for this ticket."""
    resolved = resolve_profile(profile, width_dots)
    return encode_ops(layout_ticket(data, resolved.width_dots), resolved)


def encode_receipt(
    data: ReceiptPrintData, width_dots: int | None = None, profile: PrinterProfile | str | None = None
) -> bytes:
    resolved = resolve_profile(profile, width_dots)
    return encode_ops(layout_receipt(data, resolved.width_dots), resolved)
