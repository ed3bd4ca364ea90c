"""Check-in with a card: identify, BHXH check, ticket on the visit, HIS registration via the outbox."""
import io
import json
import logging
from datetime import date

import requests
from sqlalchemy import func, select, text

from backend.adapters.db.identity_models import PatientRow
from backend.adapters.logs import log_handler
from backend.services.his_sync import not_in_his, retry_parked, sync_outbox
from backend.services.identification import recheck_pending
from backend.services.ports.his import HisRejected
from tests.support.cards import bhyt_qr, cccd_qr, synthetic_cccd

AN = cccd_qr("001090012345", "Nguyễn Văn An", date(1990, 8, 15), "Nam", "123456789")
MAI_BHYT = bhyt_qr("SV4797905001234", "Trần Thị Mai", "02/02/2005", 2, "01/01/2026", "31/12/2026")
CONSENT = {"accepted": True}


def identify(backend, **body):
    r = backend.client().post("/api/v1/kiosk/identify", json={"consent": CONSENT, **body},
                              headers=backend.kiosk_headers())
    return r


def ticket(backend, token, service="KHAM-NOI", coverage="bhyt", **extra):
    return backend.client().post("/api/v1/tickets", headers=backend.kiosk_headers(), json={
        "identify_token": token, "service_code": service, "coverage": coverage, **extra})


def patients(backend) -> int:
    with backend.deps.uow.read() as uow:
        return uow.conn.execute(select(func.count()).select_from(PatientRow)).scalar_one()


def test_cccd_scan_gives_a_masked_patient_bhyt_ok_and_a_token(backend):
    r = identify(backend, scan=AN)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["patient"] == {"name_masked": "Nguyễn V. A", "age": 36, "gender": "male",
                               "id_masked": "0010******45"}
    assert body["card"]["type"] == "cccd"
    assert body["bhyt_check"]["status"] == "ok" and body["bhyt_check"]["code"] == "000"
    assert body["open_visit"] is None and body["priority"] is None
    raw = r.get_data(as_text=True)
    assert "001090012345" not in raw and "Nguyễn Văn An" not in raw


def test_patient_data_is_encrypted_at_rest(backend):
    identify(backend, scan=AN)
    with backend.deps.uow.read() as uow:
        dump = " ".join(str(v) for row in uow.conn.execute(text("SELECT * FROM patients"))
                        for v in row)
        dump += " ".join(str(v) for row in uow.conn.execute(text("SELECT * FROM patient_identifiers"))
                         for v in row)
    assert "001090012345" not in dump and "Nguyễn Văn An" not in dump and "1990" not in dump


def test_ticket_from_identify_token_opens_a_visit_and_reaches_the_his_once(backend, his_sim):
    token = identify(backend, scan=AN).get_json()["identify_token"]
    r = ticket(backend, token)
    assert r.status_code == 201, r.get_json()
    t = r.get_json()
    assert sync_outbox(backend.deps) == {"sent": 1, "retry": 0, "parked": 0}
    assert sync_outbox(backend.deps)["sent"] == 0
    stats = his_sim.stats()
    assert stats["encounters_by_visit"] == {t["visit_id"]: 1}
    # Scanning again the same day offers the open visit instead of a second one
    again = identify(backend, scan=AN).get_json()
    assert again["open_visit"]["visit_id"] == t["visit_id"]
    assert again["open_visit"]["tickets"][0]["display_number"] == t["display_number"]
    dup = ticket(backend, again["identify_token"])
    assert dup.status_code == 409 and dup.get_json()["code"] == "VISIT_ALREADY_OPEN"
    assert dup.get_json()["ticket_id"] == t["id"]  # the kiosk shows the ticket already held
    other = ticket(backend, again["identify_token"], "KHAM-MAT")
    assert other.status_code == 201 and other.get_json()["visit_id"] == t["visit_id"]
    sync_outbox(backend.deps)
    assert his_sim.stats()["encounters"] == 1  # the second clinic is the same visit


def test_bhyt_card_scan_and_refused_card_offers_self_pay(backend):
    ok = identify(backend, scan=MAI_BHYT)
    assert ok.status_code == 200 and ok.get_json()["bhyt_check"]["status"] == "ok"
    assert ok.get_json()["card"]["valid_to"] == "2026-12-31"
    # A card BHXH reports as expired (maKetQua 010): BHYT refused, self-pay still possible
    thu = bhyt_qr("GD4010000000010", "Hoàng Thị Thu", "23/04/1988", 2, "01/01/2026", "31/12/2026")
    body = identify(backend, scan=thu).get_json()
    assert body["bhyt_check"]["status"] == "refused"
    assert body["bhyt_check"]["outcome"] == "refuse_bhyt_offer_self_pay"
    refused = ticket(backend, body["identify_token"])
    assert refused.status_code == 422 and refused.get_json()["code"] == "BHYT_REFUSED"
    assert ticket(backend, body["identify_token"], coverage="self_pay").status_code == 201


def test_age_gives_the_legal_priority(backend):
    child = cccd_qr("001222012345", "Nguyễn Minh Khôi", date(2022, 3, 10), "Nam")
    body = identify(backend, scan=child).get_json()
    assert body["priority"]["code"] == "child_under_6"
    t = ticket(backend, body["identify_token"], "KHAM-NHI", "self_pay").get_json()
    assert t["priority"]["code"] == "child_under_6"


def test_refusals_create_no_patient(backend):
    cases = [
        (identify(backend, scan="garbage|||"), "CARD_UNREADABLE"),
        (identify(backend, scan=AN.replace("Nguyễn Văn An", "NguyÃ¡Â»â€¦n VÃ„Æ’n An")), None),
        (identify(backend, scan=bhyt_qr("DN4010123456789", "Trần Thị Bình", "15/08/1990", 2,
                                        "01/01/2025", "31/12/2025")), "CARD_EXPIRED"),
        (backend.client().post("/api/v1/kiosk/identify", json={"scan": AN, "consent": {"accepted": False}},
                               headers=backend.kiosk_headers()), "CONSENT_REQUIRED"),
        (backend.client().post("/api/v1/kiosk/identify", json={"scan": AN},
                               headers=backend.kiosk_headers()), "VALIDATION_ERROR"),
        (identify(backend, scan=AN, manual={"id_type": "cccd", "number": "001090012345"}),
         "VALIDATION_ERROR"),
        (backend.client().post("/api/v1/kiosk/identify", json={"scan": AN, "consent": CONSENT}),
         "UNAUTHORIZED"),
    ]
    for response, code in cases:
        assert response.status_code in (401, 422), response.get_json()
        if code:
            assert response.get_json()["code"] == code
        assert response.get_json()["title"]
    assert patients(backend) == 0


def test_manual_entry_matches_the_scanned_patient(backend):
    scanned = identify(backend, scan=AN).get_json()
    typed = identify(backend, manual={"id_type": "cccd", "number": "001090012345",
                                      "name": "Nguyễn Văn An", "dob": "15/08/1990"}).get_json()
    assert typed["patient"]["id_masked"] == scanned["patient"]["id_masked"]
    assert patients(backend) == 1


def test_tampered_or_expired_identify_token(backend, clock):
    token = identify(backend, scan=AN).get_json()["identify_token"]
    r = ticket(backend, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert r.status_code == 422 and r.get_json()["code"] == "IDENTIFY_TOKEN_INVALID"
    clock.advance(minutes=11)
    r = ticket(backend, token)
    assert r.status_code == 422 and r.get_json()["code"] == "IDENTIFY_TOKEN_INVALID"


def test_his_outage_100_check_ins_all_registered_exactly_once(backend, his_sim, clock):
    his_sim.set_mode("down")
    visits = []
    for i in range(100):
        scan = cccd_qr(synthetic_cccd(i), "Lê Văn Bình", date(1980, 1, 1), "Nam")
        token = identify(backend, scan=scan).get_json()["identify_token"]
        r = ticket(backend, token, coverage="self_pay")
        assert r.status_code == 201  # the check-in never waits for the HIS
        visits.append(r.get_json()["visit_id"])
    assert sync_outbox(backend.deps, limit=200)["retry"] == 100
    assert len(backend.client().get("/api/v1/health").get_json()) > 0
    his_sim.set_mode("ok")
    for _ in range(10):  # retries back off; move the clock past them
        clock.advance(minutes=10)
        sync_outbox(backend.deps, limit=200)
    stats = his_sim.stats()
    assert stats["encounters_by_visit"] == {v: 1 for v in visits}


def test_bhxh_outage_visits_go_ahead_pending_then_checked(backend, bhxh_sim, clock):
    requests.post(bhxh_sim.url + "/_sim/config", json={"mode": "down"}).raise_for_status()
    body = identify(backend, scan=MAI_BHYT).get_json()
    assert body["bhyt_check"]["status"] == "pending"
    t = ticket(backend, body["identify_token"])
    assert t.status_code == 201  # the patient is not held up
    backend.add_staff("hoa", "reception")
    staff = backend.login("hoa")
    flagged = staff.get("/api/v1/visits/bhyt-flagged").get_json()["visits"]
    assert [v["status"] for v in flagged] == ["pending"]
    assert recheck_pending(backend.deps) == 0  # not due yet
    clock.advance(minutes=1)
    assert recheck_pending(backend.deps) == 0  # still down
    requests.post(bhxh_sim.url + "/_sim/config", json={"mode": "ok"}).raise_for_status()
    clock.advance(minutes=5)
    assert recheck_pending(backend.deps) == 1
    assert staff.get("/api/v1/visits/bhyt-flagged").get_json()["visits"] == []
    assert backend.publisher.events[-1][0] == "alert"


def test_staff_see_visits_not_yet_in_the_his(backend, his_sim):
    his_sim.set_mode("down")
    token = identify(backend, scan=AN).get_json()["identify_token"]
    ticket(backend, token)
    sync_outbox(backend.deps)
    backend.add_staff("hoa", "reception")
    rows = backend.login("hoa").get("/api/v1/visits/not-in-his").get_json()["visits"]
    assert len(rows) == 1 and rows[0]["name_masked"] == "Nguyễn V. A" and rows[0]["attempts"] == 1
    assert backend.client().get("/api/v1/visits/not-in-his").status_code == 401


def test_no_personal_data_in_the_logs_of_a_full_check_in(backend, caplog):
    caplog.set_level(logging.DEBUG)
    json_out = io.StringIO()  # and the JSON lines (TIEPDON_LOG_FORMAT=json) with all their fields
    handler = log_handler("json", json_out)
    logging.getLogger().addHandler(handler)
    try:
        for scan in (AN, MAI_BHYT):
            token = identify(backend, scan=scan).get_json()["identify_token"]
            ticket(backend, token)
        sync_outbox(backend.deps)
    finally:
        logging.getLogger().removeHandler(handler)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # the run did log something
    lines = [json.loads(line) for line in json_out.getvalue().splitlines()]
    assert any(line.get("route") == "/api/v1/kiosk/identify" and line["request_id"] != "-" for line in lines)
    logged += "\n" + json_out.getvalue() + "\n" + "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for secret in ("001090012345", "Nguyễn Văn An", "SV4797905001234", "Trần Thị Mai", "4797905001234",
                   "15/08/1990", "Nguy", "1990-08-15"):
        assert secret not in logged


def test_xml0_export_is_audited_and_staff_only(backend, clock):
    from backend.adapters.his.xml0 import parse_xml0_document

    t = ticket(backend, identify(backend, scan=AN).get_json()["identify_token"]).get_json()
    backend.add_staff("quantri", "admin")
    admin = backend.login("quantri")
    backend.add_staff("bs", "room", ["P101"])
    assert backend.login("bs").get(f"/api/v1/visits/{t['visit_id']}/xml0").status_code == 403
    r = admin.get(f"/api/v1/visits/{t['visit_id']}/xml0")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    fields = parse_xml0_document(r.data)[0]
    assert fields["MA_LK"] == t["visit_id"] and fields["SO_CCCD"] == "001090012345"
    assert fields["NGAY_SINH"] == "199008150000" and fields["GIOI_TINH"] == "1"
    start = (clock.now.replace(hour=0)).isoformat()
    end = (clock.now.replace(hour=23)).isoformat()
    entries = admin.get("/api/v1/audit", query_string={"from": start, "to": end}).get_json()["entries"]
    assert any(e["action"] == "visit.xml0_export" and e["subject"] == t["visit_id"] for e in entries)


def test_year_only_date_of_birth_still_gives_age_and_priority(backend):
    r = identify(backend, manual={"id_type": "bhyt", "number": "HT2140000001940",
                                  "name": "Lò Văn Pành", "dob": "1940"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["patient"]["age"] == 86
    assert body["priority"]["code"] == "elderly_75"
    assert body["bhyt_check"]["status"] == "ok"


class RejectingHis:
    """An HIS that refuses the registration for good (its data, not its health)."""

    def register_visit(self, reg):
        raise HisRejected("invalid", status_code=422, issue_codes=("invalid",))


def test_a_registration_the_his_refuses_is_parked_for_staff_then_sent_after_a_retry(backend, his_sim, monkeypatch):
    token = identify(backend, scan=AN).get_json()["identify_token"]
    visit_id = ticket(backend, token).get_json()["visit_id"]
    real = backend.deps.his
    monkeypatch.setattr(backend.deps, "his", RejectingHis())
    assert sync_outbox(backend.deps) == {"sent": 0, "retry": 0, "parked": 1}
    [waiting] = not_in_his(backend.deps)
    assert (waiting["visit_id"], waiting["status"], waiting["last_error"]) == (visit_id, "parked", "invalid")
    assert sync_outbox(backend.deps)["parked"] == 0  # parked: not tried again by itself
    monkeypatch.setattr(backend.deps, "his", real)
    retry_parked(backend.deps, visit_id)
    assert sync_outbox(backend.deps)["sent"] == 1
    assert not_in_his(backend.deps) == [] and his_sim.stats()["encounters_by_visit"] == {visit_id: 1}
