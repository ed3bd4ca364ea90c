"""Vietnamese must come out right on paper: every letter with every tone mark, in every size used."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PIL import Image, ImageChops, ImageDraw

from printer_drivers.encode import encode_ops
from printer_drivers.fonts import BOLD_FONT, LICENCE_FILE, REGULAR_FONT, load_font, missing_glyphs
from printer_drivers.layout import PAPER_58MM_DOTS, PAPER_80MM_DOTS, layout_receipt, layout_ticket
from printer_drivers.ops import Text
from printer_drivers.preview import preview_image
from printer_drivers.profiles import PROFILE_80MM
from printer_drivers.render import render_image

from .helpers import VIETNAMESE_LETTERS, base_letter, sample_receipt, sample_ticket

NOT_IN_FONT = "\ue000"  # private-use code point: renders as .notdef
TEST_STRING = " ".join("".join(VIETNAMESE_LETTERS[i : i + 6]) for i in range(0, 144, 6)) + " đĐ"


def _text_styles() -> list[tuple[int, bool, bool]]:
    """(size, bold, invert) of every text op the ticket and receipt layouts use, on both papers."""
    styles = set()
    for width in (PAPER_58MM_DOTS, PAPER_80MM_DOTS):
        for op in layout_ticket(sample_ticket(), width) + layout_receipt(sample_receipt(), width):
            if isinstance(op, Text) and not op.half_resolution:
                styles.add((op.size, op.bold, op.invert))
    return sorted(styles)


STYLES = _text_styles()


def _glyph(letter: str, size: int, bold: bool, invert: bool) -> bytes:
    image = render_image([Text(letter, size, bold=bold, invert=invert)], 96)
    return image.tobytes()


def test_font_files_and_licence_are_vendored():
    assert REGULAR_FONT.is_file() and BOLD_FONT.is_file()
    licence = LICENCE_FILE.read_text()
    assert "SIL OPEN FONT LICENSE" in licence and "Google" in licence


def test_fonts_map_every_vietnamese_letter():
    assert missing_glyphs("".join(VIETNAMESE_LETTERS)) == []
    assert missing_glyphs("".join(VIETNAMESE_LETTERS), bold=True) == []
    assert missing_glyphs(NOT_IN_FONT) == [NOT_IN_FONT]  # the check itself can fail


def test_every_string_printed_on_tickets_and_receipts_is_covered():
    for width in (PAPER_58MM_DOTS, PAPER_80MM_DOTS):
        for op in layout_ticket(sample_ticket(), width) + layout_receipt(sample_receipt(), width):
            if isinstance(op, Text):
                assert missing_glyphs(op.text, bold=op.bold) == [], op.text


@pytest.mark.parametrize("size,bold,invert", STYLES)
def test_each_letter_renders_distinctly_at_every_size_used(size, bold, invert):
    blank = _glyph(" ", size, bold, invert)
    notdef = _glyph(NOT_IN_FONT, size, bold, invert)
    seen: dict[bytes, str] = {}
    for letter in VIETNAMESE_LETTERS:
        picture = _glyph(letter, size, bold, invert)
        assert picture != blank, f"{letter!r} printed nothing at {size}px"
        assert picture != notdef, f"{letter!r} printed as a missing-glyph box at {size}px"
        base = base_letter(letter)
        if base != letter:
            assert picture != _glyph(base, size, bold, invert), f"{letter!r} lost its marks at {size}px"
        # hỏi vs ngã, huyền vs sắc on ê/ô/â…: a collision would change the word on paper.
        assert picture not in seen, f"{letter!r} looks identical to {seen[picture]!r} at {size}px"
        seen[picture] = letter


def _ink(image: Image.Image) -> Image.Image:
    box = ImageChops.invert(image.convert("L")).getbbox()
    assert box, "nothing was drawn"
    return image.convert("1").crop(box)


def _reference_line(text: str, size: int) -> Image.Image:
    """The string drawn directly with Pillow and the vendored font, outside this package's code."""
    font = load_font(size)
    image = Image.new("1", (int(font.getlength(text)) + 2 * size, 3 * size), 255)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"
    draw.text((size, 2 * size), text, font=font, fill=0, anchor="ls")
    return image


@pytest.mark.parametrize("size", [21, 24])
def test_full_alphabet_line_matches_reference_rendering_through_the_escpos_bytes(size):
    reference = _ink(_reference_line(TEST_STRING, size))
    width = (reference.width + 64) // 8 * 8  # one line, no wrapping
    ops = [Text(TEST_STRING, size)]
    assert _ink(render_image(ops, width)).tobytes() == reference.tobytes()
    stream = encode_ops(ops, replace(PROFILE_80MM, width_dots=width))
    printed = _ink(preview_image(stream, width))
    assert printed.size == reference.size
    assert ImageChops.difference(printed, reference).getbbox() is None


def test_decomposed_input_prints_like_precomposed():
    import unicodedata

    nfd = unicodedata.normalize("NFD", TEST_STRING)
    assert nfd != TEST_STRING
    a = render_image([Text(nfd, 24)], 2400)
    b = render_image([Text(TEST_STRING, 24)], 2400)
    assert a.tobytes() == b.tobytes()
