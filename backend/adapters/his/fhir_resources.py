"""Builds the FHIR R4 Patient, Coverage and Encounter of a check-in. Pure: no HTTP.

Models come from `fhir.resources.R4B`: the library's top-level package is FHIR R5, and its R4B
subpackage is the closest to R4 it offers. Patient, Encounter and Coverage (and the Bundle,
OperationOutcome and CapabilityStatement parts we touch) are structurally identical in R4 and R4B,
so what we send is valid R4. Building through the models means a malformed resource fails here,
locally and permanently, instead of at the HIS.
"""

from __future__ import annotations

from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.patient import Patient
from pydantic import ValidationError

from backend.domain.his_record import VisitRegistration
from backend.services.ports.his import HisReason, HisRejected

from .fhir_systems import BHXH_PAYOR_DISPLAY, V2_IDENTIFIER_TYPE, V3_ACT_CODE, FhirSystems

VISIT_KIND_DISPLAY = {"01": "Khám bệnh", "02": "Điều trị ngoại trú", "03": "Điều trị nội trú"}

# Characters with a meaning inside FHIR search values (R4 §3.1.1.6, "escaping search parameters").
_SEARCH_SPECIALS = ("\\", ",", "|", "$")


def escape_search_value(value: str) -> str:
    for special in _SEARCH_SPECIALS:
        value = value.replace(special, "\\" + special)
    return value


def identifier_token(system: str, value: str) -> str:
    """A token search value `system|value`, escaped so ids containing , or | still match exactly."""
    return f"{escape_search_value(system)}|{escape_search_value(value)}"


def patient_identifier_tokens(reg: VisitRegistration, systems: FhirSystems) -> list[str]:
    """Every identifier the HIS might already know this patient by, most specific first."""
    tokens = [identifier_token(systems.patient_code(reg.hospital_code), reg.patient_id)]
    if reg.cccd:
        tokens.append(identifier_token(systems.cccd, reg.cccd))
    tokens.extend(identifier_token(systems.bhyt, code) for code in reg.bhyt_codes)
    return tokens


def _identifier_type(code: str, display: str) -> dict:
    return {"coding": [{"system": V2_IDENTIFIER_TYPE, "code": code, "display": display}]}


def _human_name(full_name: str) -> dict:
    name: dict = {"use": "official", "text": full_name}
    words = full_name.split()
    # Vietnamese names put the family name first ("Nguyễn Văn An": family Nguyễn, given Văn An).
    if len(words) >= 2:
        name["family"] = words[0]
        name["given"] = words[1:]
    return name


def _birth_date(reg: VisitRegistration) -> str | None:
    if reg.dob is None:
        return None
    # FHIR dates may be partial; a year-only birth date is simply "1950".
    return f"{reg.dob.year:04d}" if reg.dob_year_only else reg.dob.isoformat()


def _validated(model: type, data: dict):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Only field locations: pydantic's own message quotes the input, which is personal data.
        where = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors(include_input=False)})
        raise HisRejected(
            HisReason.INVALID_REGISTRATION,
            issue_codes=("invalid",),
            details=f"{model.__name__} invalid at: {', '.join(where)}",
        ) from None


def build_patient(reg: VisitRegistration, systems: FhirSystems) -> Patient:
    identifiers = [
        {
            "use": "usual",
            "type": _identifier_type("MR", "Medical record number"),
            "system": systems.patient_code(reg.hospital_code),
            "value": reg.patient_id,
        }
    ]
    if reg.cccd:
        identifiers.append(
            {
                "use": "official",
                "type": _identifier_type("NI", "National unique individual identifier"),
                "system": systems.cccd,
                "value": reg.cccd,
            }
        )
    for code in reg.bhyt_codes:
        identifiers.append(
            {
                "use": "secondary",
                "type": _identifier_type("MB", "Member Number"),
                "system": systems.bhyt,
                "value": code,
            }
        )
    data: dict = {
        "resourceType": "Patient",
        "identifier": identifiers,
        "active": True,
        "name": [_human_name(reg.full_name)],
        "gender": reg.gender,
    }
    birth_date = _birth_date(reg)
    if birth_date:
        data["birthDate"] = birth_date
    return _validated(Patient, data)


def build_coverage(reg: VisitRegistration, card_code: str, patient_id: str, systems: FhirSystems) -> Coverage:
    """Coverage for one BHYT card. Validity and MA_DKBD belong to the presented card, `bhyt_codes[0]`."""
    presented = card_code == reg.bhyt_codes[0]
    data: dict = {
        "resourceType": "Coverage",
        "identifier": [{"system": systems.bhyt, "value": card_code}],
        "status": "active",
        "type": {
            "coding": [{"system": V3_ACT_CODE, "code": "PUBLICPOL", "display": "public healthcare"}],
            "text": "Bảo hiểm y tế",
        },
        "subscriberId": card_code,
        "beneficiary": {"reference": f"Patient/{patient_id}"},
        "payor": [{"display": BHXH_PAYOR_DISPLAY}],
    }
    if presented and (reg.card_valid_from or reg.card_valid_to):
        period = {}
        if reg.card_valid_from:
            period["start"] = reg.card_valid_from.isoformat()
        if reg.card_valid_to:
            period["end"] = reg.card_valid_to.isoformat()
        data["period"] = period
    if presented and reg.ma_dkbd:
        data["extension"] = [
            {
                "url": systems.primary_care_facility_extension,
                "valueReference": {"identifier": {"system": systems.facility, "value": reg.ma_dkbd}},
            }
        ]
    return _validated(Coverage, data)


def build_encounter(reg: VisitRegistration, patient_id: str, systems: FhirSystems) -> Encounter:
    visit_kind: dict = {"system": systems.visit_kind, "code": reg.ma_loai_kcb}
    if reg.ma_loai_kcb in VISIT_KIND_DISPLAY:
        visit_kind["display"] = VISIT_KIND_DISPLAY[reg.ma_loai_kcb]
    data: dict = {
        "resourceType": "Encounter",
        "identifier": [{"use": "official", "system": systems.visit, "value": reg.visit_id}],
        "status": "arrived",
        "class": {"system": V3_ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [{"coding": [visit_kind]}],
        "serviceType": {
            "coding": [{"system": systems.service, "code": reg.service_code, "display": reg.service_name}],
            "text": reg.service_name,
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "period": {"start": reg.arrived_at_local.isoformat(timespec="seconds")},
        "serviceProvider": {"identifier": {"system": systems.facility, "value": reg.hospital_code}},
    }
    if reg.ma_doituong_kcb:
        data["extension"] = [
            {
                "url": systems.patient_category_extension,
                "valueCoding": {"system": systems.patient_category, "code": reg.ma_doituong_kcb},
            }
        ]
    return _validated(Encounter, data)
