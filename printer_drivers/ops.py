"""Drawing operations: the vocabulary between the pure layout and the Pillow renderer.

Operations flow top to bottom like a paragraph stream; the renderer measures text and wraps it,
so the layout never needs a font and stays testable without Pillow. Sizes are in printer dots
(203 dpi: 8 dots per millimetre).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

Align = Literal["left", "center", "right"]
QrErrorLevel = Literal["L", "M", "Q", "H"]


@dataclass(frozen=True)
class Text:
    text: str
    size: int
    bold: bool = False
    align: Align = "left"
    # False: keep on one line and shrink the font until it fits (ticket numbers must never break).
    wrap: bool = True
    # White on black, for marks staff must spot from a distance (priority).
    invert: bool = False
    # Allowed to be drawn at half resolution and doubled by the printer (GS v 0 quadruple mode):
    # a quarter of the bytes for very large glyphs, where the coarser edge is invisible at arm's length.
    half_resolution: bool = False


@dataclass(frozen=True)
class Rule:
    thickness: int = 2
    dashed: bool = False


@dataclass(frozen=True)
class Spacer:
    height: int


@dataclass(frozen=True)
class QrCode:
    data: str
    module_dots: int
    error_level: QrErrorLevel = "M"


DrawOp = Union[Text, Rule, Spacer, QrCode]
