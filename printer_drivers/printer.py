"""The kiosk's printer: status for the heartbeat, tickets and receipts that never block or vanish.

Every call returns within the configured deadlines and reports what happened in a PrintResult the
kiosk can act on (print OK → "take your ticket"; failed → show the number on screen and let staff
reprint). There is deliberately no queue: a job that failed stays failed, and the next print is a
new decision made by someone who can see the patient.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Mapping

from .config import PrinterConfig
from .connection import DummyLink, Link, open_link
from .encode import encode_receipt, encode_ticket
from .job import JobOutcome, query_status, run_job
from .profiles import PrinterProfile
from .status import FAILURE_MESSAGES, OK, PRINTED_MESSAGE, PrinterStatus, make_status
from .ticket import ReceiptPrintData, TicketPrintData

# Re-exported: the kiosk and the dashboard build exact streams without a printer attached.
__all__ = ["PrintResult", "TicketPrinter", "encode_ticket", "encode_receipt"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    status: str
    message_vi: str
    message_en: str
    bytes_sent: int
    detail: str = ""
    # The exact bytes of the job, kept so staff can preview or reprint what the patient should have.
    stream: bytes = field(default=b"", repr=False)


class TicketPrinter:
    def __init__(self, config: PrinterConfig | Mapping[str, Any]) -> None:
        self.config = config if isinstance(config, PrinterConfig) else PrinterConfig.from_dict(config)
        self.profile: PrinterProfile = self.config.printer_profile()
        # One job at a time: two kiosk threads interleaving bytes would garble both tickets.
        self._lock = threading.Lock()
        self._last_status = make_status(OK, checked=False, detail="not_checked_yet")
        self._dummy = DummyLink(self.config, self.profile) if self.config.kind == "dummy" else None
        self.last_stream: bytes = b""

    @property
    def width_dots(self) -> int:
        return self.profile.width_dots

    @property
    def last_status(self) -> PrinterStatus:
        return self._last_status

    @property
    def dummy_output(self) -> bytes:
        """Everything a "dummy" printer has received (demo and tests without hardware)."""
        return self._dummy.output if self._dummy else b""

    def _open(self) -> Link:
        return self._dummy if self._dummy else open_link(self.config, self.profile)

    def status(self) -> PrinterStatus:
        """Live status; while a job is printing, the status learned by that job's last check."""
        if not self._lock.acquire(blocking=False):
            return self._last_status
        try:
            self._last_status = query_status(self._open, self.profile, self.config)
            return self._last_status
        finally:
            self._lock.release()

    def print_ticket(self, data: TicketPrintData) -> PrintResult:
        return self._print_encoded(lambda: encode_ticket(data, profile=self.profile))

    def print_receipt(self, data: ReceiptPrintData) -> PrintResult:
        return self._print_encoded(lambda: encode_receipt(data, profile=self.profile))

    def print_stream(self, stream: bytes) -> PrintResult:
        """Send a stream built earlier (staff reprint of exactly what was previewed)."""
        return self._send(stream)

    def _print_encoded(self, encode) -> PrintResult:
        try:
            stream = encode()
        except Exception:
            # A layout bug must not take the ticket with it: the kiosk still shows the number.
            log.exception("could not encode print job")
            return self._result(JobOutcome(False, self._last_status, 0), b"", detail="encode_failed")
        return self._send(stream)

    def _send(self, stream: bytes) -> PrintResult:
        self.last_stream = stream
        if not self._lock.acquire(timeout=self.config.job_timeout_s):
            return self._result(JobOutcome(False, self._last_status, 0), stream, detail="busy")
        try:
            outcome = run_job(self._open, stream, self.profile, self.config)
        finally:
            self._lock.release()
        self._last_status = outcome.status
        if not outcome.printed:
            log.warning(
                "print job failed: status=%s detail=%s bytes_sent=%d of %d",
                outcome.status.status,
                outcome.status.detail,
                outcome.bytes_sent,
                len(stream),
            )
        return self._result(outcome, stream)

    @staticmethod
    def _result(outcome: JobOutcome, stream: bytes, detail: str = "") -> PrintResult:
        state = outcome.status.status
        vi, en = PRINTED_MESSAGE if outcome.printed else FAILURE_MESSAGES[state]
        return PrintResult(
            ok=outcome.printed,
            status=state,
            message_vi=vi,
            message_en=en,
            bytes_sent=outcome.bytes_sent,
            detail=detail or outcome.status.detail,
            stream=stream,
        )
