"""Text hygiene for card fields: NFC, the Vietnamese alphabet, mojibake detection, hex fields.

Why a whitelist alphabet instead of ``str.isalpha``: a USB scanner in keyboard-wedge mode turns
"Nguyễn" into things like "Nguyá»…n" or "Nguy?n". ``isalpha`` accepts "á" and even "ª", so only an
explicit Vietnamese alphabet (plus f, j, w, z used in ethnic-minority names) catches such names before
they become a wrong patient.
"""

from __future__ import annotations

import re
import unicodedata

_BASE_VOWELS = "aăâeêioôơuưy"
_CONSONANTS = "bcdđghklmnpqrstvx" + "fjwz"
# Combining marks of the five Vietnamese tones; "" is the level tone (no mark).
_TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def _build_alphabet() -> frozenset[str]:
    letters: set[str] = set(_CONSONANTS)
    for vowel in _BASE_VOWELS:
        for mark in _TONE_MARKS:
            composed = unicodedata.normalize("NFC", vowel + mark)
            # Every Vietnamese toned vowel has a precomposed code point; assert it so a typo in the
            # tables above cannot silently admit a two-code-point "letter".
            assert len(composed) == 1, composed
            letters.add(composed)
    letters |= {letter.upper() for letter in letters}
    return frozenset(letters)


VIETNAMESE_LETTERS: frozenset[str] = _build_alphabet()

# Ê Đê and other Tây Nguyên names use apostrophes and hyphens ("H'Hen Niê", "Y-Ngông").
_NAME_JOINERS = frozenset("'’-")
_MAX_NAME_LENGTH = 100

_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def collapse_spaces(text: str) -> str:
    # Only ASCII spaces are collapsed: a no-break space is a mojibake signal ("Ã\xa0" is "à").
    return " ".join(part for part in text.split(" ") if part)


def looks_like_mojibake(text: str) -> bool:
    """True when the text reads as UTF-8 bytes that were decoded as Windows-1252 or Latin-1."""
    for encoding in ("cp1252", "latin-1"):
        try:
            repaired = text.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
        if repaired != text:
            return True
    return False


def is_plausible_vietnamese_name(name: str) -> bool:
    """Whether an NFC, space-collapsed name can be a Vietnamese person's name as printed on a card."""
    if not name or len(name) > _MAX_NAME_LENGTH or name != nfc(name):
        return False
    letter_count = 0
    for word in name.split(" "):
        if not word or word[0] in _NAME_JOINERS or word[-1] in _NAME_JOINERS:
            return False
        for char in word:
            if char in VIETNAMESE_LETTERS:
                letter_count += 1
            elif char not in _NAME_JOINERS:
                return False
        # Per word as well as whole: a mangled word can hide next to a genuine non-Latin-1 letter,
        # which would make the whole-string round trip fail and look innocent.
        if looks_like_mojibake(word):
            return False
    return letter_count >= 2 and not looks_like_mojibake(name)


def clean_name(raw: str) -> str:
    return collapse_spaces(nfc(raw).strip())


def is_plausible_free_text(text: str) -> bool:
    """Addresses and places: any printable text, but not control characters or mojibake."""
    if not text or text != nfc(text):
        return False
    if any(unicodedata.category(char) in _CONTROL_CATEGORIES for char in text):
        return False
    return not looks_like_mojibake(text)


_HEX_FIELD = re.compile(r"(?:[0-9A-Fa-f]{2})+")


def decode_hex_text(field: str) -> str | None:
    """Decode a BHYT hex-encoded UTF-8 field; None when it is not exactly that."""
    if not _HEX_FIELD.fullmatch(field):
        return None
    try:
        return nfc(bytes.fromhex(field).decode("utf-8"))
    except UnicodeDecodeError:
        return None
