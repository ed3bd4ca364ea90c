"""The command-length-aware ESC/POS parser shared by the preview and the simulator."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from printer_drivers import commands
from printer_drivers.encode import encode_ticket
from printer_drivers.profiles import PROFILE_80MM
from printer_drivers.stream import StreamParser, parse_commands

from .helpers import sample_ticket

STREAM = encode_ticket(sample_ticket(), profile=PROFILE_80MM)


def test_ticket_stream_parses_completely_into_known_commands():
    parsed, consumed = parse_commands(STREAM)
    assert consumed == len(STREAM)
    assert b"".join(c.raw for c in parsed) == STREAM
    assert "unknown" not in {c.name for c in parsed}


def test_status_bytes_inside_raster_data_are_not_status_queries():
    # Raster data that happens to contain DLE EOT 1 must not be answered as a status query.
    raster = b"\x1dv0\x00\x03\x00\x01\x00" + commands.STATUS_PRINTER
    parsed, _ = parse_commands(raster + commands.STATUS_PAPER_SENSOR)
    assert [c.name for c in parsed] == ["raster", "realtime_status"]
    assert parsed[1].args["n"] == 4 and parsed[1].realtime


def test_realtime_and_control_commands():
    parsed, _ = parse_commands(
        commands.STATUS_OFFLINE_CAUSE + commands.CLEAR_BUFFERS + commands.TRANSMIT_PAPER_STATUS + commands.FEED_AND_CUT
    )
    assert [c.name for c in parsed] == ["realtime_status", "clear_buffers", "transmit_status", "cut"]
    assert [c.realtime for c in parsed] == [True, True, False, False]


def test_incomplete_command_waits_for_more_bytes():
    parser = StreamParser()
    assert parser.feed(b"\x1dv0\x00\x02\x00\x02\x00\xff") == []
    assert parser.pending
    (raster,) = parser.feed(b"\xff\xff\xff")
    assert raster.name == "raster" and parser.pending == b""


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), max_size=12))
def test_any_chunking_yields_the_same_commands(cuts):
    points = [0, *sorted(set(cuts)), len(STREAM)]
    parser = StreamParser()
    parsed = []
    for start, end in zip(points, points[1:]):
        parsed += parser.feed(STREAM[start:end])
    assert b"".join(c.raw for c in parsed) == STREAM
    assert parser.pending == b""
