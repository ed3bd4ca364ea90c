"""Phone numbers and one-time codes for patient accounts. Pure: no clock, database or network.

Vietnamese mobile numbers are 10 digits nationally (0 + 9) and +84 + 9 digits internationally; since
the 2018 re-numbering every mobile prefix starts with 3, 5, 7, 8 or 9 after the 0. The canonical form
kept everywhere in the system is E.164 (``+84912345678``); people see it masked (``09******78``).

The code rules exist because a 6-digit code has only a million values: a guesser who may try five
times per code and request a few codes an hour has no useful chance, and once a phone has seen too
many wrong codes it is locked for a while, whatever code is current.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from .errors import DomainError

_SEPARATORS = re.compile(r"[\s.\-()]")
_NATIONAL = re.compile(r"0[35789][0-9]{8}")  # ASCII digits only: \d would accept other scripts
CODE_LENGTH = 6


def normalize_phone(raw: str | None) -> str:
    """`0912 345 678`, `0912.345.678`, `+84 912 345 678`, `84912345678`, `(+84)912345678` →
    `+84912345678`. Anything that is not a Vietnamese mobile number raises PHONE_INVALID."""
    if not isinstance(raw, str):
        raise DomainError("PHONE_INVALID")
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("0084"):
        text = "0" + text[4:]
    elif text.startswith("84") and len(text) == 11:
        text = "0" + text[2:]
    if not _NATIONAL.fullmatch(text):
        raise DomainError("PHONE_INVALID")
    return "+84" + text[1:]


def national(phone: str) -> str:
    """`+84912345678` → `0912345678` (how Vietnamese write and read their numbers)."""
    return "0" + phone[3:] if phone.startswith("+84") else phone


def mask_phone(phone: str | None) -> str:
    """`+84912345678` → `09******78`: enough for the owner to recognise, useless to anyone else."""
    if not phone:
        return ""
    digits = national(phone)
    if len(digits) < 6:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_LENGTH):0{CODE_LENGTH}d}"


@dataclass(frozen=True)
class OtpPolicy:
    ttl: timedelta = timedelta(minutes=5)
    max_attempts: int = 5  # wrong guesses per code; then the code is dead
    resend_after: timedelta = timedelta(seconds=60)
    max_sends_per_hour: int = 5  # per phone, whoever asks
    lock_after_failures: int = 10  # wrong guesses per phone within lock_window → locked
    lock_window: timedelta = timedelta(hours=1)
    lock_for: timedelta = timedelta(minutes=30)
    session_ttl: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class PhoneHistory:
    """What the database knows about recent codes for one phone (the last `lock_window`)."""

    sends_last_hour: int
    last_sent_at: datetime | None
    failures_in_window: int
    last_failure_at: datetime | None


def phone_lock_until(history: PhoneHistory, policy: OtpPolicy, now: datetime) -> datetime | None:
    if history.failures_in_window < policy.lock_after_failures or history.last_failure_at is None:
        return None
    until = history.last_failure_at + policy.lock_for
    return until if until > now else None


def send_refusal(history: PhoneHistory, policy: OtpPolicy, now: datetime) -> tuple[str, int] | None:
    """Why a new code may not be sent now, and in how many seconds to try again; None if it may."""
    locked = phone_lock_until(history, policy, now)
    if locked is not None:
        return "OTP_LOCKED", whole_seconds(locked - now)
    if history.last_sent_at is not None and now - history.last_sent_at < policy.resend_after:
        return "OTP_RESEND_TOO_SOON", whole_seconds(history.last_sent_at + policy.resend_after - now)
    if history.sends_last_hour >= policy.max_sends_per_hour:
        return "OTP_TOO_MANY_REQUESTS", whole_seconds(policy.lock_window)
    return None


class Verdict(str, Enum):
    ACCEPT = "accept"
    WRONG = "wrong"  # count the attempt
    USED = "used"  # replayed or superseded: never accepted twice
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # too many wrong guesses on this code


@dataclass(frozen=True)
class Challenge:
    expires_at: datetime
    attempts: int
    consumed: bool


def judge(challenge: Challenge, code_matches: bool, policy: OtpPolicy, now: datetime) -> Verdict:
    # Order matters: a used or dead code says so even when the guess is right, so replay and
    # brute force learn nothing from the answer.
    if challenge.consumed:
        return Verdict.USED
    if challenge.attempts >= policy.max_attempts:
        return Verdict.EXHAUSTED
    if now >= challenge.expires_at:
        return Verdict.EXPIRED
    return Verdict.ACCEPT if code_matches else Verdict.WRONG


VERDICT_CODES = {
    Verdict.WRONG: "OTP_INVALID",
    Verdict.USED: "OTP_INVALID",
    Verdict.EXPIRED: "OTP_EXPIRED",
    Verdict.EXHAUSTED: "OTP_LOCKED",
}


def whole_seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))
