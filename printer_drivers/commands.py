"""The few raw ESC/POS sequences python-escpos has no public method for.

Kept in one place so the encoder, the printer conversation and the simulator agree byte for byte.
"""

from __future__ import annotations

ESC = b"\x1b"
GS = b"\x1d"
DLE = b"\x10"
EOT = b"\x04"
DC4 = b"\x14"

INITIALIZE = ESC + b"@"
ALIGN_LEFT = ESC + b"a\x00"
ALIGN_CENTER = ESC + b"a\x01"

# DLE EOT n: answered immediately, even while the printer is offline, with one status byte.
STATUS_PRINTER = DLE + EOT + b"\x01"
STATUS_OFFLINE_CAUSE = DLE + EOT + b"\x02"
STATUS_ERROR_CAUSE = DLE + EOT + b"\x03"
STATUS_PAPER_SENSOR = DLE + EOT + b"\x04"

# GS r 1: queued behind the job, so its answer means everything before it has printed.
TRANSMIT_PAPER_STATUS = GS + b"r\x01"

# DLE DC4 fn=8 with its fixed key "1 3 20 1 6 2 8": empties receive and print buffers.
CLEAR_BUFFERS = DLE + DC4 + bytes([8, 1, 3, 20, 1, 6, 2, 8])
CLEAR_BUFFERS_ANSWER = b"\x37\x25\x00"

# GS V 66 0: feed until the last printed line is past the blade, then partial cut. The printer
# knows its own blade distance, so no model-specific feed is needed.
FEED_AND_CUT = GS + b"V\x42\x00"

MAX_FEED_PER_COMMAND = 255


def feed_dots(dots: int) -> bytes:
    """ESC J n, split because n is one byte. Assumes the default motion unit of one dot row."""
    out = bytearray()
    while dots > 0:
        step = min(dots, MAX_FEED_PER_COMMAND)
        out += ESC + b"J" + bytes([step])
        dots -= step
    return bytes(out)
