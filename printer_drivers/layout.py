"""Ticket and receipt layouts: data → drawing operations (pure: no Pillow, no escpos).

Every line a patient reads comes Vietnamese first; English follows in a smaller size so elderly
Vietnamese readers find their line without hunting. Free text from upstream is re-masked here
(privacy.py) because this is the last place before paper.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from .formatting import format_local_time, format_vnd, format_wait_en, format_wait_vi
from .ops import DrawOp, QrCode, Rule, Spacer, Text
from .privacy import mask_long_digit_runs, mask_person_name
from .ticket import ReceiptPrintData, TicketPrintData

PAPER_58MM_DOTS = 384
PAPER_80MM_DOTS = 576

SCAN_HINT_VI = "Quét mã để theo dõi lượt khám trên điện thoại"
SCAN_HINT_EN = "Scan to follow your turn on your phone"
WAIT_HINT_VI = "Vui lòng chờ gọi số"
WAIT_HINT_EN = "Please wait for your number"


@dataclass(frozen=True)
class _Sizes:
    header: int
    title: int
    body: int
    small: int
    number: int
    room: int
    amount: int
    qr_module: int
    gap: int


# Two presets rather than a formula: 58 mm paper cannot afford the 80 mm sizes scaled down (the
# small English line would fall below what a 203 dpi head prints legibly), so each is tuned by eye.
_NARROW = _Sizes(header=22, title=26, body=21, small=19, number=128, room=25, amount=40, qr_module=5, gap=6)
_WIDE = _Sizes(header=25, title=32, body=24, small=21, number=184, room=30, amount=52, qr_module=6, gap=8)


def _sizes_for(width_dots: int) -> _Sizes:
    if width_dots < 256:
        raise ValueError(f"paper too narrow for a ticket: {width_dots} dots")
    return _NARROW if width_dots < 480 else _WIDE


def _nfc(text: str) -> str:
    # Vietnamese typed on phones often arrives decomposed; the font's precomposed glyphs need NFC.
    return unicodedata.normalize("NFC", text).strip()


def _safe(text: str) -> str:
    return mask_long_digit_runs(_nfc(text))


def _bilingual(vi: str, en: str | None, s: _Sizes, show_english: bool, *, align="left", bold=False) -> list[DrawOp]:
    ops: list[DrawOp] = [Text(vi, s.body, bold=bold, align=align)]
    if show_english and en:
        ops.append(Text(en, s.small, align=align))
    return ops


def layout_ticket(data: TicketPrintData, width_dots: int) -> list[DrawOp]:
    s = _sizes_for(width_dots)
    en = data.show_english
    ops: list[DrawOp] = [
        Text(_safe(data.hospital_name), s.header, bold=True, align="center"),
        Spacer(s.gap),
        Rule(),
        Spacer(s.gap),
        Text(_safe(data.service_name_vi), s.title, bold=True, align="center"),
    ]
    if en and data.service_name_en:
        ops.append(Text(_safe(data.service_name_en), s.small, align="center"))
    ops += [
        Spacer(s.gap),
        Text("Số thứ tự / Your number" if en else "Số thứ tự", s.small, align="center"),
        Text(_nfc(data.display_number), s.number, bold=True, align="center", wrap=False, half_resolution=True),
    ]
    if data.room:
        ops += [
            Text("Mời đến / Please go to" if en else "Mời đến", s.small, align="center"),
            Text(_safe(data.room), s.room, bold=True, align="center"),
        ]
    if data.directions:
        ops.append(Text(_safe(data.directions), s.body, align="center"))
        if en and data.directions_en:
            ops.append(Text(_safe(data.directions_en), s.small, align="center"))
    ops += [Spacer(s.gap), Rule(dashed=True), Spacer(s.gap)]
    if data.amount_due_vnd is not None:
        ops += _amount_due(data, s, en)

    if data.priority_label:
        ops.append(Text(_safe(data.priority_label), s.body, bold=True, align="center", invert=True))
        if en:
            ops.append(Text(_safe(data.priority_label_en or "Priority patient"), s.small, align="center"))
        ops.append(Spacer(s.gap))
    if data.people_ahead is not None:
        ops += _bilingual(
            f"Số người trước bạn: {data.people_ahead}", f"People ahead of you: {data.people_ahead}", s, en
        )
    if data.estimated_wait_min is not None:
        ops += _bilingual(
            f"Thời gian chờ dự kiến: {format_wait_vi(data.estimated_wait_min)}",
            f"Estimated wait: {format_wait_en(data.estimated_wait_min)}",
            s,
            en,
        )
    if data.patient_name_masked:
        label = "Người bệnh / Patient" if en else "Người bệnh"
        ops.append(Text(f"{label}: {mask_person_name(_safe(data.patient_name_masked))}", s.body))
    if data.bhyt_status:
        ops.append(Text(_safe(data.bhyt_status), s.body))
        if en and data.bhyt_status_en:
            ops.append(Text(_safe(data.bhyt_status_en), s.small))
    issued = format_local_time(data.issued_at, data.timezone)
    ops.append(Text(f"{'Giờ lấy số / Issued' if en else 'Giờ lấy số'}: {issued}", s.body))

    ops += _qr_section(data.track_url, s, SCAN_HINT_VI, SCAN_HINT_EN if en else None)
    ops += [
        Spacer(s.gap),
        Rule(),
        Spacer(s.gap),
        Text(WAIT_HINT_VI, s.title, bold=True, align="center"),
    ]
    if en:
        ops.append(Text(WAIT_HINT_EN, s.small, align="center"))
    # Breathing room before the cutter, so the last line is not sliced.
    ops.append(Spacer(3 * s.gap))
    return ops


def _amount_due(data: TicketPrintData, s: _Sizes, en: bool) -> list[DrawOp]:
    """Unpaid fee: the amount in large type, where to pay, and that it comes before the visit."""
    ops: list[DrawOp] = [Text("CHƯA THANH TOÁN – Cần trả", s.body, bold=True, align="center", invert=True)]
    if en:
        ops.append(Text("NOT PAID – Amount due", s.small, align="center"))
    ops.append(Text(format_vnd(data.amount_due_vnd), s.amount, bold=True, align="center", wrap=False))
    where = _safe(data.pay_where) if data.pay_where else "Quầy thu ngân"
    ops.append(Text(f"Nơi trả tiền: {where}", s.body, bold=True, align="center"))
    if en:
        where_en = _safe(data.pay_where_en) if data.pay_where_en else "the cashier"
        ops.append(Text(f"Where to pay: {where_en}", s.small, align="center"))
    ops += _bilingual("Vui lòng trả tiền trước khi vào khám.", "Please pay before your consultation.",
                      s, en, align="center")
    ops += [Spacer(s.gap), Rule(dashed=True), Spacer(s.gap)]
    return ops


def _qr_section(url: str, s: _Sizes, hint_vi: str, hint_en: str | None) -> list[DrawOp]:
    # Four modules of quiet zone above and below: scanners need it and printers do not add it.
    quiet = 4 * s.qr_module
    ops: list[DrawOp] = [Spacer(quiet), QrCode(url.strip(), s.qr_module, "M"), Spacer(quiet)]
    ops.append(Text(hint_vi, s.body, align="center"))
    if hint_en:
        ops.append(Text(hint_en, s.small, align="center"))
    return ops


def layout_receipt(data: ReceiptPrintData, width_dots: int) -> list[DrawOp]:
    s = _sizes_for(width_dots)
    en = data.show_english
    ops: list[DrawOp] = [
        Text(_safe(data.hospital_name), s.header, bold=True, align="center"),
        Spacer(s.gap),
        Text("BIÊN LAI THANH TOÁN", s.title, bold=True, align="center"),
    ]
    if en:
        ops.append(Text("Payment receipt", s.small, align="center"))
    ops += [Spacer(s.gap), Rule(), Spacer(s.gap)]
    ops += _bilingual(_safe(data.description_vi), data.description_en and _safe(data.description_en), s, en, bold=True)
    ops.append(Text(format_vnd(data.amount_vnd), s.amount, bold=True, align="center", wrap=False))
    ops += [Spacer(s.gap), Rule(dashed=True), Spacer(s.gap)]

    def field(label_vi: str, label_en: str, value: str) -> None:
        label = f"{label_vi} / {label_en}" if en else label_vi
        ops.append(Text(f"{label}: {value}", s.body))

    if data.receipt_number:
        field("Số biên lai", "Receipt no.", _nfc(data.receipt_number))
    if data.provider:
        field("Hình thức", "Method", _safe(data.provider))
        if en and data.provider_en and data.provider_en != data.provider:
            ops.append(Text(_safe(data.provider_en), s.small))
    field("Mã tham chiếu", "Reference", _nfc(data.reference))
    if data.provider_transaction_id:
        # Printed in full on purpose: it is the bank's reference for disputes, not personal data.
        field("Mã giao dịch", "Transaction ID", _nfc(data.provider_transaction_id))
    field("Thời gian", "Time", format_local_time(data.paid_at, data.timezone))
    if data.patient_name_masked:
        field("Người bệnh", "Patient", mask_person_name(_safe(data.patient_name_masked)))
    if data.display_number:
        field("Số thứ tự", "Ticket", _nfc(data.display_number))
    if data.receipt_url:
        ops += _qr_section(
            data.receipt_url,
            s,
            "Quét mã để xem biên lai điện tử",
            "Scan for the electronic receipt" if en else None,
        )
    ops += [Spacer(s.gap), Rule(), Spacer(s.gap)]
    ops += _bilingual("Vui lòng giữ biên lai này", "Please keep this receipt", s, en, align="center", bold=True)
    ops.append(Spacer(3 * s.gap))
    return ops
