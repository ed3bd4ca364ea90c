"""One print job as a conversation with the printer: check, send, confirm — or give up cleanly.

1. Ask the printer's real-time status (DLE EOT 1, 2, 4) and send nothing if it cannot print.
2. Send the stream in chunks against a deadline for the whole job.
3. Send GS r 1, which the printer answers only after printing everything before it, and while
   waiting ask the real-time status again to learn early about paper out or an open cover.
4. On any failure: tell the printer to clear its buffers and drop the connection without flushing,
   so the remains of a failed job cannot print by themselves once paper is reloaded — the kiosk has
   already told the patient the ticket failed, and a stray half-ticket later would confuse the queue.

Nothing is retried here: a retry is a decision for the kiosk and staff, who can see the patient.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from . import commands
from .config import PrinterConfig
from .connection import WRITE_CHUNK, Link, LinkError
from .profiles import PrinterProfile
from .status import (
    COVER_OPEN,
    OFFLINE,
    OK,
    PAPER_OUT,
    PrinterStatus,
    decode_paper_status,
    decode_realtime_status,
    is_paper_status_byte,
    is_realtime_status_byte,
    make_status,
)

log = logging.getLogger(__name__)

_STATUS_QUERIES = (commands.STATUS_PRINTER, commands.STATUS_OFFLINE_CAUSE, commands.STATUS_PAPER_SENSOR)
_STOPPED = (PAPER_OUT, COVER_OPEN, OFFLINE)


@dataclass(frozen=True)
class JobOutcome:
    printed: bool
    status: PrinterStatus
    bytes_sent: int


class StatusChannel:
    """Reads printer answers, telling DLE EOT answers (bit 4 set) from the GS r answer (bit 4 clear).

    Both can be in flight at once: the printed confirmation may arrive while a status query waits.
    """

    def __init__(self, link: Link) -> None:
        self._link = link
        self._unread = bytearray()
        self.printed_answer: int | None = None
        self._awaiting_printed = False

    def expect_printed_answer(self) -> None:
        self._awaiting_printed = True

    def _sort(self, data: bytes) -> None:
        for value in data:
            if is_realtime_status_byte(value):
                self._unread.append(value)
            elif self._awaiting_printed and self.printed_answer is None and is_paper_status_byte(value):
                self.printed_answer = value
            else:
                log.debug("ignoring unexpected printer byte 0x%02x", value)

    def _realtime_byte(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while not self._unread:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._sort(self._link.read(remaining))
        return self._unread.pop(0)

    def query(self, timeout: float) -> PrinterStatus:
        self._unread.clear()
        answers = []
        for request in _STATUS_QUERIES:
            self._link.write(request, timeout)
            value = self._realtime_byte(timeout)
            if value is None:
                return make_status(OFFLINE, detail="status_timeout", raw=bytes(answers))
            answers.append(value)
        state, detail = decode_realtime_status(*answers)
        return make_status(state, detail=detail, raw=bytes(answers))

    def wait_printed(self, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while self.printed_answer is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._sort(self._link.read(remaining))
        return self.printed_answer


def _job_deadline(config: PrinterConfig, size: int) -> float:
    budget = config.job_timeout_s
    if config.kind == "serial":
        # 10 bits a byte on the wire; a slow serial line must not be mistaken for a dead printer.
        budget += 1.5 * size * 10 / config.baudrate
    return time.monotonic() + budget


def _await_printed(channel: StatusChannel, deadline: float, config: PrinterConfig) -> tuple[bool, PrinterStatus]:
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False, make_status(OFFLINE, detail="not_confirmed")
        answer = channel.wait_printed(min(config.status_poll_s, remaining))
        if answer is None:
            status = channel.query(min(config.io_timeout_s, max(deadline - time.monotonic(), 0.05)))
            answer = channel.printed_answer
            if answer is None and status.status in _STOPPED:
                return False, status
        if answer is not None:
            return True, make_status(decode_paper_status(answer), detail="printed", raw=bytes([answer]))


def _discard_in_printer(link: Link, profile: PrinterProfile, config: PrinterConfig) -> None:
    if not profile.clear_buffer:
        return
    try:
        link.write(commands.CLEAR_BUFFERS, config.io_timeout_s)
    except LinkError:
        pass  # the connection is gone; the reset on close is all that is left to do


def run_job(open_channel: Callable[[], Link], stream: bytes, profile: PrinterProfile, config: PrinterConfig) -> JobOutcome:
    deadline = _job_deadline(config, len(stream))
    try:
        link = open_channel()
    except LinkError as exc:
        return JobOutcome(False, make_status(OFFLINE, detail=exc.detail), 0)

    sent = 0
    abandon = False
    can_ask = link.can_read and profile.realtime_status
    channel = StatusChannel(link)
    try:
        if can_ask:
            link.drain()
            before = channel.query(config.io_timeout_s)
            if not before.printable:
                return JobOutcome(False, before, 0)
        else:
            before = make_status(OK, checked=False, detail="status_not_supported")

        for offset in range(0, len(stream), WRITE_CHUNK):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LinkError("timeout")
            chunk = stream[offset : offset + WRITE_CHUNK]
            link.write(chunk, min(config.io_timeout_s, remaining))
            sent += len(chunk)

        if not (can_ask and profile.confirm_printed):
            return JobOutcome(True, before, sent)

        channel.expect_printed_answer()
        link.write(commands.TRANSMIT_PAPER_STATUS, config.io_timeout_s)
        printed, after = _await_printed(channel, deadline, config)
        if not printed:
            abandon = True
            _discard_in_printer(link, profile, config)
        return JobOutcome(printed, after, sent)
    except LinkError as exc:
        abandon = True
        if sent:
            _discard_in_printer(link, profile, config)
        return JobOutcome(False, make_status(OFFLINE, detail=exc.detail), sent)
    finally:
        link.close(abandon=abandon)


def query_status(open_channel: Callable[[], Link], profile: PrinterProfile, config: PrinterConfig) -> PrinterStatus:
    try:
        link = open_channel()
    except LinkError as exc:
        return make_status(OFFLINE, detail=exc.detail)
    try:
        if not (link.can_read and profile.realtime_status):
            # Opening the device worked, which is all a write-only channel can tell us.
            return make_status(OK, checked=False, detail="status_not_supported")
        link.drain()
        return StatusChannel(link).query(config.io_timeout_s)
    except LinkError as exc:
        return make_status(OFFLINE, detail=exc.detail)
    finally:
        link.close()
