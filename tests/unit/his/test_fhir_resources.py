"""FHIR R4 resources built from a check-in (no HTTP here; see tests/integration/his)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from backend.adapters.his.fhir_resources import (
    build_coverage,
    build_encounter,
    build_patient,
    escape_search_value,
    identifier_token,
    patient_identifier_tokens,
)
from backend.adapters.his.fhir_systems import BHXH_PAYOR_DISPLAY, DEFAULT_SYSTEMS, FhirSystems
from backend.services.ports.his import HisReason, HisRejected

SYSTEMS = DEFAULT_SYSTEMS


def _identifiers(resource) -> dict[str, str]:
    return {ident.system: ident.value for ident in resource.identifier}


def test_patient_carries_hospital_code_cccd_and_cards(make_registration):
    reg = make_registration(bhyt_codes=("DN4797920000099", "GD4797920000100"))
    patient = build_patient(reg, SYSTEMS)
    assert [(i.system, i.value) for i in patient.identifier] == [
        ("https://tiepdon.vn/fhir/sid/ma-bn/79001", "BN0001"),
        ("http://fhir.hl7.org.vn/core/sid/cccd", "079090000099"),
        ("http://fhir.hl7.org.vn/core/sid/bhyt", "DN4797920000099"),
        ("http://fhir.hl7.org.vn/core/sid/bhyt", "GD4797920000100"),
    ]
    assert [i.type.coding[0].code for i in patient.identifier] == ["MR", "NI", "MB", "MB"]
    (name,) = patient.name
    assert (name.text, name.family, name.given) == ("Nguyễn Văn An", "Nguyễn", ["Văn", "An"])
    assert patient.gender == "male"
    assert str(patient.birthDate) == "1985-03-15"


def test_year_only_birth_date_is_a_partial_fhir_date(make_registration):
    patient = build_patient(make_registration(dob=date(1950, 1, 1), dob_year_only=True), SYSTEMS)
    assert patient.model_dump(mode="json")["birthDate"] == "1950"


def test_patient_without_cccd_or_birth_date(make_registration):
    patient = build_patient(make_registration(cccd=None, dob=None, gender="unknown", full_name="Khải"), SYSTEMS)
    data = patient.model_dump(mode="json", exclude_none=True)
    assert "birthDate" not in data
    assert SYSTEMS.cccd not in _identifiers(patient)
    assert data["gender"] == "unknown"
    assert data["name"] == [{"use": "official", "text": "Khải"}]


def test_encounter_is_an_arrived_ambulatory_visit(make_registration):
    reg = make_registration(arrived_at=datetime(2024, 5, 1, 1, 5, tzinfo=timezone.utc))
    data = build_encounter(reg, "p-1", SYSTEMS).model_dump(mode="json", exclude_none=True)
    assert data["status"] == "arrived"
    assert data["class"] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "AMB",
        "display": "ambulatory",
    }
    assert data["identifier"] == [{"use": "official", "system": SYSTEMS.visit, "value": "LK-79001-20240501-0001"}]
    assert data["subject"] == {"reference": "Patient/p-1"}
    assert data["period"] == {"start": "2024-05-01T08:05:00+07:00"}  # hospital time, explicit offset
    assert data["serviceType"]["coding"] == [{"system": SYSTEMS.service, "code": "02.1896", "display": "Khám Nội"}]
    assert data["type"][0]["coding"][0]["code"] == "01"
    assert data["serviceProvider"]["identifier"] == {"system": SYSTEMS.facility, "value": "79001"}
    assert data["extension"][0]["valueCoding"]["code"] == "1.1"


def test_coverage_of_the_presented_card(make_registration):
    reg = make_registration(bhyt_codes=("DN4797920000099", "GD4797920000100"))
    data = build_coverage(reg, "DN4797920000099", "p-1", SYSTEMS).model_dump(mode="json", exclude_none=True)
    assert data["subscriberId"] == "DN4797920000099"
    assert data["identifier"] == [{"system": SYSTEMS.bhyt, "value": "DN4797920000099"}]
    assert data["status"] == "active"
    assert data["beneficiary"] == {"reference": "Patient/p-1"}
    assert data["payor"] == [{"display": BHXH_PAYOR_DISPLAY}]
    assert data["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert data["extension"] == [
        {
            "url": "http://fhir.hl7.org.vn/core/StructureDefinition/vn-ext-primary-care-facility",
            "valueReference": {"identifier": {"system": SYSTEMS.facility, "value": "79002"}},
        }
    ]


def test_other_cards_do_not_borrow_the_presented_cards_validity(make_registration):
    reg = make_registration(bhyt_codes=("DN4797920000099", "GD4797920000100"))
    data = build_coverage(reg, "GD4797920000100", "p-1", SYSTEMS).model_dump(mode="json", exclude_none=True)
    assert data["subscriberId"] == "GD4797920000100"
    assert "period" not in data and "extension" not in data


def test_systems_are_configurable(make_registration):
    systems = FhirSystems(cccd="urn:oid:1.2.3", patient_code_prefix="https://his.example/mrn")
    patient = build_patient(make_registration(), systems)
    assert _identifiers(patient)["urn:oid:1.2.3"] == "079090000099"
    assert "https://his.example/mrn/79001" in _identifiers(patient)


def test_search_tokens_escape_fhir_specials(make_registration):
    assert escape_search_value(r"a,b|c$d\e") == r"a\,b\|c\$d\\e"
    assert identifier_token("http://x/sid", "BN,1") == r"http://x/sid|BN\,1"
    tokens = patient_identifier_tokens(make_registration(), SYSTEMS)
    assert tokens[0] == "https://tiepdon.vn/fhir/sid/ma-bn/79001|BN0001"
    assert tokens[1:] == [
        "http://fhir.hl7.org.vn/core/sid/cccd|079090000099",
        "http://fhir.hl7.org.vn/core/sid/bhyt|DN4797920000099",
    ]


def test_data_the_fhir_model_refuses_is_rejected_without_quoting_it(make_registration):
    # FHIR `code` values may not contain runs of whitespace; the domain allows it in a service code.
    reg = make_registration(service_code="K  01")
    with pytest.raises(HisRejected) as caught:
        build_encounter(reg, "p-1", SYSTEMS)
    assert caught.value.reason == HisReason.INVALID_REGISTRATION
    assert "serviceType" in caught.value.details
    assert "K  01" not in caught.value.details and "K  01" not in str(caught.value)
