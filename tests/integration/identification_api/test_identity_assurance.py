"""Identity has levels (DESIGN rule 9): a scanned card, a typed number BHXH confirms, a typed number
alone. A stranger who knows a patient's CCCD number (it is on every photocopy of the card) and types it
with a made-up name may get a new ticket, but never sees, changes or shares what the patient has."""
from datetime import date

import requests
from sqlalchemy import func, select

from backend.adapters.db.identity_models import PatientRow
from backend.adapters.his.xml0 import parse_xml0_document
from backend.services.auth import add_device
from tests.support.app import make_backend
from tests.support.cards import cccd_qr, synthetic_cccd

from .test_identify_api import AN, CONSENT, identify, ticket

AN_NUMBER = "001090012345"
# The birth year is in the number itself (digits 5–6): a stranger needs nothing else.
STRANGER = {"id_type": "cccd", "number": AN_NUMBER, "name": "Lê Văn Tám", "dob": "1990"}
AN_TYPED = {"id_type": "cccd", "number": AN_NUMBER, "name": "Nguyễn Văn An", "dob": "15/08/1990"}


def stored_record(backend, patient_id=None) -> dict:
    with backend.deps.uow.read() as uow:
        rows = list(uow.conn.execute(select(PatientRow)))
    row = next(r for r in rows if patient_id in (None, r.id))
    return {"name_masked": row.name_masked, **backend.deps.pii.decrypt(row.data_enc)}


def patients(backend) -> int:
    with backend.deps.uow.read() as uow:
        return uow.conn.execute(select(func.count()).select_from(PatientRow)).scalar_one()


def share_code(backend, token, relation="self", headers=None):
    return backend.client().post("/api/v1/kiosk/share-codes", headers=headers or backend.kiosk_headers(),
                                 json={"identify_token": token, "relation": relation, "consent": CONSENT})


def audit(backend, clock, admin):
    start, end = clock.now.replace(hour=0).isoformat(), clock.now.replace(hour=23).isoformat()
    return admin.get("/api/v1/audit", query_string={"from": start, "to": end}).get_json()["entries"]


def test_a_stranger_typing_a_known_cccd_sees_nothing_acts_on_nothing_changes_nothing(backend):
    card = identify(backend, scan=AN).get_json()
    assert card["assurance"]["level"] == "card"
    held = ticket(backend, card["identify_token"]).get_json()
    before = stored_record(backend)

    r = identify(backend, manual=STRANGER)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["bhyt_check"]["code"] == "060"  # BHXH said the name is wrong
    assert body["assurance"]["level"] == "typed"
    assert body["assurance"]["message_vi"] and body["assurance"]["message_en"]
    assert body["open_visit"] is None
    raw = r.get_data(as_text=True)
    for secret in (held["id"], held["visit_id"], held["track_token"], held["display_number"]):
        assert secret not in raw

    # A new ticket is allowed, but not on the patient's open visit: reception sorts it out.
    for service in ("KHAM-NOI", "KHAM-MAT"):
        t = ticket(backend, body["identify_token"], service, "self_pay")
        assert t.status_code == 409 and t.get_json()["code"] == "VISIT_OPEN_SEE_RECEPTION"
        assert "quầy tiếp đón" in t.get_json()["title"]
        raw = t.get_data(as_text=True)
        for secret in (held["id"], held["visit_id"], held["track_token"], held["display_number"]):
            assert secret not in raw
        assert "ticket_id" not in t.get_json()
    en = backend.client().post("/api/v1/tickets", headers=backend.kiosk_headers(**{"Accept-Language": "en"}),
                               json={"identify_token": body["identify_token"], "service_code": "KHAM-MAT",
                                     "coverage": "self_pay"})
    assert "reception" in en.get_json()["title"]

    refused = share_code(backend, body["identify_token"])
    assert refused.status_code == 403 and refused.get_json()["code"] == "IDENTITY_NOT_VERIFIED"
    assert share_code(backend, body["identify_token"], "family").status_code == 403

    # The record is the patient's, as the card wrote it.
    assert stored_record(backend) == before
    assert before["name"] == "Nguyễn Văn An" and before["dob_day"] == 15
    backend.add_staff("quantri", "admin")
    admin = backend.login("quantri")
    xml0 = parse_xml0_document(admin.get(f"/api/v1/visits/{held['visit_id']}/xml0").data)[0]
    assert xml0["HO_TEN"] == "Nguyễn Văn An" and xml0["NGAY_SINH"] == "199008150000"
    # The patient's own ticket is untouched, and still theirs.
    mine = backend.client().get(f"/api/v1/tickets/{held['id']}", query_string={"token": held["track_token"]})
    assert mine.get_json()["status"] == "waiting"


def test_no_answer_from_bhxh_is_no_confirmation(backend, bhxh_sim):
    ticket(backend, identify(backend, scan=AN).get_json()["identify_token"])
    before = stored_record(backend)
    requests.post(bhxh_sim.url + "/_sim/config", json={"mode": "down"}).raise_for_status()
    body = identify(backend, manual={**STRANGER, "name": "Nguyễn Văn Anh", "dob": "01/01/1990"}).get_json()
    assert body["bhyt_check"]["status"] == "pending"
    assert body["assurance"]["level"] == "typed" and body["open_visit"] is None
    assert stored_record(backend) == before
    assert share_code(backend, body["identify_token"]).status_code == 403


def test_a_typed_number_without_an_open_visit_gets_a_new_ticket(backend):
    identify(backend, scan=AN)  # known patient, nothing open today
    body = identify(backend, manual=STRANGER).get_json()
    t = ticket(backend, body["identify_token"], "KHAM-NOI", "self_pay")
    assert t.status_code == 201, t.get_json()
    # The visit it opened is open now: a typed number does not add to it either.
    assert ticket(backend, body["identify_token"], "KHAM-MAT", "self_pay").get_json()["code"] == \
        "VISIT_OPEN_SEE_RECEPTION"
    assert stored_record(backend)["name"] == "Nguyễn Văn An"


def test_a_scanned_card_still_sees_its_visit_and_may_share(backend):
    held = ticket(backend, identify(backend, scan=AN).get_json()["identify_token"]).get_json()
    again = identify(backend, scan=AN).get_json()
    assert again["assurance"]["level"] == "card"
    assert again["open_visit"]["tickets"][0]["track_token"] == held["track_token"]
    dup = ticket(backend, again["identify_token"])
    assert dup.status_code == 409 and dup.get_json()["ticket_id"] == held["id"]
    assert ticket(backend, again["identify_token"], "KHAM-MAT").status_code == 201
    code = share_code(backend, again["identify_token"])
    assert code.status_code == 201 and code.get_json()["relation"] == "self"


def test_a_typed_number_bhxh_confirms_updates_the_record_and_the_change_is_audited(backend, clock):
    # A stranger was first: an unknown number typed with a made-up name creates a record as typed.
    first = identify(backend, manual=STRANGER).get_json()
    assert first["assurance"]["level"] == "typed"
    held = ticket(backend, first["identify_token"], "KHAM-NOI", "self_pay").get_json()
    assert stored_record(backend)["name"] == "Lê Văn Tám"
    # The patient types the right details: BHXH confirms name and birth date.
    r = identify(backend, manual=AN_TYPED).get_json()
    assert r["bhyt_check"]["status"] == "ok" and r["assurance"]["level"] == "confirmed"
    assert r["assurance"]["message_vi"] is None
    assert r["open_visit"]["tickets"][0]["id"] == held["id"]  # confirmed: sees today's visit
    record = stored_record(backend)
    assert (record["name"], record["dob_year"], record["dob_month"], record["dob_day"]) == \
        ("Nguyễn Văn An", 1990, 8, 15)
    assert record["name_masked"] == "Nguyễn V. A"
    backend.add_staff("quantri", "admin")
    entries = audit(backend, clock, backend.login("quantri"))
    changes = [e for e in entries if e["action"] == "patient.update"]
    assert len(changes) == 1
    assert changes[0]["actor"].startswith("device:")
    assert changes[0]["detail"] == "fields=dob,name assurance=confirmed"
    created = [e for e in entries if e["action"] == "patient.create"]
    assert len(created) == 1 and created[0]["detail"] == "assurance=typed"
    for e in entries:
        assert "Nguyễn" not in (e["detail"] or "") and "Tám" not in (e["detail"] or "")
    # Typing the same details again changes nothing, so nothing more is audited.
    identify(backend, manual=AN_TYPED)
    assert len([e for e in audit(backend, clock, backend.login("quantri"))
                if e["action"] == "patient.update"]) == 1


def test_a_scanned_card_corrects_what_a_stranger_typed(backend, clock):
    identify(backend, manual=STRANGER)
    identify(backend, scan=AN)
    assert stored_record(backend)["name"] == "Nguyễn Văn An"
    backend.add_staff("quantri", "admin")
    updates = [e for e in audit(backend, clock, backend.login("quantri")) if e["action"] == "patient.update"]
    assert [u["detail"] for u in updates] == ["fields=dob,name assurance=card"]


def unknown(i: int) -> dict:
    return {"id_type": "cccd", "number": synthetic_cccd(700000 + i, year=1985), "name": "Lê Văn Bình",
            "dob": "01/01/1985"}


def test_typed_look_ups_of_unknown_numbers_are_bounded_per_kiosk(db_url, clock, bhxh_sim, his_sim):
    from .conftest import BhxhClient, DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD, DEFAULT_STAFF_NAME

    checker = BhxhClient(bhxh_sim.url, DEFAULT_ACCOUNT.username, DEFAULT_ACCOUNT.password,
                         DEFAULT_STAFF_NAME, DEFAULT_STAFF_CCCD, read_timeout=1.0)
    backend = make_backend(db_url, clock=clock, card_checker=checker, manual_lookup_limit=(3, 3600))
    try:
        identify(backend, scan=AN)
        for i in range(3):
            assert identify(backend, manual=unknown(i)).status_code == 200
        count, calls = patients(backend), requests.get(bhxh_sim.url + "/_sim/calls").json()["card_checks"]
        refused = identify(backend, manual=unknown(3))
        assert refused.status_code == 429 and refused.get_json()["code"] == "MANUAL_LOOKUP_LIMIT"
        assert "quầy tiếp đón" in refused.get_json()["title"]
        assert 0 < int(refused.headers["Retry-After"]) <= 3600
        en = backend.client().post("/api/v1/kiosk/identify", json={"manual": unknown(3), "consent": CONSENT},
                                   headers=backend.kiosk_headers(**{"Accept-Language": "en"}))
        assert en.status_code == 429 and "reception" in en.get_json()["title"]
        # Refused before any cost: no BHXH call, no record.
        assert patients(backend) == count
        assert requests.get(bhxh_sim.url + "/_sim/calls").json()["card_checks"] == calls
        # Numbers already known, and cards in hand, are not look-ups of unknown numbers.
        assert identify(backend, manual=AN_TYPED).status_code == 200
        assert identify(backend, manual=unknown(0)).status_code == 200
        other = cccd_qr(synthetic_cccd(700100, year=1985), "Lê Văn Bình", date(1985, 1, 1), "Nam")
        assert identify(backend, scan=other).status_code == 200
        # Another kiosk has its own count.
        _, token = add_device(backend.deps, "kiosk-tang-2")
        second = backend.client().post("/api/v1/kiosk/identify",
                                       json={"manual": unknown(4), "consent": CONSENT},
                                       headers={"Authorization": f"Bearer {token}"})
        assert second.status_code == 200, second.get_json()
        # The bound is per hour: the next hour counts afresh.
        clock.advance(hours=1)
        assert identify(backend, manual=unknown(5)).status_code == 200
    finally:
        backend.app.extensions["tiepdon"].engine.dispose()


def test_a_daily_bound_starts_again_at_midnight_in_vietnam(db_url, clock):
    backend = make_backend(db_url, clock=clock, manual_lookup_limit=(1, 86400))
    try:
        assert identify(backend, manual=unknown(10)).status_code == 200
        refused = identify(backend, manual=unknown(11))
        assert refused.status_code == 429 and refused.get_json()["retry_after_s"] == 15 * 3600
        assert refused.headers["Retry-After"] == str(15 * 3600)  # 09:00 → midnight, hospital time
        clock.advance(hours=15)
        assert identify(backend, manual=unknown(11)).status_code == 200
    finally:
        backend.app.extensions["tiepdon"].engine.dispose()


def test_the_bound_holds_when_several_processes_count_at_once(db_url):
    """Each thread has its own engine, as each backend process would: the database decides."""
    import threading
    from datetime import datetime, timezone

    from backend.adapters.db.engine import build_engine, gate_for
    from backend.adapters.db.migrate import upgrade
    from backend.adapters.db.uow import SqlUnitOfWorkFactory

    upgrade(db_url)
    engines = [build_engine(db_url) for _ in range(6)]
    window = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
    taken: list[bool] = []
    start = threading.Barrier(len(engines))

    def kiosk_process(engine):
        uows = SqlUnitOfWorkFactory(engine, gate_for(engine))
        start.wait()
        for _ in range(5):
            with uows.write() as uow:
                ok = uow.manual_lookups.take("device:sanh-a", window, 7)
                uow.commit()
            taken.append(ok)

    threads = [threading.Thread(target=kiosk_process, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for e in engines:
        e.dispose()
    assert len(taken) == 30 and taken.count(True) == 7
