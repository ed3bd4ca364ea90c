"""Ticket printing benchmark: 200 varied 80 mm tickets, from TicketPrintData to the exact ESC/POS bytes.

    .venv/bin/python bench/printing.py

"render" below is the whole path a kiosk waits for before the first byte goes to the printer:
layout + rasterising + encoding. The first ticket (fonts loading, caches empty) is reported
separately as the cold start; the percentiles cover the 200 tickets after it.
Goals: render_p99_ms <= 50 and bytes_per_ticket <= 40000 at 80 mm.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from printer_drivers.encode import encode_blocks  # noqa: E402
from printer_drivers.layout import layout_ticket  # noqa: E402
from printer_drivers.profiles import PROFILE_80MM  # noqa: E402
from printer_drivers.render import render_blocks  # noqa: E402
from printer_drivers.ticket import TicketPrintData  # noqa: E402

TICKETS = 200
ICT = timezone(timedelta(hours=7))
SERVICES = [
    ("Khám Nội – BHYT", "Internal medicine (insurance)", "A", "Phòng 105 – Tầng 1, Khu A"),
    ("Khám Ngoại", "Surgery clinic", "B", "Phòng 210 – Tầng 2, Khu B"),
    ("Khám Nhi", "Paediatrics", "C", "Phòng 012 – Tầng trệt, Khu Nhi"),
    ("Xét nghiệm máu", "Blood tests", "X", "Khu Xét nghiệm – Tầng 1"),
    ("Chẩn đoán hình ảnh", "Imaging", "H", "Phòng 118 – Tầng 1, Khu C"),
    ("Thu ngân", "Cashier", "T", "Quầy 3 – Sảnh chính"),
]
NAMES = ["Nguyễn V. A", "Trần T. B", "Lê Đ. C", "Phạm T. T. D", "Hoàng V. Ư", "Võ N. Ế", "Đặng Q. H", None]
PRIORITIES = [
    ("Ưu tiên: Người từ 75 tuổi", "Priority: aged 75 or over"),
    ("Ưu tiên: Trẻ em dưới 6 tuổi", "Priority: child under 6"),
    ("Ưu tiên: Phụ nữ có thai", "Priority: pregnant"),
]


def make_ticket(rng: random.Random, index: int) -> TicketPrintData:
    service_vi, service_en, prefix, room = rng.choice(SERVICES)
    priority = rng.choice(PRIORITIES) if rng.random() < 0.2 else (None, None)
    ahead = rng.randint(0, 60)
    return TicketPrintData(
        hospital_name="Bệnh viện Đa khoa tỉnh Thừa Thiên Huế",
        service_name_vi=service_vi,
        service_name_en=service_en,
        display_number=f"{prefix}{rng.randint(1, 999):03d}",
        room=room,
        directions=rng.choice(["Đi thẳng qua sảnh chính, rẽ trái cạnh quầy thuốc", "Lên cầu thang bộ bên phải", None]),
        directions_en=None,
        issued_at=datetime(2026, 3, 12, 6, 30, tzinfo=ICT) + timedelta(minutes=index),
        people_ahead=ahead,
        estimated_wait_min=ahead * rng.randint(2, 6),
        priority_label=priority[0],
        priority_label_en=priority[1],
        patient_name_masked=rng.choice(NAMES),
        bhyt_status=rng.choice(["BHYT: đã kiểm tra", "BHYT: đang kiểm tra", None]),
        bhyt_status_en=None,
        track_url=f"https://tiepdon.example.vn/t/{rng.getrandbits(40):010X}",
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    rng = random.Random(6)
    profile = PROFILE_80MM
    tickets = [make_ticket(rng, i) for i in range(TICKETS + 1)]

    def one(ticket: TicketPrintData) -> tuple[float, float, int]:
        start = time.perf_counter()
        blocks = render_blocks(layout_ticket(ticket, profile.width_dots), profile.width_dots, native_qr=profile.native_qr)
        rendered = time.perf_counter()
        stream = encode_blocks(blocks, profile)
        done = time.perf_counter()
        return (rendered - start) * 1000, (done - start) * 1000, len(stream)

    cold_raster_ms, cold_total_ms, _ = one(tickets[0])
    raster_ms, total_ms, sizes = [], [], []
    for ticket in tickets[1:]:
        raster, total, size = one(ticket)
        raster_ms.append(raster)
        total_ms.append(total)
        sizes.append(size)

    print(f"tickets: {TICKETS} at 80 mm ({profile.width_dots} dots, profile {profile.escpos_profile}, native QR)")
    print(f"cold first ticket: {cold_total_ms:.1f} ms (layout+raster {cold_raster_ms:.1f} ms)")
    print(
        "layout+raster ms: "
        f"p50={percentile(raster_ms, 0.5):.1f} p90={percentile(raster_ms, 0.9):.1f} "
        f"p99={percentile(raster_ms, 0.99):.1f} max={max(raster_ms):.1f}"
    )
    print(
        "layout+raster+encode ms: "
        f"p50={percentile(total_ms, 0.5):.1f} p90={percentile(total_ms, 0.9):.1f} "
        f"p99={percentile(total_ms, 0.99):.1f} max={max(total_ms):.1f}"
    )
    print(f"bytes per ticket: mean={statistics.mean(sizes):.0f} min={min(sizes)} max={max(sizes)}")
    print(
        f"printing: render_p50_ms={percentile(total_ms, 0.5):.1f} "
        f"render_p99_ms={percentile(total_ms, 0.99):.1f} bytes_per_ticket={round(statistics.mean(sizes))}"
    )


if __name__ == "__main__":
    main()
