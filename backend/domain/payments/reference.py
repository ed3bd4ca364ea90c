"""Payment references: short codes we put in the VietQR purpose and look for in bank transfer content.

A reference is "TD" + 8 characters from an alphabet without 0/O/1/I, so a patient who has to type it
by hand cannot confuse characters. 32 symbols ^ 8 = 2^40 codes keeps accidental collisions between
open invoices negligible; the database's unique constraint is still the final word.

Banks rewrite the content freely: "TD7K3M9QX2" may arrive as "MBVCB.1234.TD 7K3M 9QX2.CT tu 0123
NGUYEN VAN A", lower-cased, with dots, dashes or with the "TD" dropped. Matching therefore compares
after folding both sides to upper-case letters and digits only.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable

from backend.domain.payments.text import strip_diacritics

REFERENCE_PREFIX = "TD"
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_BODY_LENGTH = 8
# The body alone is only trusted when it is at least this long: shorter fragments of noise
# ("FT24...", phone numbers) would start to collide with real codes.
_MIN_BODY_FOR_PREFIXLESS_MATCH = 8

_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def new_reference(
    prefix: str = REFERENCE_PREFIX,
    *,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> str:
    """A fresh reference such as "TD7K3M9QX2". `randbelow` is injectable for reproducible tests."""
    if not prefix.isascii() or not prefix.isalnum():
        raise ValueError("reference prefix must be ASCII letters/digits")
    body = "".join(REFERENCE_ALPHABET[randbelow(len(REFERENCE_ALPHABET))] for _ in range(REFERENCE_BODY_LENGTH))
    return prefix.upper() + body


def normalize_transfer_content(text: str) -> str:
    """Upper-case ASCII letters and digits only: what survives every bank's rewriting."""
    return _NOT_ALNUM.sub("", strip_diacritics(text).upper())


def is_reference(text: str, prefix: str = REFERENCE_PREFIX) -> bool:
    prefix = prefix.upper()
    body = text[len(prefix) :]
    return (
        text.startswith(prefix)
        and len(body) == REFERENCE_BODY_LENGTH
        and all(ch in REFERENCE_ALPHABET for ch in body)
    )


def reference_candidates(
    content: str,
    prefix: str = REFERENCE_PREFIX,
    *,
    include_prefixless: bool = False,
) -> list[str]:
    """Every substring of the folded content shaped like a reference, in order, without repeats.

    Windows overlap on purpose: in "...NGUYENTDTD7K3M9QX2" both "TDTD7K3M9Q" and "TD7K3M9QX2" are
    returned, and the caller keeps whichever exists (one `WHERE reference IN (...)` query).
    With include_prefixless, every 8-character run of the alphabet is also offered with the prefix
    put back, for banks that strip it; expect a few dozen candidates for a typical content.
    """
    folded = normalize_transfer_content(content)
    prefix = prefix.upper()
    width = len(prefix) + REFERENCE_BODY_LENGTH
    found: dict[str, None] = {}
    start = folded.find(prefix)
    while start != -1 and start + width <= len(folded):
        window = folded[start : start + width]
        if is_reference(window, prefix):
            found[window] = None
        start = folded.find(prefix, start + 1)
    if include_prefixless:
        for start in range(len(folded) - REFERENCE_BODY_LENGTH + 1):
            body = folded[start : start + REFERENCE_BODY_LENGTH]
            if all(ch in REFERENCE_ALPHABET for ch in body):
                found.setdefault(prefix + body, None)
    return list(found)


def find_references(content: str, known: Iterable[str], prefix: str = REFERENCE_PREFIX) -> list[str]:
    """The references from `known` that occur in `content`, each as given in `known`.

    A reference matches when it occurs whole after folding; failing that, when its body occurs
    without the prefix (some banks strip what looks like their own prefix).
    """
    folded = normalize_transfer_content(content)
    prefix = prefix.upper()
    whole: list[str] = []
    body_only: list[str] = []
    for reference in known:
        wanted = normalize_transfer_content(reference)
        if not wanted:
            continue
        if wanted in folded:
            whole.append(reference)
            continue
        body = wanted[len(prefix) :] if wanted.startswith(prefix) else ""
        if len(body) >= _MIN_BODY_FOR_PREFIXLESS_MATCH and body in folded:
            body_only.append(reference)
    return list(dict.fromkeys(whole or body_only))


def find_reference(content: str, known: Iterable[str], prefix: str = REFERENCE_PREFIX) -> str | None:
    """The single reference from `known` found in `content`; None when there is none or more than one.

    Two different references in one transfer cannot be settled automatically: it goes to the cashier.
    """
    matches = find_references(content, known, prefix)
    return matches[0] if len(matches) == 1 else None
