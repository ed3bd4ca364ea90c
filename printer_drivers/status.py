"""Printer states as the kiosk and the heartbeat see them, and how status bytes map onto them.

Exactly five state strings exist (the heartbeat contract with the backend). Anything the printer
cannot report, including silence, a dropped connection or an unreadable byte, becomes "offline",
so the kiosk never has to interpret an unknown state in front of a patient.
"""

from __future__ import annotations

from dataclasses import dataclass

OK = "ok"
PAPER_LOW = "paper_low"
PAPER_OUT = "paper_out"
COVER_OPEN = "cover_open"
OFFLINE = "offline"
STATUSES = (OK, PAPER_LOW, PAPER_OUT, COVER_OPEN, OFFLINE)
PRINTABLE = (OK, PAPER_LOW)

# For staff and the heartbeat (dashboard); Vietnamese first.
STATUS_MESSAGES: dict[str, tuple[str, str]] = {
    OK: ("Máy in sẵn sàng.", "Printer ready."),
    PAPER_LOW: ("Máy in sắp hết giấy, cần thay cuộn giấy mới.", "Printer paper is running low; replace the roll soon."),
    PAPER_OUT: ("Máy in đã hết giấy, cần thay cuộn giấy mới.", "Printer is out of paper; replace the roll."),
    COVER_OPEN: ("Nắp máy in đang mở, cần đóng nắp lại.", "Printer cover is open; close it."),
    OFFLINE: ("Máy in không phản hồi (mất kết nối hoặc tắt nguồn).", "Printer is not responding (disconnected or off)."),
}

# For the patient at the kiosk when a print fails: the number is safe, here is what to do.
_KEEP_NUMBER_VI = "Số của bạn vẫn được giữ: vui lòng ghi lại hoặc chụp số trên màn hình, nhân viên sẽ in lại phiếu."
_KEEP_NUMBER_EN = "Your number is kept: please note or photograph it on the screen; staff will reprint your ticket."
FAILURE_MESSAGES: dict[str, tuple[str, str]] = {
    PAPER_OUT: ("Máy in hết giấy. " + _KEEP_NUMBER_VI, "The printer is out of paper. " + _KEEP_NUMBER_EN),
    COVER_OPEN: ("Nắp máy in đang mở. " + _KEEP_NUMBER_VI, "The printer cover is open. " + _KEEP_NUMBER_EN),
    OFFLINE: ("Máy in không phản hồi. " + _KEEP_NUMBER_VI, "The printer is not responding. " + _KEEP_NUMBER_EN),
    OK: ("Không in được phiếu. " + _KEEP_NUMBER_VI, "The ticket could not be printed. " + _KEEP_NUMBER_EN),
    PAPER_LOW: ("Không in được phiếu. " + _KEEP_NUMBER_VI, "The ticket could not be printed. " + _KEEP_NUMBER_EN),
}
PRINTED_MESSAGE = ("Đã in phiếu. Vui lòng nhận phiếu ở khe máy in.", "Ticket printed. Please take it from the printer.")


@dataclass(frozen=True)
class PrinterStatus:
    status: str
    message_vi: str
    message_en: str
    # False when the model or backend cannot report status and "ok" is an assumption.
    checked: bool = True
    # Reason code for logs and the dashboard, e.g. "timeout", "connect_failed", "error_flag".
    detail: str = ""
    raw: bytes = b""

    @property
    def printable(self) -> bool:
        return self.status in PRINTABLE


def make_status(status: str, *, checked: bool = True, detail: str = "", raw: bytes = b"") -> PrinterStatus:
    if status not in STATUSES:
        raise ValueError(f"unknown printer status {status!r}")
    vi, en = STATUS_MESSAGES[status]
    return PrinterStatus(status, vi, en, checked, detail, raw)


def is_realtime_status_byte(value: int) -> bool:
    # Every DLE EOT answer has bits 1 and 4 set and bits 0 and 7 clear.
    return value & 0x93 == 0x12


def is_paper_status_byte(value: int) -> bool:
    # GS r 1 answers have bit 4 clear, which is how they are told apart from DLE EOT answers.
    return value & 0x90 == 0x00


def decode_realtime_status(printer: int, offline_cause: int, paper: int) -> tuple[str, str]:
    """Answers to DLE EOT 1, 2 and 4 → (state, detail)."""
    for byte in (printer, offline_cause, paper):
        if not is_realtime_status_byte(byte):
            return OFFLINE, "bad_status_byte"
    if offline_cause & 0x04:
        return COVER_OPEN, "cover_open"
    if paper & 0x60 or offline_cause & 0x20:
        return PAPER_OUT, "paper_end"
    if offline_cause & 0x40:
        return OFFLINE, "error_flag"
    if printer & 0x08:
        return OFFLINE, "offline_flag"
    if paper & 0x0C:
        return PAPER_LOW, "paper_near_end"
    return OK, ""


def decode_paper_status(value: int) -> str:
    """Answer to GS r 1 (sent after a job) → state of the paper once the job printed."""
    if value & 0x0C:
        return PAPER_OUT
    if value & 0x03:
        return PAPER_LOW
    return OK
