"""Shared builders for the HIS unit tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from backend.domain.his_record import HOSPITAL_TZ, VisitRegistration


def registration(**overrides: Any) -> VisitRegistration:
    """A BHYT patient checking in for an outpatient exam; override any field."""
    fields: dict[str, Any] = {
        "visit_id": "LK-79001-20240501-0001",
        "seq": 1,
        "patient_id": "BN0001",
        "full_name": "Nguyễn Văn An",
        "arrived_at": datetime(2024, 5, 1, 8, 5, tzinfo=HOSPITAL_TZ),
        "hospital_code": "79001",
        "service_code": "02.1896",
        "service_name": "Khám Nội",
        "gender": "male",
        "cccd": "079090000099",
        "dob": date(1985, 3, 15),
        "bhyt_codes": ("DN4797920000099",),
        "ma_dkbd": "79002",
        "card_valid_from": date(2024, 1, 1),
        "card_valid_to": date(2024, 12, 31),
        "ma_doituong_kcb": "1.1",
    }
    fields.update(overrides)
    return VisitRegistration(**fields)


@pytest.fixture
def make_registration():
    return registration
