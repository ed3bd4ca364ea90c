"""Visit registrations for the HIS tests (unit: the record; integration: the FHIR simulator)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from backend.domain.his_record import HOSPITAL_TZ, VisitRegistration


def visit_registration(number: int | None = None, **overrides: Any) -> VisitRegistration:
    """A BHYT patient checking in for an outpatient exam; override any field.

    `number`: a distinct patient and visit (visit_id, patient_id, CCCD and card all carry it), for a
    HIS that remembers what it was sent; None: the one fixed example patient."""
    if number is None:
        fields: dict[str, Any] = {"visit_id": "LK-79001-20240501-0001", "seq": 1, "patient_id": "BN0001",
                                  "full_name": "Nguyễn Văn An", "cccd": "079090000099",
                                  "bhyt_codes": ("DN4797920000099",)}
    else:
        fields = {"visit_id": f"LK-79001-20240501-{number:04d}", "seq": number, "patient_id": f"BN{number:05d}",
                  "full_name": "Nguyễn Văn Bình", "cccd": f"0790850{number:05d}",
                  "bhyt_codes": (f"DN47979200{number:05d}",)}
    fields.update({
        "arrived_at": datetime(2024, 5, 1, 8, 5, tzinfo=HOSPITAL_TZ),
        "hospital_code": "79001",
        "service_code": "02.1896",
        "service_name": "Khám Nội",
        "gender": "male",
        "dob": date(1985, 3, 15),
        "ma_dkbd": "79002",
        "card_valid_from": date(2024, 1, 1),
        "card_valid_to": date(2024, 12, 31),
        "ma_doituong_kcb": "1.1",
    })
    fields.update(overrides)
    return VisitRegistration(**fields)
