"""Picture of an ESC/POS stream, decoded from the bytes themselves.

The preview is built from the stream and not from the ticket data on purpose: staff reprinting a
ticket, golden tests and the README all see what the printer was (or will be) sent, including any
bug in the encoder. Raster commands are reproduced dot for dot; native QR commands are redrawn from
their data with the same generator the raster fallback uses; printer-font text, which this package
never sends, is approximated so foreign streams still preview.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from .fonts import load_font
from .qr import qr_image
from .stream import Command, parse_commands

WHITE = 255
# ESC d counts lines; the default line spacing is 1/6 inch, 34 dots at 203 dpi.
DEFAULT_LINE_DOTS = 34
_QR_LEVEL_BY_BYTE = {48: "L", 49: "M", 50: "Q", 51: "H"}
_TEXT_SIZE = 24


@dataclass
class PreviewPage:
    image: Image.Image
    warnings: list[str] = field(default_factory=list)


@dataclass
class _State:
    width: int
    align: int = 0
    pieces: list[tuple[int, int, Image.Image]] = field(default_factory=list)  # (x, y, picture)
    y: int = 0
    qr_module: int = 3
    qr_level: str = "L"
    qr_data: bytes = b""
    text_line: bytes = b""
    warnings: list[str] = field(default_factory=list)

    def x_for(self, picture_width: int) -> int:
        if self.align == 1:
            return (self.width - picture_width) // 2
        if self.align == 2:
            return self.width - picture_width
        return 0

    def place(self, picture: Image.Image) -> None:
        self.pieces.append((self.x_for(picture.width), self.y, picture))
        self.y += picture.height


def _raster_picture(command: Command) -> Image.Image:
    args = command.args
    width = args["width_bytes"] * 8
    picture = Image.frombytes("1", (width, args["height"]), args["data"])
    # ESC/POS raster bits are 1 = ink; Pillow's mode "1" bits are 1 = white.
    picture = picture.point(lambda v: 255 - v)
    m = args["m"]
    scale_x = 2 if m & 1 else 1
    scale_y = 2 if m & 2 else 1
    if scale_x != 1 or scale_y != 1:
        picture = picture.resize((width * scale_x, args["height"] * scale_y), Image.Resampling.NEAREST)
    return picture


def _text_picture(text: bytes, width: int) -> Image.Image:
    font = load_font(_TEXT_SIZE)
    ascent, descent = font.getmetrics()
    picture = Image.new("1", (width, ascent + descent), WHITE)
    draw = ImageDraw.Draw(picture)
    draw.fontmode = "1"
    # Printer code pages are unknown here; cp1258 is the Vietnamese Windows page, the likeliest.
    draw.text((0, ascent), text.decode("cp1258", errors="replace"), font=font, fill=0, anchor="ls")
    return picture


def _flush_text(state: _State) -> None:
    if state.text_line:
        state.place(_text_picture(state.text_line, state.width))
        state.text_line = b""


def _apply(state: _State, command: Command) -> None:
    name = command.name
    if name != "text" and name != "newline":
        _flush_text(state)
    if name == "initialize":
        state.align = 0
    elif name == "align":
        state.align = command.args["n"] if command.args["n"] in (0, 1, 2) else 0
    elif name == "raster":
        state.place(_raster_picture(command))
    elif name == "feed_dots":
        state.y += command.args["n"]
    elif name == "feed_lines":
        state.y += command.args["n"] * DEFAULT_LINE_DOTS
    elif name == "text":
        state.text_line += command.args["text"]
    elif name == "newline":
        if state.text_line:
            _flush_text(state)
        else:
            state.y += DEFAULT_LINE_DOTS
    elif name == "symbol" and command.args["cn"] == ord("1"):
        _apply_qr(state, command.args["fn"], command.args["payload"])
    elif name in ("cut", "realtime_status", "realtime_request", "clear_buffers", "transmit_status"):
        pass  # no ink: the cut ends the ticket, the rest are conversation with the host
    else:
        state.warnings.append(f"not drawn: {name} {command.raw[:8].hex()}")


def _apply_qr(state: _State, fn: int, payload: bytes) -> None:
    if fn == 67 and payload:  # module size
        state.qr_module = payload[0]
    elif fn == 69 and payload:  # error correction
        state.qr_level = _QR_LEVEL_BY_BYTE.get(payload[0], "L")
    elif fn == 80:  # store data (payload starts with m = '0')
        state.qr_data = payload[1:]
    elif fn == 81 and state.qr_data:  # print stored symbol
        state.place(qr_image(state.qr_data.decode("utf-8", errors="replace"), state.qr_module, state.qr_level))


def decode_stream(stream: bytes, width_dots: int) -> PreviewPage:
    commands, consumed = parse_commands(stream)
    state = _State(width=width_dots)
    for command in commands:
        _apply(state, command)
    _flush_text(state)
    if consumed != len(stream):
        state.warnings.append(f"stream ends inside a command ({len(stream) - consumed} bytes unparsed)")
    height = max([state.y] + [y + p.height for _, y, p in state.pieces] + [1])
    page = Image.new("1", (width_dots, height), WHITE)
    for x, y, picture in state.pieces:
        page.paste(picture, (x, y))
    return PreviewPage(page, state.warnings)


def preview_image(stream: bytes, width_dots: int) -> Image.Image:
    return decode_stream(stream, width_dots).image


def preview_png(stream: bytes, width_dots: int) -> bytes:
    """PNG (1-bit) of exactly what `stream` prints on paper `width_dots` wide."""
    buffer = io.BytesIO()
    preview_image(stream, width_dots).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
