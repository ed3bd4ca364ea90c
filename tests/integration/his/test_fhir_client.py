"""The real FHIR client against the HIS simulator, over HTTP."""

from __future__ import annotations

import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from backend.adapters.his.fhir_client import FhirHisClient
from backend.adapters.his.fhir_systems import BHXH_PAYOR_DISPLAY, DEFAULT_SYSTEMS
from backend.services.ports.his import HisGateway, HisReason, HisRejected, HisUnavailable

from .conftest import SIM_TOKEN

VISIT = DEFAULT_SYSTEMS.visit


def _encounters_for(his, visit_id: str) -> list[dict]:
    bundle = his.get("Encounter", identifier=f"{VISIT}|{visit_id}").json()
    return [entry["resource"] for entry in bundle.get("entry", [])]


def test_client_is_a_his_gateway(client):
    assert isinstance(client, HisGateway)


def test_cccd_only_patient(his, client, make_registration):
    reg = make_registration(bhyt_codes=(), ma_dkbd=None, card_valid_from=None, card_valid_to=None, ma_doituong_kcb=None)
    before = his.stats()

    receipt = client.register_visit(reg)

    assert receipt.patient_created and receipt.encounter_created
    assert receipt.his_coverage_ids == ()
    after = his.stats()
    assert after["patients"] == before["patients"] + 1
    assert after["coverages"] == 0
    assert after["encounters_by_visit"] == {reg.visit_id: 1}

    patient = his.get(f"Patient/{receipt.his_patient_id}").json()
    assert {"system": DEFAULT_SYSTEMS.cccd, "value": reg.cccd} in [
        {"system": i["system"], "value": i["value"]} for i in patient["identifier"]
    ]
    assert patient["name"][0]["text"] == "Nguyễn Văn Bình"
    (encounter,) = _encounters_for(his, reg.visit_id)
    assert encounter["id"] == receipt.his_encounter_id
    assert encounter["status"] == "arrived"
    assert encounter["class"]["code"] == "AMB"
    assert encounter["subject"] == {"reference": f"Patient/{receipt.his_patient_id}"}
    assert encounter["period"]["start"] == "2024-05-01T08:05:00+07:00"
    assert encounter["serviceType"]["coding"][0]["code"] == "02.1896"


def test_bhyt_patient_gets_a_coverage(his, client, make_registration):
    reg = make_registration()

    receipt = client.register_visit(reg)

    (coverage_id,) = receipt.his_coverage_ids
    coverage = his.get(f"Coverage/{coverage_id}").json()
    assert coverage["subscriberId"] == reg.bhyt_codes[0]
    assert coverage["beneficiary"] == {"reference": f"Patient/{receipt.his_patient_id}"}
    assert coverage["payor"] == [{"display": BHXH_PAYOR_DISPLAY}]
    assert coverage["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert coverage["extension"][0]["valueReference"]["identifier"]["value"] == "79002"
    assert his.stats()["coverages"] == 1


def test_same_visit_twice_makes_one_encounter(his, client, make_registration):
    reg = make_registration()

    first = client.register_visit(reg)
    second = client.register_visit(reg)

    assert second.his_encounter_id == first.his_encounter_id
    assert second.his_patient_id == first.his_patient_id
    assert second.his_coverage_ids == first.his_coverage_ids
    assert (first.encounter_created, second.encounter_created) == (True, False)
    assert second.patient_created is False
    stats = his.stats()
    assert stats["encounters_by_visit"] == {reg.visit_id: 1}
    assert stats["coverages"] == 1


def test_a_second_visit_of_the_same_patient_reuses_patient_and_card(his, client, make_registration):
    first_visit = make_registration()
    second_visit = make_registration(
        patient_id=first_visit.patient_id, cccd=first_visit.cccd, bhyt_codes=first_visit.bhyt_codes
    )

    first = client.register_visit(first_visit)
    second = client.register_visit(second_visit)

    assert second.his_patient_id == first.his_patient_id and not second.patient_created
    assert second.his_coverage_ids == first.his_coverage_ids
    assert second.his_encounter_id != first.his_encounter_id
    stats = his.stats()
    assert stats["encounters_by_visit"] == {first_visit.visit_id: 1, second_visit.visit_id: 1}


def test_existing_his_patient_is_found_by_cccd(his, client, make_registration):
    # seed-1 is a patient the HIS registered itself, known only by CCCD.
    before = his.stats()["patients"]
    receipt = client.register_visit(make_registration(cccd="079090000001", bhyt_codes=(), ma_dkbd=None,
                                                      card_valid_from=None, card_valid_to=None))
    assert receipt.his_patient_id == "seed-1"
    assert not receipt.patient_created
    assert his.stats()["patients"] == before


def test_lost_encounter_reply_then_retry_makes_one_encounter(his, client, make_registration):
    reg = make_registration()
    # The HIS stores the Encounter but the reply is lost.
    his.configure(mode="commit_then_500", fault_resource="Encounter")
    with pytest.raises(HisUnavailable) as caught:
        client.register_visit(reg)
    assert caught.value.reason == HisReason.SERVER_ERROR
    assert his.stats()["encounters_by_visit"] == {reg.visit_id: 1}

    his.configure(mode="ok")
    receipt = client.register_visit(reg)

    assert receipt.encounter_created is False
    assert his.stats()["encounters_by_visit"] == {reg.visit_id: 1}
    assert his.stats()["coverages"] == 1


def test_concurrent_workers_on_one_visit_make_one_patient_and_one_encounter(his, make_registration):
    reg = make_registration()
    before = his.stats()["patients"]

    def register_once(_):
        with FhirHisClient(his.base_url, auth_token=SIM_TOKEN) as own_client:
            return own_client.register_visit(reg)

    with ThreadPoolExecutor(max_workers=6) as pool:
        receipts = list(pool.map(register_once, range(6)))

    assert len({r.his_encounter_id for r in receipts}) == 1
    assert sum(r.encounter_created for r in receipts) == 1
    stats = his.stats()
    assert stats["encounters_by_visit"] == {reg.visit_id: 1}
    assert stats["patients"] == before + 1
    assert stats["coverages"] == 1


def test_server_that_returns_minimal_bodies(his, client, make_registration):
    his.configure(return_minimal=True)
    receipt = client.register_visit(make_registration())
    # Ids then come from the Location header; they must name real resources.
    assert his.get(f"Patient/{receipt.his_patient_id}").status_code == 200
    assert his.get(f"Encounter/{receipt.his_encounter_id}").status_code == 200
    assert his.get(f"Coverage/{receipt.his_coverage_ids[0]}").status_code == 200


@pytest.mark.parametrize(
    ("mode", "status", "reason", "retry_after"),
    [
        ("error500", 500, HisReason.SERVER_ERROR, None),
        ("down", 503, HisReason.SERVER_ERROR, 1.0),
        ("throttle", 429, HisReason.THROTTLED, 2.0),
    ],
)
def test_server_faults_are_transient(his, client, make_registration, mode, status, reason, retry_after):
    his.configure(mode=mode)
    with pytest.raises(HisUnavailable) as caught:
        client.register_visit(make_registration())
    assert (caught.value.status_code, caught.value.reason, caught.value.retry_after) == (status, reason, retry_after)
    assert his.stats()["encounters"] == 0


def test_slow_his_times_out_quickly(his, make_registration):
    his.configure(mode="slow", slow_ms=1500)
    started = time.monotonic()
    with FhirHisClient(his.base_url, auth_token=SIM_TOKEN, read_timeout=0.2) as impatient:
        with pytest.raises(HisUnavailable) as caught:
            impatient.register_visit(make_registration())
    assert caught.value.reason == HisReason.TIMEOUT
    assert time.monotonic() - started < 1.2


def test_unreachable_his_is_transient(make_registration):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with FhirHisClient(f"http://127.0.0.1:{closed_port}") as nowhere:
        with pytest.raises(HisUnavailable) as caught:
            nowhere.register_visit(make_registration())
    assert caught.value.reason == HisReason.CONNECTION_FAILED


def test_wrong_token_is_transient_until_fixed(his, make_registration):
    with FhirHisClient(his.base_url, auth_token="expired") as misconfigured:
        with pytest.raises(HisUnavailable) as caught:
            misconfigured.register_visit(make_registration())
    assert (caught.value.reason, caught.value.status_code) == (HisReason.AUTH_FAILED, 401)


def test_data_the_his_refuses_is_rejected(his, client, make_registration):
    # The domain accepts any CCCD text; a VN Core-aware HIS insists on 12 digits.
    with pytest.raises(HisRejected) as caught:
        client.register_visit(make_registration(cccd="12345"))
    assert caught.value.status_code == 422
    assert caught.value.reason == HisReason.INVALID_REQUEST
    assert caught.value.issue_codes == ("value",)
    assert "12 digits" in caught.value.details
    assert his.stats()["encounters"] == 0


def test_data_the_fhir_model_refuses_never_reaches_the_his(his, client, make_registration):
    before = his.stats()
    with pytest.raises(HisRejected) as caught:
        client.register_visit(make_registration(service_code="K  01"))
    assert caught.value.reason == HisReason.INVALID_REGISTRATION
    after = his.stats()
    assert after["requests"] == {}
    assert after["patients"] == before["patients"]


def test_two_his_patients_matching_one_person_are_left_to_staff(his, client, make_registration):
    # CCCD of seed-1 and card of seed-3: the HIS holds two records for what we think is one person.
    reg = make_registration(cccd="079090000001", bhyt_codes=("TE1790120000003",))
    with pytest.raises(HisRejected) as caught:
        client.register_visit(reg)
    assert caught.value.reason == HisReason.AMBIGUOUS_MATCH
    assert his.stats()["encounters"] == 0


def test_capability_statement(client):
    statement = client.fetch_capability_statement()
    assert statement.fhirVersion == "4.0.1"
    encounter = next(r for r in statement.rest[0].resource if r.type == "Encounter")
    assert encounter.conditionalCreate is True


def test_logs_carry_no_personal_data(his, client, make_registration, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 and werkzeug included
    reg = make_registration(full_name="Hoàng Thị Riêngtư", cccd="079085099999", bhyt_codes=("GD4797999999999",))
    secrets = [reg.full_name, "Riêngtư", reg.cccd, reg.bhyt_codes[0], reg.patient_id]

    client.register_visit(reg)
    client.register_visit(reg)
    with pytest.raises(HisRejected) as rejected:
        client.register_visit(make_registration(full_name=reg.full_name, cccd="0790"))  # new person, bad CCCD
    his.configure(mode="error500")
    with pytest.raises(HisUnavailable) as unavailable:
        client.register_visit(reg)

    messages = [record.getMessage() for record in caplog.records]
    assert any("create Encounter -> 201" in message for message in messages)  # the logging did happen
    assert any("rejected" in message for message in messages)
    logged = "\n".join(messages) + "\n" + caplog.text + str(rejected.value) + str(unavailable.value)
    for secret in secrets:
        assert secret not in logged
