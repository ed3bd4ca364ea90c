"""The vendored Noto Sans fonts (SIL OFL 1.1, see fonts/OFL.txt) and a glyph-coverage check.

The fonts ship inside the package so a kiosk prints the same Vietnamese whatever its OS has
installed; the coverage check reads the font's own cmap table because a missing glyph would
otherwise print silently as an empty box (.notdef).
"""

from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR_FONT = FONT_DIR / "NotoSans-Regular.ttf"
BOLD_FONT = FONT_DIR / "NotoSans-Bold.ttf"
LICENCE_FILE = FONT_DIR / "OFL.txt"


@lru_cache(maxsize=64)
def load_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    # BASIC layout, not Raqm: output must be byte-identical on every kiosk for the golden tests, and
    # Vietnamese needs no shaping once text is NFC (every letter is a precomposed glyph).
    return ImageFont.truetype(
        str(BOLD_FONT if bold else REGULAR_FONT), size, layout_engine=ImageFont.Layout.BASIC
    )


def _tables(blob: bytes) -> dict[bytes, tuple[int, int]]:
    (count,) = struct.unpack_from(">H", blob, 4)
    tables = {}
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", blob, 12 + 16 * i)
        tables[tag] = (offset, length)
    return tables


def _format4(blob: bytes, at: int) -> set[int]:
    seg_x2 = struct.unpack_from(">H", blob, at + 6)[0]
    segs = seg_x2 // 2
    ends = struct.unpack_from(f">{segs}H", blob, at + 14)
    starts = struct.unpack_from(f">{segs}H", blob, at + 16 + seg_x2)
    deltas = struct.unpack_from(f">{segs}h", blob, at + 16 + 2 * seg_x2)
    range_at = at + 16 + 3 * seg_x2
    offsets = struct.unpack_from(f">{segs}H", blob, range_at)
    mapped: set[int] = set()
    for i in range(segs):
        for code in range(starts[i], ends[i] + 1):
            if code == 0xFFFF:
                continue
            if offsets[i] == 0:
                glyph = (code + deltas[i]) & 0xFFFF
            else:
                where = range_at + 2 * i + offsets[i] + 2 * (code - starts[i])
                glyph = struct.unpack_from(">H", blob, where)[0]
                if glyph:
                    glyph = (glyph + deltas[i]) & 0xFFFF
            if glyph:
                mapped.add(code)
    return mapped


def _format12(blob: bytes, at: int) -> set[int]:
    (groups,) = struct.unpack_from(">I", blob, at + 12)
    mapped: set[int] = set()
    for g in range(groups):
        start, end, first_glyph = struct.unpack_from(">III", blob, at + 16 + 12 * g)
        for code in range(start, end + 1):
            if first_glyph + (code - start):
                mapped.add(code)
    return mapped


@lru_cache(maxsize=4)
def mapped_codepoints(path: Path) -> frozenset[int]:
    """Code points the font maps to a real glyph (anything else would render as .notdef)."""
    blob = path.read_bytes()
    cmap_at, _ = _tables(blob)[b"cmap"]
    _version, count = struct.unpack_from(">HH", blob, cmap_at)
    mapped: set[int] = set()
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", blob, cmap_at + 4 + 8 * i)
        if platform not in (0, 3):
            continue
        at = cmap_at + offset
        (fmt,) = struct.unpack_from(">H", blob, at)
        if fmt == 4:
            mapped |= _format4(blob, at)
        elif fmt == 12:
            mapped |= _format12(blob, at)
    return frozenset(mapped)


def missing_glyphs(text: str, bold: bool = False) -> list[str]:
    """Characters of `text` (other than whitespace) the printing font cannot draw."""
    covered = mapped_codepoints(BOLD_FONT if bold else REGULAR_FONT)
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in covered})
