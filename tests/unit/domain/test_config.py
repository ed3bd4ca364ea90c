from datetime import datetime, timezone

import pytest

from backend.settings.hospital import ConfigError, catalog_from_dict, load_catalog, parse_hours
from tests.support.app import CONFIG


def test_example_hospital_loads_with_every_required_clinic():
    catalog = load_catalog(CONFIG)
    names = " ".join(s.name_vi for s in catalog.services.values())
    for clinic in ("Nội", "Ngoại", "Sản", "Nhi", "Mắt", "Tai Mũi Họng", "Răng Hàm Mặt",
                   "Da liễu", "Y học cổ truyền", "Xét nghiệm", "Chẩn đoán hình ảnh", "Thu ngân",
                   "Nhà thuốc", "Tiếp đón"):
        assert clinic in names
    assert all(p.services for p in catalog.points.values())
    assert catalog.service("KHAM-NOI").fee_vnd == 39000


def test_opening_hours_in_hospital_time():
    hours = parse_hours("Mon-Fri 07:00-11:30 13:30-16:30; Sat 07:00-11:30")
    # Monday 23 Nov 2026: 09:00 Vietnam = 02:00 UTC
    assert hours.is_open(datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc))
    assert not hours.is_open(datetime(2026, 11, 23, 5, 0, tzinfo=timezone.utc))  # 12:00 lunch
    assert not hours.is_open(datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc))  # Sunday
    with pytest.raises(ConfigError):
        parse_hours("Someday 07:00-08:00")


def test_duplicate_prefix_is_refused():
    raw = {"hospital": {"code": "1", "name_vi": "a", "name_en": "a"},
           "services": [{"code": "X", "prefix": "A", "name_vi": "x", "name_en": "x"},
                        {"code": "Y", "prefix": "A", "name_vi": "y", "name_en": "y"}]}
    with pytest.raises(ConfigError, match="prefix A"):
        catalog_from_dict(raw)


def test_point_serving_unknown_service_is_refused():
    raw = {"hospital": {"code": "1", "name_vi": "a", "name_en": "a"},
           "services": [{"code": "X", "prefix": "A", "name_vi": "x", "name_en": "x"}],
           "points": [{"code": "P", "name_vi": "p", "name_en": "p", "services": ["Z"]}]}
    with pytest.raises(ConfigError, match="unknown service Z"):
        catalog_from_dict(raw)
