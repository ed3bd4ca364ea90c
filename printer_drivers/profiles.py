"""What a printer model can do, as far as this package cares.

python-escpos's capability database says whether a model has native QR and a cutter and how many
dots a line holds; it says nothing about status reporting, so those flags default to what
ESC/POS thermal printers commonly support and can be overridden per kiosk in the config.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

from escpos.capabilities import Profile, get_profile_class

from .layout import PAPER_58MM_DOTS, PAPER_80MM_DOTS


@dataclass(frozen=True)
class PrinterProfile:
    escpos_profile: str
    width_dots: int
    native_qr: bool
    cutter: bool
    # GS v 0 quadruple mode (m=3): the printer doubles each dot, so large glyphs cost a quarter.
    raster_scaling: bool = True
    # Answers DLE EOT n (real-time status) on the backend's read channel.
    realtime_status: bool = True
    # Answers GS r 1 once everything before it has printed: the only proof a ticket came out.
    confirm_printed: bool = True
    # Understands DLE DC4 8 (clear buffers): lets a failed job be discarded inside the printer
    # instead of printing by itself when paper is reloaded.
    clear_buffer: bool = True

    @classmethod
    def from_escpos(cls, name: str, width_dots: int | None = None, **overrides) -> "PrinterProfile":
        data = get_profile_class(name).profile_data
        features = data.get("features", {})
        pixels = data.get("media", {}).get("width", {}).get("pixels")
        if width_dots is None:
            if not isinstance(pixels, int):
                raise ValueError(f"profile {name!r} does not know its paper width; set width_dots")
            width_dots = pixels
        profile = cls(
            escpos_profile=name,
            width_dots=width_dots,
            native_qr=bool(features.get("qrCode")),
            cutter=bool(features.get("paperPartCut") or features.get("paperFullCut")),
        )
        return replace(profile, **overrides)

    def escpos(self) -> Profile:
        """A python-escpos profile object whose paper width matches ours.

        The data is copied because python-escpos shares one dict per model across all instances;
        patching it in place would leak our width into every other printer in the process.
        (python-escpos only accepts its user `Profile` class as an object, hence the transplant.)
        """
        data = copy.deepcopy(get_profile_class(self.escpos_profile).profile_data)
        data.setdefault("media", {}).setdefault("width", {})["pixels"] = self.width_dots
        instance = Profile(features=data.get("features", {}))
        instance.profile_data = data
        return instance


# A common 80 mm kiosk printer (Epson TM-T20II class, 203 dpi): native QR, cutter.
PROFILE_80MM = PrinterProfile.from_escpos("TM-T20II")
# A common 58 mm printer (POS-5890 class): no native QR, no cutter.
PROFILE_58MM = PrinterProfile.from_escpos("POS-5890")


def default_profile(width_dots: int) -> PrinterProfile:
    return PROFILE_58MM if width_dots == PAPER_58MM_DOTS else replace(PROFILE_80MM, width_dots=width_dots)


def resolve_profile(profile: PrinterProfile | str | None, width_dots: int | None) -> PrinterProfile:
    if profile is None:
        return default_profile(width_dots or PAPER_80MM_DOTS)
    if isinstance(profile, str):
        return PrinterProfile.from_escpos(profile, width_dots)
    if width_dots is not None and width_dots != profile.width_dots:
        return replace(profile, width_dots=width_dots)
    return profile
