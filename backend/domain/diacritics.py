"""Folding Vietnamese text to plain letters, for channels that carry ASCII only (payment networks,
GSM-7 brand-name SMS routes). The one copy: payments and SMS used to keep one each."""
import unicodedata

# "đ" is a letter of its own, not "d" plus a combining mark, so NFD leaves it intact.
_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """"Khám bệnh Đa khoa" -> "Kham benh Da khoa". Characters with no ASCII base are kept as they are."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS_WITHOUT_DECOMPOSITION))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
