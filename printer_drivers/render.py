"""Drawing operations → 1-bit images (Pillow), in the vendored Vietnamese font.

Text is rasterised here instead of being sent as printer text because printer code pages cannot be
trusted with Vietnamese (TCVN3/VISCII support is rare and inconsistent); a bitmap prints the same on
every ESC/POS model. Output is a list of blocks rather than one picture so the encoder can send
each part the cheapest way: blank space as paper feed, huge glyphs at half resolution, and the QR
as a native printer command where the model has one.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence, Union

from PIL import Image, ImageDraw

from .fonts import load_font
from .ops import DrawOp, QrCode, Rule, Spacer, Text
from .qr import qr_image, qr_side_dots

BLACK = 0
WHITE = 255
# Thermal heads cannot print to the very edge reliably; keep ink a millimetre inside.
SIDE_MARGIN_DOTS = 8


@dataclass(frozen=True)
class RasterBlock:
    image: Image.Image  # mode "1", width = paper width // scale
    scale: int = 1  # 2 → every dot is printed as 2×2


@dataclass(frozen=True)
class FeedBlock:
    dots: int


@dataclass(frozen=True)
class QrBlock:
    data: str
    module_dots: int
    error_level: str
    side_dots: int


Block = Union[RasterBlock, FeedBlock, QrBlock]


@lru_cache(maxsize=None)
def _advances(size: int, bold: bool) -> dict[str, float]:
    return {}


def _text_width(text: str, size: int, bold: bool) -> float:
    # Per-character advances summed: the hinted TrueType glyph load behind FreeTypeFont.getlength
    # costs ~12 µs a character, and wrapping measures every candidate line. Exact because the BASIC
    # layout applies no kerning for this font (it has GPOS kerning only, which BASIC ignores).
    advances = _advances(size, bold)
    total = 0.0
    for ch in text:
        width = advances.get(ch)
        if width is None:
            width = advances[ch] = load_font(size, bold).getlength(ch, mode="1")
        total += width
    return total


def _wrap(text: str, size: int, bold: bool, max_width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if _text_width(candidate, size, bold) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            # A single word wider than the paper (a long transaction id, a URL) is broken by
            # characters rather than clipped: losing characters of a reference is worse.
            current = ""
            for ch in word:
                if current and _text_width(current + ch, size, bold) > max_width:
                    lines.append(current)
                    current = ""
                current += ch
        lines.append(current)
    return lines


def _fit_size(text: str, size: int, bold: bool, max_width: float) -> int:
    smallest = max(8, size // 2)
    while size > smallest and _text_width(text, size, bold) > max_width:
        size -= 2
    return size


def _slack(size: int) -> int:
    # Glyph ink may overhang its advance box (the hook of "ỷ", the horn of "ự" at line end, a
    # negative left bearing); line bitmaps get this much white on each side so nothing is clipped.
    return size // 6


# Hospital name, service names and every label repeat on each ticket; caching their bitmaps turns
# most of a ticket into pastes. Bounded so a kiosk running for months does not grow without limit.
@lru_cache(maxsize=1024)
def _line_image(line: str, size: int, bold: bool, invert: bool) -> Image.Image:
    font = load_font(size, bold)
    ascent, descent = font.getmetrics()
    advance = int(round(_text_width(line, size, bold)))
    pad = size // 3 if invert else 0
    slack = _slack(size)
    image = Image.new("1", (advance + 2 * (pad + slack), ascent + descent), WHITE)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # FreeType mono + hinting keeps Vietnamese dots-below that anti-aliasing loses
    if invert and line:
        draw.rectangle((slack, 0, slack + advance + 2 * pad - 1, ascent + descent - 1), fill=BLACK)
    draw.text((slack + pad, ascent), line, font=font, fill=WHITE if invert else BLACK, anchor="ls")
    return image


def _render_text(op: Text, width_dots: int, allow_half_resolution: bool) -> RasterBlock:
    scale = 2 if (op.half_resolution and allow_half_resolution) else 1
    canvas_width = width_dots // scale
    margin = SIDE_MARGIN_DOTS // scale
    usable = canvas_width - 2 * margin
    text = unicodedata.normalize("NFC", op.text)
    size = max(8, op.size // scale)
    pad = size // 3 if op.invert else 0
    if not op.wrap:
        size = _fit_size(text, size, op.bold, usable - 2 * pad)
        pad = size // 3 if op.invert else 0
    lines = _wrap(text, size, op.bold, usable - 2 * pad)
    ascent, descent = load_font(size, op.bold).getmetrics()
    line_height = ascent + descent
    gap = max(1, size // 10)
    slack = _slack(size)
    canvas = Image.new("1", (canvas_width, len(lines) * line_height + (len(lines) - 1) * gap), WHITE)
    for index, line in enumerate(lines):
        box_width = int(round(_text_width(line, size, op.bold))) + 2 * pad
        if op.align == "center":
            x = (canvas_width - box_width) // 2
        elif op.align == "right":
            x = canvas_width - margin - box_width
        else:
            x = margin
        canvas.paste(_line_image(line, size, op.bold, op.invert), (x - slack, index * (line_height + gap)))
    return RasterBlock(canvas, scale)


def _render_rule(op: Rule, width_dots: int) -> RasterBlock:
    image = Image.new("1", (width_dots, op.thickness), WHITE)
    draw = ImageDraw.Draw(image)
    right = width_dots - SIDE_MARGIN_DOTS - 1
    if op.dashed:
        for x in range(SIDE_MARGIN_DOTS, right, 16):
            draw.rectangle((x, 0, min(x + 9, right), op.thickness - 1), fill=BLACK)
    else:
        draw.rectangle((SIDE_MARGIN_DOTS, 0, right, op.thickness - 1), fill=BLACK)
    return RasterBlock(image, 1)


def _render_qr_raster(op: QrCode, width_dots: int) -> RasterBlock:
    symbol = qr_image(op.data, op.module_dots, op.error_level)
    if symbol.width > width_dots:
        raise ValueError(f"QR code ({symbol.width} dots) wider than paper ({width_dots} dots)")
    image = Image.new("1", (width_dots, symbol.height), WHITE)
    image.paste(symbol, ((width_dots - symbol.width) // 2, 0))
    return RasterBlock(image, 1)


def render_blocks(
    ops: Iterable[DrawOp],
    width_dots: int,
    *,
    native_qr: bool = False,
    half_resolution: bool = True,
) -> list[Block]:
    blocks: list[Block] = []
    for op in ops:
        if isinstance(op, Text):
            blocks.append(_render_text(op, width_dots, half_resolution))
        elif isinstance(op, Spacer):
            if op.height > 0:
                blocks.append(FeedBlock(op.height))
        elif isinstance(op, Rule):
            blocks.append(_render_rule(op, width_dots))
        elif isinstance(op, QrCode):
            if native_qr:
                side = qr_side_dots(op.data, op.module_dots, op.error_level)
                blocks.append(QrBlock(op.data, op.module_dots, op.error_level, side))
            else:
                blocks.append(_render_qr_raster(op, width_dots))
        else:
            raise TypeError(f"unknown drawing operation: {op!r}")
    return blocks


def block_height(block: Block) -> int:
    if isinstance(block, RasterBlock):
        return block.image.height * block.scale
    if isinstance(block, FeedBlock):
        return block.dots
    return block.side_dots


def blocks_to_image(blocks: Sequence[Block], width_dots: int) -> Image.Image:
    """Stack blocks the way the printer does: top to bottom, raster from the left edge, QR centred."""
    page = Image.new("1", (width_dots, max(1, sum(block_height(b) for b in blocks))), WHITE)
    y = 0
    for block in blocks:
        if isinstance(block, RasterBlock):
            picture = block.image
            if block.scale != 1:
                picture = picture.resize(
                    (picture.width * block.scale, picture.height * block.scale), Image.Resampling.NEAREST
                )
            page.paste(picture, (0, y))
        elif isinstance(block, QrBlock):
            symbol = qr_image(block.data, block.module_dots, block.error_level)
            page.paste(symbol, ((width_dots - symbol.width) // 2, y))
        y += block_height(block)
    return page


def render_image(ops: Iterable[DrawOp], width_dots: int, *, half_resolution: bool = True) -> Image.Image:
    """The whole ticket as one 1-bit picture (kiosk screen fallback when the printer fails)."""
    return blocks_to_image(render_blocks(ops, width_dots, half_resolution=half_resolution), width_dots)
