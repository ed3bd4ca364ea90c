"""The pure layout: what goes on a ticket and in which order, without rendering anything."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from printer_drivers.layout import PAPER_58MM_DOTS, PAPER_80MM_DOTS, layout_receipt, layout_ticket
from printer_drivers.ops import QrCode, Rule, Spacer, Text

from .helpers import TRACK_URL, sample_receipt, sample_ticket

WIDTHS = [PAPER_58MM_DOTS, PAPER_80MM_DOTS]


def texts(ops) -> list[str]:
    return [op.text for op in ops if isinstance(op, Text)]


def test_layout_module_imports_neither_pillow_nor_escpos():
    code = (
        "import sys, printer_drivers.layout, printer_drivers.ticket, printer_drivers.ops;"
        "print(','.join(m for m in ('PIL', 'escpos', 'qrcode') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"layout pulled in {result.stdout}"


@pytest.mark.parametrize("width", WIDTHS)
def test_ticket_contains_every_required_element(width):
    ops = layout_ticket(sample_ticket(), width)
    lines = texts(ops)
    joined = "\n".join(lines)
    assert lines[0] == "Bệnh viện Đa khoa tỉnh Thừa Thiên Huế"
    for expected in (
        "Khám Nội – BHYT",
        "Internal medicine (insurance)",
        "A012",
        "Phòng 105 – Tầng 1, Khu A",
        "Đi thẳng qua sảnh chính, rẽ trái cạnh quầy thuốc",
        "Ưu tiên: Người từ 75 tuổi",
        "Số người trước bạn: 5",
        "People ahead of you: 5",
        "Thời gian chờ dự kiến: khoảng 15 phút",
        "Estimated wait: about 15 min",
        "Người bệnh / Patient: Nguyễn V. A",
        "BHYT: đã kiểm tra",
        "Giờ lấy số / Issued: 07:42 12/03/2026",
        "Vui lòng chờ gọi số",
        "Please wait for your number",
    ):
        assert expected in lines, f"{expected!r} missing from:\n{joined}"
    qr = [op for op in ops if isinstance(op, QrCode)]
    assert [q.data for q in qr] == [TRACK_URL]
    assert any(isinstance(op, Rule) for op in ops)


@pytest.mark.parametrize("width", WIDTHS)
def test_number_is_the_largest_text_and_never_wraps(width):
    ops = layout_ticket(sample_ticket(), width)
    number = next(op for op in ops if isinstance(op, Text) and op.text == "A012")
    assert not number.wrap and number.bold and number.align == "center"
    assert number.size == max(op.size for op in ops if isinstance(op, Text))
    assert number.size >= 3 * min(op.size for op in ops if isinstance(op, Text))


def test_priority_mark_is_inverted_so_staff_spot_it():
    ops = layout_ticket(sample_ticket(), PAPER_80MM_DOTS)
    mark = next(op for op in ops if isinstance(op, Text) and op.text.startswith("Ưu tiên"))
    assert mark.invert


@pytest.mark.parametrize("width", WIDTHS)
def test_vietnamese_line_comes_before_its_english_line(width):
    lines = texts(layout_ticket(sample_ticket(), width))
    pairs = [
        ("Khám Nội – BHYT", "Internal medicine (insurance)"),
        ("Số người trước bạn: 5", "People ahead of you: 5"),
        ("Thời gian chờ dự kiến: khoảng 15 phút", "Estimated wait: about 15 min"),
        ("BHYT: đã kiểm tra", "Health insurance: verified"),
        ("Vui lòng chờ gọi số", "Please wait for your number"),
        ("Quét mã để theo dõi lượt khám trên điện thoại", "Scan to follow your turn on your phone"),
    ]
    for vi, en in pairs:
        assert lines.index(vi) + 1 == lines.index(en)
    # English lines are printed smaller than the Vietnamese they follow.
    ops = [op for op in layout_ticket(sample_ticket(), width) if isinstance(op, Text)]
    by_text = {op.text: op for op in ops}
    for vi, en in pairs:
        assert by_text[en].size < by_text[vi].size


def test_english_can_be_switched_off():
    lines = texts(layout_ticket(sample_ticket(show_english=False), PAPER_80MM_DOTS))
    assert "Please wait for your number" not in lines
    assert not any("/ " in line or "Patient" in line for line in lines)
    assert "Vui lòng chờ gọi số" in lines


def test_optional_fields_are_left_out_cleanly():
    data = sample_ticket(
        room=None,
        directions=None,
        people_ahead=None,
        estimated_wait_min=None,
        priority_label=None,
        patient_name_masked=None,
        bhyt_status=None,
        service_name_en=None,
    )
    lines = texts(layout_ticket(data, PAPER_58MM_DOTS))
    assert not any("Mời đến" in line or "Ưu tiên" in line or "Người bệnh" in line for line in lines)
    assert "A012" in lines


def test_wait_of_zero_and_over_an_hour():
    lines = texts(layout_ticket(sample_ticket(people_ahead=0, estimated_wait_min=0), PAPER_80MM_DOTS))
    assert "Thời gian chờ dự kiến: sắp đến lượt" in lines
    lines = texts(layout_ticket(sample_ticket(estimated_wait_min=80), PAPER_80MM_DOTS))
    assert "Thời gian chờ dự kiến: khoảng 1 giờ 20 phút" in lines
    assert "Estimated wait: about 1 h 20 min" in lines


def test_time_is_printed_in_hospital_time_even_from_utc():
    from datetime import datetime, timezone

    data = sample_ticket(issued_at=datetime(2026, 3, 12, 0, 42, tzinfo=timezone.utc))
    assert "Giờ lấy số / Issued: 07:42 12/03/2026" in texts(layout_ticket(data, PAPER_80MM_DOTS))


def test_unmasked_personal_data_is_masked_before_paper():
    data = sample_ticket(
        patient_name_masked="Nguyễn Văn An",
        directions="Mang CCCD 001234567890 đến quầy 3",
        bhyt_status="BHYT: HN4010123456789 đã kiểm tra",
    )
    joined = "\n".join(texts(layout_ticket(data, PAPER_80MM_DOTS)))
    assert "Nguyễn V. A" in joined and "Văn An" not in joined
    assert "001234567890" not in joined and "0012******90" in joined
    assert "0123456789" not in joined
    assert "quầy 3" in joined  # short numbers (rooms, counters) stay readable


def test_nfd_input_is_normalised_to_nfc():
    import unicodedata

    data = sample_ticket(service_name_vi=unicodedata.normalize("NFD", "Khám Nội – BHYT"))
    assert "Khám Nội – BHYT" in texts(layout_ticket(data, PAPER_80MM_DOTS))


def test_ticket_data_rejects_naive_time_and_bad_counts():
    from datetime import datetime

    with pytest.raises(ValueError):
        sample_ticket(issued_at=datetime(2026, 3, 12, 7, 42))
    with pytest.raises(ValueError):
        sample_ticket(people_ahead=-1)
    with pytest.raises(ValueError):
        sample_ticket(display_number=" ")


def test_paper_narrower_than_a_ticket_is_refused():
    with pytest.raises(ValueError):
        layout_ticket(sample_ticket(), 200)


@pytest.mark.parametrize("width", WIDTHS)
def test_receipt_layout(width):
    ops = layout_receipt(sample_receipt(), width)
    lines = texts(ops)
    for expected in (
        "BIÊN LAI THANH TOÁN",
        "Payment receipt",
        "150.000 đ",
        "Hình thức / Method: VietQR",
        "Mã tham chiếu / Reference: TT-20260312-0042",
        "Mã giao dịch / Transaction ID: FT26071123456789",
        "Thời gian / Time: 07:40 12/03/2026",
        "Người bệnh / Patient: Nguyễn V. A",
        "Số thứ tự / Ticket: A012",
        "Vui lòng giữ biên lai này",
        "Please keep this receipt",
    ):
        assert expected in lines
    assert not any(isinstance(op, QrCode) for op in ops)
    with_qr = layout_receipt(replace(sample_receipt(), receipt_url="https://tiepdon.example.vn/r/42"), width)
    assert [op.data for op in with_qr if isinstance(op, QrCode)] == ["https://tiepdon.example.vn/r/42"]


def test_receipt_amount_must_be_whole_dong():
    with pytest.raises(TypeError):
        sample_receipt(amount_vnd=150000.0)


def test_layout_is_deterministic_and_only_uses_known_ops():
    first = layout_ticket(sample_ticket(), PAPER_80MM_DOTS)
    assert first == layout_ticket(sample_ticket(), PAPER_80MM_DOTS)
    assert all(isinstance(op, (Text, Rule, Spacer, QrCode)) for op in first)
