"""Split an ESC/POS byte stream into commands, knowing each command's length.

Shared by the preview (which draws what the commands would print) and the printer simulator (which
must answer status queries in real time). Knowing lengths matters: raster data is arbitrary bytes,
and a parser that scanned for DLE EOT inside it would answer phantom status queries.
The parser is incremental: it stops before a command whose bytes have not all arrived yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, CR, HT, FF = 0x0A, 0x0D, 0x09, 0x0C

# Commands outside what this package emits are parsed by length only, best effort, so a stream from
# another program still previews and a simulator connection never desynchronises on them.
_ESC_NO_ARG = set(b"@<2LSim\x0c")
_ESC_ONE_ARG = set(b" !-3EGMRTVadeJjrtU{=")
_GS_ONE_ARG = set(b"!BHIabfhjrwT/")


@dataclass(frozen=True)
class Command:
    name: str
    raw: bytes
    args: dict = field(default_factory=dict, compare=False)

    @property
    def realtime(self) -> bool:
        """Handled on arrival, ahead of queued data, even while the printer is offline."""
        return self.name in ("realtime_status", "realtime_request", "clear_buffers", "realtime_other")


class _Incomplete(Exception):
    pass


def _need(buf: bytes, end: int) -> None:
    if end > len(buf):
        raise _Incomplete


def _parse_dle(buf: bytes, at: int) -> tuple[Command, int]:
    _need(buf, at + 2)
    kind = buf[at + 1]
    if kind == 0x04:  # DLE EOT n
        _need(buf, at + 3)
        return Command("realtime_status", buf[at : at + 3], {"n": buf[at + 2]}), at + 3
    if kind == 0x05:  # DLE ENQ n
        _need(buf, at + 3)
        return Command("realtime_request", buf[at : at + 3], {"n": buf[at + 2]}), at + 3
    if kind == 0x14:  # DLE DC4 fn ...
        _need(buf, at + 3)
        fn = buf[at + 2]
        length = {1: 5, 2: 5, 7: 4, 8: 10}.get(fn, 3)
        _need(buf, at + length)
        name = "clear_buffers" if fn == 8 else "realtime_other"
        return Command(name, buf[at : at + length], {"fn": fn}), at + length
    return Command("text", buf[at : at + 1], {"text": buf[at : at + 1]}), at + 1


def _parse_esc(buf: bytes, at: int) -> tuple[Command, int]:
    _need(buf, at + 2)
    op = buf[at + 1]
    if op == ord("@"):
        return Command("initialize", buf[at : at + 2]), at + 2
    if op in _ESC_NO_ARG:
        return Command("esc_other", buf[at : at + 2]), at + 2
    if op == ord("a"):
        _need(buf, at + 3)
        return Command("align", buf[at : at + 3], {"n": buf[at + 2] % 48}), at + 3
    if op == ord("J"):
        _need(buf, at + 3)
        return Command("feed_dots", buf[at : at + 3], {"n": buf[at + 2]}), at + 3
    if op == ord("d"):
        _need(buf, at + 3)
        return Command("feed_lines", buf[at : at + 3], {"n": buf[at + 2]}), at + 3
    if op in (ord("$"), ord("\\"), ord("c")):
        _need(buf, at + 4)
        return Command("esc_other", buf[at : at + 4]), at + 4
    if op == ord("W"):
        _need(buf, at + 10)
        return Command("esc_other", buf[at : at + 10]), at + 10
    if op == ord("D"):  # ESC D n1 ... nk NUL (tab stops)
        end = buf.find(b"\x00", at + 2)
        if end < 0:
            raise _Incomplete
        return Command("esc_other", buf[at : end + 1]), end + 1
    if op == ord("("):  # ESC ( fn pL pH ...
        _need(buf, at + 5)
        length = 5 + buf[at + 3] + 256 * buf[at + 4]
        _need(buf, at + length)
        return Command("esc_other", buf[at : at + length]), at + length
    if op == ord("*"):  # ESC * m nL nH d1...dk (column bit image)
        _need(buf, at + 5)
        m, columns = buf[at + 2], buf[at + 3] + 256 * buf[at + 4]
        length = 5 + columns * (1 if m in (0, 1) else 3)
        _need(buf, at + length)
        return Command("bit_image_column", buf[at : at + length]), at + length
    if op == ord("p"):  # ESC p m t1 t2 (drawer kick)
        _need(buf, at + 5)
        return Command("esc_other", buf[at : at + 5]), at + 5
    if op in _ESC_ONE_ARG:
        _need(buf, at + 3)
        return Command("esc_other", buf[at : at + 3]), at + 3
    return Command("unknown", buf[at : at + 2]), at + 2


def _parse_gs(buf: bytes, at: int) -> tuple[Command, int]:
    _need(buf, at + 2)
    op = buf[at + 1]
    if op == ord("v"):  # GS v 0 m xL xH yL yH d1...dk (raster bit image)
        _need(buf, at + 8)
        m = buf[at + 3] % 48
        width_bytes = buf[at + 4] + 256 * buf[at + 5]
        height = buf[at + 6] + 256 * buf[at + 7]
        length = 8 + width_bytes * height
        _need(buf, at + length)
        args = {"m": m, "width_bytes": width_bytes, "height": height, "data": buf[at + 8 : at + length]}
        return Command("raster", buf[at : at + length], args), at + length
    if op == ord("("):  # GS ( fn pL pH ...
        _need(buf, at + 5)
        fn = buf[at + 2]
        size = buf[at + 3] + 256 * buf[at + 4]
        length = 5 + size
        _need(buf, at + length)
        payload = buf[at + 5 : at + length]
        if fn == ord("k") and len(payload) >= 2:
            args = {"cn": payload[0], "fn": payload[1], "payload": payload[2:]}
            return Command("symbol", buf[at : at + length], args), at + length
        return Command("gs_paren", buf[at : at + length], {"fn": fn, "payload": payload}), at + length
    if op == ord("8"):  # GS 8 L p1 p2 p3 p4 ... (large graphics data)
        _need(buf, at + 7)
        size = int.from_bytes(buf[at + 3 : at + 7], "little")
        _need(buf, at + 7 + size)
        return Command("gs_other", buf[at : at + 7 + size]), at + 7 + size
    if op == ord("V"):  # GS V m [n]
        _need(buf, at + 3)
        m = buf[at + 2]
        length = 4 if m >= 65 else 3
        _need(buf, at + length)
        return Command("cut", buf[at : at + length], {"m": m}), at + length
    if op == ord("r"):
        _need(buf, at + 3)
        return Command("transmit_status", buf[at : at + 3], {"n": buf[at + 2] % 48}), at + 3
    if op in (ord("L"), ord("W"), ord("P"), ord("\\")):
        _need(buf, at + 4)
        return Command("gs_other", buf[at : at + 4]), at + 4
    if op == ord("*"):  # GS * x y d1...d(x*y*8) (define downloaded bit image)
        _need(buf, at + 4)
        length = 4 + buf[at + 2] * buf[at + 3] * 8
        _need(buf, at + length)
        return Command("gs_other", buf[at : at + length]), at + length
    if op == ord("k"):  # GS k m ... (1D barcode, two encodings)
        _need(buf, at + 3)
        m = buf[at + 2]
        if m <= 6:
            end = buf.find(b"\x00", at + 3)
            if end < 0:
                raise _Incomplete
            return Command("barcode", buf[at : end + 1]), end + 1
        _need(buf, at + 4)
        length = 4 + buf[at + 3]
        _need(buf, at + length)
        return Command("barcode", buf[at : at + length]), at + length
    if op in _GS_ONE_ARG:
        _need(buf, at + 3)
        return Command("gs_other", buf[at : at + 3]), at + 3
    return Command("unknown", buf[at : at + 2]), at + 2


def _parse_text(buf: bytes, at: int) -> tuple[Command, int]:
    end = at
    while end < len(buf) and (buf[end] >= 0x20 or buf[end] == HT):
        end += 1
    return Command("text", buf[at:end], {"text": buf[at:end]}), end


def parse_commands(buf: bytes, start: int = 0) -> tuple[list[Command], int]:
    """Parse complete commands from buf[start:]; return them and the offset of the first unparsed byte."""
    commands: list[Command] = []
    at = start
    while at < len(buf):
        lead = buf[at]
        try:
            if lead == DLE:
                command, nxt = _parse_dle(buf, at)
            elif lead == ESC:
                command, nxt = _parse_esc(buf, at)
            elif lead == GS:
                command, nxt = _parse_gs(buf, at)
            elif lead == FS:
                _need(buf, at + 2)
                command, nxt = Command("fs_other", buf[at : at + 2]), at + 2
            elif lead in (LF, CR, FF):
                command, nxt = Command("newline" if lead == LF else "control", buf[at : at + 1]), at + 1
            elif lead < 0x20 and lead != HT:
                command, nxt = Command("control", buf[at : at + 1]), at + 1
            else:
                command, nxt = _parse_text(buf, at)
        except _Incomplete:
            break
        commands.append(command)
        at = nxt
    return commands, at


class StreamParser:
    """Incremental front end for data arriving in arbitrary chunks (a TCP connection)."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[Command]:
        data = self._pending + chunk
        commands, consumed = parse_commands(data)
        self._pending = data[consumed:]
        return commands

    @property
    def pending(self) -> bytes:
        return self._pending
