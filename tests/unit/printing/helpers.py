"""Shared fixtures-as-functions for the printing tests (unit and integration import them)."""

from __future__ import annotations

import hashlib
import io
import os
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image

from printer_drivers.ticket import ReceiptPrintData, TicketPrintData

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "golden" / "printing"
ARTIFACT_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "printing"
UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"

ICT = timezone(timedelta(hours=7))
TRACK_URL = "https://tiepdon.example.vn/t/8F3K2Q9X"

_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # ngang, huyền, sắc, hỏi, ngã, nặng
# Every Vietnamese letter with every tone, both cases, plus đ/Đ: 12 × 6 × 2 + 2 = 146 letters.
VIETNAMESE_LETTERS = [
    unicodedata.normalize("NFC", base + tone)
    for vowel in _VOWELS
    for base in (vowel, vowel.upper())
    for tone in _TONES
] + ["đ", "Đ"]


def base_letter(letter: str) -> str:
    """'ặ' → 'a', 'Ự' → 'U', 'đ' → 'd': the letter with every diacritic removed."""
    if letter in "đĐ":
        return "d" if letter == "đ" else "D"
    return unicodedata.normalize("NFD", letter)[0]


def sample_ticket(**changes) -> TicketPrintData:
    values = dict(
        hospital_name="Bệnh viện Đa khoa tỉnh Thừa Thiên Huế",
        service_name_vi="Khám Nội – BHYT",
        service_name_en="Internal medicine (insurance)",
        display_number="A012",
        room="Phòng 105 – Tầng 1, Khu A",
        directions="Đi thẳng qua sảnh chính, rẽ trái cạnh quầy thuốc",
        directions_en="Straight through the main hall, left at the pharmacy",
        issued_at=datetime(2026, 3, 12, 7, 42, tzinfo=ICT),
        people_ahead=5,
        estimated_wait_min=15,
        priority_label="Ưu tiên: Người từ 75 tuổi",
        priority_label_en="Priority: aged 75 or over",
        patient_name_masked="Nguyễn V. A",
        bhyt_status="BHYT: đã kiểm tra",
        bhyt_status_en="Health insurance: verified",
        track_url=TRACK_URL,
    )
    values.update(changes)
    return TicketPrintData(**values)


def sample_receipt(**changes) -> ReceiptPrintData:
    values = dict(
        hospital_name="Bệnh viện Đa khoa tỉnh Thừa Thiên Huế",
        amount_vnd=150000,
        description_vi="Phí khám bệnh – Khám Nội",
        description_en="Consultation fee – Internal medicine",
        reference="TT-20260312-0042",
        provider="VietQR",
        provider_transaction_id="FT26071123456789",
        paid_at=datetime(2026, 3, 12, 7, 40, tzinfo=ICT),
        patient_name_masked="Nguyễn V. A",
        display_number="A012",
    )
    values.update(changes)
    return ReceiptPrintData(**values)


def _save_artifact(name: str, payload: bytes) -> Path:
    ARTIFACT_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACT_DIR / name
    path.write_bytes(payload)
    return path


def check_stream_golden(name: str, stream: bytes) -> None:
    """Compare the stream's sha256 with tests/golden/printing/<name>.sha256 (UPDATE_GOLDEN=1 rewrites)."""
    golden = GOLDEN_DIR / f"{name}.sha256"
    actual = f"sha256={hashlib.sha256(stream).hexdigest()}\nsize={len(stream)}\n"
    if UPDATE_GOLDEN or not golden.exists():
        assert UPDATE_GOLDEN, f"missing golden {golden}; run with UPDATE_GOLDEN=1 to create it"
        golden.write_text(actual)
        return
    if golden.read_text() != actual:
        saved = _save_artifact(f"{name}.bin", stream)
        raise AssertionError(
            f"ESC/POS stream for {name} changed (actual stream saved to {saved}).\n"
            f"expected:\n{golden.read_text()}actual:\n{actual}"
            "If the change is intended, look at the new preview and rerun with UPDATE_GOLDEN=1."
        )


def check_png_golden(name: str, png: bytes) -> None:
    """Pixel-wise comparison with tests/golden/printing/<name>.png (UPDATE_GOLDEN=1 rewrites)."""
    golden = GOLDEN_DIR / f"{name}.png"
    if UPDATE_GOLDEN or not golden.exists():
        assert UPDATE_GOLDEN, f"missing golden {golden}; run with UPDATE_GOLDEN=1 to create it"
        golden.write_bytes(png)
        return
    expected = Image.open(golden).convert("1")
    actual = Image.open(io.BytesIO(png)).convert("1")
    if expected.size != actual.size or expected.tobytes() != actual.tobytes():
        saved = _save_artifact(f"{name}.png", png)
        raise AssertionError(
            f"preview {name} differs from the golden image (actual saved to {saved}; "
            f"sizes {expected.size} vs {actual.size})"
        )
