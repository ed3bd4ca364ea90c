"""Folding Vietnamese text to the ASCII that payment networks accept."""

from __future__ import annotations

import unicodedata

# "đ" is a letter of its own, not "d" plus a combining mark, so NFD leaves it intact.
_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """"Khám bệnh Đa khoa" -> "Kham benh Da khoa". Characters with no ASCII base are kept as they are."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS_WITHOUT_DECOMPOSITION))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def is_printable_ascii(text: str) -> bool:
    return all(" " <= ch <= "~" for ch in text)
