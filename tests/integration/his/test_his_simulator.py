"""The HIS simulator's own wire behaviour, spoken to with plain HTTP requests."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome

from backend.simulators.his import BHYT_SYSTEM, CCCD_SYSTEM, SEED_PATIENTS, VISIT_SYSTEM

from .conftest import SIM_TOKEN

AUTH = {"Authorization": f"Bearer {SIM_TOKEN}"}
FHIR_HEADERS = {**AUTH, "Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def _post(his, path: str, body: object, **headers: str) -> requests.Response:
    return requests.post(
        f"{his.base_url}/{path}", data=json.dumps(body).encode(), headers={**FHIR_HEADERS, **headers}, timeout=5
    )


def _patient(value: str, system: str = "https://his.example/mrn", **extra: object) -> dict:
    return {"resourceType": "Patient", "identifier": [{"system": system, "value": value}], "gender": "female", **extra}


def _outcome(response: requests.Response) -> OperationOutcome:
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    return OperationOutcome.model_validate(response.json())


def test_metadata_is_a_valid_r4_capability_statement(his):
    response = his.get("metadata")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    assert {r.type for r in statement.rest[0].resource} == {"Patient", "Encounter", "Coverage"}


def test_seeded_patients_are_searchable_by_identifier(his):
    assert his.stats()["patients"] == len(SEED_PATIENTS)
    response = his.get("Patient", identifier=f"{CCCD_SYSTEM}|079090000001")
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset" and bundle.total == 1
    assert bundle.entry[0].resource.id == "seed-1"
    either = his.get("Patient", identifier=f"{CCCD_SYSTEM}|079090000001,{BHYT_SYSTEM}|TE1790120000003").json()
    assert {entry["resource"]["id"] for entry in either["entry"]} == {"seed-1", "seed-3"}
    assert his.get("Patient", identifier=f"{BHYT_SYSTEM}|079090000001").json()["total"] == 0  # wrong system


def test_conditional_create_returns_the_existing_resource(his):
    condition = "identifier=https%3A%2F%2Fhis.example%2Fmrn%7CBN-7"
    first = _post(his, "Patient", _patient("BN-7"), **{"If-None-Exist": condition})
    second = _post(his, "Patient", _patient("BN-7"), **{"If-None-Exist": condition})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.headers["Location"].endswith(f"/Patient/{first.json()['id']}/_history/1")
    assert his.stats()["patients"] == len(SEED_PATIENTS) + 1


def test_conditional_create_matching_several_is_412(his):
    _post(his, "Patient", _patient("dup"))
    _post(his, "Patient", _patient("dup"))
    response = _post(his, "Patient", _patient("dup"), **{"If-None-Exist": "identifier=dup"})
    assert response.status_code == 412
    assert _outcome(response).issue[0].code == "duplicate"


def test_encounter_search_and_per_visit_stats(his):
    patient_id = _post(his, "Patient", _patient("BN-8")).json()["id"]
    encounter = {
        "resourceType": "Encounter",
        "identifier": [{"system": VISIT_SYSTEM, "value": "LK-8"}],
        "status": "arrived",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    condition = f"identifier={VISIT_SYSTEM}|LK-8"
    assert _post(his, "Encounter", encounter, **{"If-None-Exist": condition}).status_code == 201
    assert _post(his, "Encounter", encounter, **{"If-None-Exist": condition}).status_code == 200
    found = his.get("Encounter", identifier=f"{VISIT_SYSTEM}|LK-8").json()
    assert found["total"] == 1
    assert his.get("Encounter", subject=f"Patient/{patient_id}").json()["total"] == 1
    assert his.stats()["encounters_by_visit"] == {"LK-8": 1}


def test_search_values_honour_fhir_escaping(his):
    _post(his, "Patient", _patient("a,b"))
    assert his.get("Patient", identifier=r"https://his.example/mrn|a\,b").json()["total"] == 1
    assert his.get("Patient", identifier="https://his.example/mrn|a").json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (_patient("x", unknownField=1), 400, "invalid"),
        (_patient("x", birthDate="15/03/1985"), 400, "invalid"),
        (_patient("x", gender="robot"), 400, "code-invalid"),
        ({"resourceType": "Encounter", "status": "arrived", "class": {"code": "AMB"}}, 400, "invalid"),  # wrong type
        (_patient("0790", system=CCCD_SYSTEM), 422, "value"),
        ([1, 2], 400, "structure"),
    ],
)
def test_invalid_resources_get_an_operation_outcome(his, body, status, code):
    response = _post(his, "Patient", body)
    assert response.status_code == status
    assert _outcome(response).issue[0].code == code
    assert his.stats()["patients"] == len(SEED_PATIENTS)


def test_validation_outcome_does_not_echo_values(his):
    response = _post(his, "Patient", _patient("x", birthDate="Nguyễn Văn Lộ"))
    assert response.status_code == 400
    diagnostics = _outcome(response).issue[0].diagnostics
    assert "birthDate" in diagnostics and "Nguyễn" not in diagnostics


def test_references_must_point_to_known_patients(his):
    encounter = {
        "resourceType": "Encounter",
        "status": "arrived",
        "class": {"code": "AMB"},
        "subject": {"reference": "Patient/nobody"},
    }
    response = _post(his, "Encounter", encounter)
    assert response.status_code == 422
    assert his.stats()["encounters"] == 0


def test_protocol_errors(his):
    plain_text = {**AUTH, "Content-Type": "text/plain"}
    assert requests.post(f"{his.base_url}/Patient", data="{}", headers=plain_text, timeout=5).status_code == 415
    assert _outcome(his.get("Patient/does-not-exist")).issue[0].code == "not-found"
    assert his.get("Observation").status_code == 404
    assert his.get("Patient", name="Nguyễn").status_code == 400  # unsupported parameters are refused, not ignored
    assert requests.get(f"{his.base_url}/metadata", timeout=5).status_code == 401  # no token


def test_fault_switches(his):
    his.configure(mode="down", latency_ms=20)
    response = his.get("metadata")
    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    assert _outcome(response).issue[0].code == "transient"
    assert his.stats()["mode"] == "down"  # switches keep working while the HIS is "down"
    his.configure(mode="error500", fault_resource="Encounter")
    assert his.get("metadata").status_code == 200  # fault limited to Encounter
    assert his.get("Encounter", identifier="x").status_code == 500
    assert requests.post(f"{his.base_url}/_sim/config", json={"mode": "melting"}, timeout=5).status_code == 400
    assert requests.post(f"{his.base_url}/_sim/config", json={"colour": "red"}, timeout=5).status_code == 400
    his.reset(seed=False)
    assert his.stats()["patients"] == 0 and his.stats()["mode"] == "ok"


def test_command_line_entry_point_serves_fhir():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.simulators.his", "--port", str(port), "--no-seed"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/metadata", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, "simulator exited early"
                assert time.monotonic() < deadline, "simulator did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["resourceType"] == "CapabilityStatement"
        assert requests.get(f"http://127.0.0.1:{port}/_sim/stats", timeout=1).json()["patients"] == 0
    finally:
        process.terminate()
        process.wait(timeout=10)
