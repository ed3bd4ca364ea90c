"""One QR generator for both the raster fallback and the preview of native `GS ( k` codes.

Sharing it keeps a preview of a native QR pixel-identical to what the raster fallback would
print, so golden previews do not depend on which path a printer profile takes.
"""

from __future__ import annotations

from functools import lru_cache

import qrcode
from PIL import Image

_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


@lru_cache(maxsize=32)
def qr_modules(data: str, error_level: str = "M") -> tuple[tuple[bool, ...], ...]:
    # optimize=0 keeps one byte-mode segment, as printer firmware encodes it; a segment-optimised
    # symbol could be a smaller version than the printer will actually print.
    code = qrcode.QRCode(version=None, error_correction=_LEVELS[error_level], border=0)
    code.add_data(data.encode("utf-8"), optimize=0)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def qr_image(data: str, module_dots: int, error_level: str = "M") -> Image.Image:
    """Mode-1 image of the symbol without quiet zone (callers leave white space around it)."""
    modules = qr_modules(data, error_level)
    side = len(modules)
    small = Image.new("1", (side, side), 1)
    small.putdata([0 if dark else 255 for row in modules for dark in row])
    return small.resize((side * module_dots, side * module_dots), Image.Resampling.NEAREST)


def qr_side_dots(data: str, module_dots: int, error_level: str = "M") -> int:
    return len(qr_modules(data, error_level)) * module_dots
