"""Last line of defence for personal data on paper (Nghị định 13/2023/NĐ-CP).

The kiosk is expected to pass names and IDs already masked; these helpers are applied again before
anything is printed, because a ticket left on a lobby bench is public. Both are idempotent, so
masking an already-masked value changes nothing.
"""

from __future__ import annotations

import re
import unicodedata

# CCCD numbers have 12 digits and BHYT card codes carry 10; shorter runs are phone-sized or smaller
# (room numbers, counts) and stay readable.
_LONG_DIGIT_RUN = re.compile(r"\d{9,}")


def mask_person_name(name: str) -> str:
    """'Nguyễn Văn An' → 'Nguyễn V. A'; the family name stays, given names shrink to initials."""
    words = unicodedata.normalize("NFC", name).split()
    if not words:
        return ""
    if len(words) == 1:
        # A lone word is the whole name; same rule as backend.domain.masking.mask_name.
        return words[0][0]
    family, *middle, given = words
    middle_initials = [w[0] + "." for w in middle]
    return " ".join([family, *middle_initials, given[0]])


def mask_long_digit_runs(text: str) -> str:
    """'0010234567845' → '0010*******45', in the style shown on kiosk screens."""

    def _mask(match: re.Match[str]) -> str:
        digits = match.group(0)
        return digits[:4] + "*" * (len(digits) - 6) + digits[-2:]

    return _LONG_DIGIT_RUN.sub(_mask, text)
