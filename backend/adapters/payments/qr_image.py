"""QR images of payment payloads (VietQR, VNPay URL) for kiosk screens, tickets and phones."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage

from ...services.ports.cpu import InlineCpu

# Error correction M (15 %) is what banking apps are tuned for: H makes dense VietQR payloads
# needlessly large on small kiosk screens, L fails on scuffed printed tickets.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
# ISO/IEC 18004 requires a 4-module quiet zone; phone scanners are unreliable with less.
QUIET_ZONE_MODULES = 4


def _qr(payload: str, box_size: int, border: int) -> qrcode.QRCode:
    if not payload:
        raise ValueError("QR payload is empty")
    if border < QUIET_ZONE_MODULES:
        raise ValueError(f"quiet zone must be at least {QUIET_ZONE_MODULES} modules")
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=box_size, border=border)
    code.add_data(payload)
    code.make(fit=True)
    return code


def qr_png(payload: str, box_size: int = 10, border: int = QUIET_ZONE_MODULES) -> bytes:
    image = _qr(payload, box_size, border).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_svg(payload: str, box_size: int = 10, border: int = QUIET_ZONE_MODULES) -> str:
    """SVG text with a white background, so the quiet zone survives dark page themes."""
    image = _qr(payload, box_size, border).make_image(image_factory=SvgPathFillImage)
    return image.to_string(encoding="unicode")


class QrCodeRenderer:
    """QrRenderer port implementation with fixed sizing."""

    def __init__(self, *, box_size: int = 10, border: int = QUIET_ZONE_MODULES, cpu=None):
        self._box_size = box_size
        self._border = border
        self._cpu = cpu or InlineCpu()  # rendering is pure-Python work: off the event loop

    def png(self, payload: str) -> bytes:
        return self._cpu.run(qr_png, payload, self._box_size, self._border)

    def svg(self, payload: str) -> str:
        return self._cpu.run(qr_svg, payload, self._box_size, self._border)
