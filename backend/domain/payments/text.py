"""Folding Vietnamese text to the ASCII that payment networks accept."""

from __future__ import annotations

from backend.domain.diacritics import strip_diacritics

__all__ = ["is_printable_ascii", "strip_diacritics"]


def is_printable_ascii(text: str) -> bool:
    return all(" " <= ch <= "~" for ch in text)
