"""Status bytes → the five heartbeat states, and the messages shown for each."""

from __future__ import annotations

import pytest

from printer_drivers.status import (
    FAILURE_MESSAGES,
    STATUS_MESSAGES,
    STATUSES,
    decode_paper_status,
    decode_realtime_status,
    is_paper_status_byte,
    is_realtime_status_byte,
    make_status,
)


def test_the_heartbeat_contract_strings():
    assert STATUSES == ("ok", "paper_low", "paper_out", "cover_open", "offline")


@pytest.mark.parametrize(
    "printer,offline_cause,paper,expected",
    [
        (0x12, 0x12, 0x12, "ok"),
        (0x12, 0x12, 0x1E, "paper_low"),  # near-end sensor
        (0x1A, 0x32, 0x7E, "paper_out"),  # offline, stopped by paper end, end sensor
        (0x12, 0x12, 0x72, "paper_out"),  # end sensor alone
        (0x1A, 0x16, 0x12, "cover_open"),
        (0x1A, 0x16, 0x7E, "cover_open"),  # cover first: closing it is the first thing to do
        (0x1A, 0x52, 0x12, "offline"),  # error flag
        (0x1A, 0x12, 0x12, "offline"),  # offline without a known cause
        (0x00, 0x12, 0x12, "offline"),  # not a DLE EOT answer at all
    ],
)
def test_decode_realtime_status(printer, offline_cause, paper, expected):
    assert decode_realtime_status(printer, offline_cause, paper)[0] == expected


def test_answer_kinds_are_told_apart_by_bit_4():
    for value in (0x12, 0x1A, 0x16, 0x32, 0x7E):
        assert is_realtime_status_byte(value) and not is_paper_status_byte(value)
    for value in (0x00, 0x03, 0x0C, 0x0F):
        assert is_paper_status_byte(value) and not is_realtime_status_byte(value)
    assert [decode_paper_status(v) for v in (0x00, 0x03, 0x0C)] == ["ok", "paper_low", "paper_out"]


@pytest.mark.parametrize("state", ["ok", "paper_low", "paper_out", "cover_open", "offline"])
def test_every_state_has_vietnamese_and_english_messages(state):
    status = make_status(state)
    assert status.message_vi and status.message_en and status.message_vi != status.message_en
    assert (status.message_vi, status.message_en) == STATUS_MESSAGES[state]
    vi, en = FAILURE_MESSAGES[state]
    assert "nhân viên" in vi and "staff" in en  # the patient always learns who can help


def test_unknown_state_is_refused():
    with pytest.raises(ValueError):
        make_status("jammed")
