"""Linking a phone account to patient records (self, family with consent) and what it may see."""
from sqlalchemy import text

from tests.integration.mobile.conftest import AN, MAI, TOMORROW_8
from tests.support.cards import cccd_qr
from datetime import date

CONSENT = {"accepted": True}


def kiosk_identify(backend, scan: str) -> str:
    r = backend.client().post("/api/v1/kiosk/identify", headers=backend.kiosk_headers(),
                              json={"scan": scan, "consent": CONSENT})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["identify_token"]


def kiosk_ticket(backend, identify_token: str, service="KHAM-NOI", coverage="self_pay") -> dict:
    r = backend.client().post("/api/v1/tickets", headers=backend.kiosk_headers(), json={
        "identify_token": identify_token, "service_code": service, "coverage": coverage})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


AN_QR = cccd_qr("001090012345", "Nguyễn Văn An", date(1990, 8, 15), "Nam")
MAI_QR = cccd_qr("079305001234", "Trần Thị Mai", date(2005, 2, 2), "Nữ")


def test_link_my_card_checked_with_bhxh_and_follow_my_ticket(backend, phone):
    an = phone("0912000001").sign_in()
    link_id = an.link_self(AN)
    me = an.get("/api/v1/me").get_json()
    assert me["patients"] == [{"id": link_id, "relation": "self", "name_masked": "Nguyễn V. A",
                               "since": me["patients"][0]["since"]}]
    assert an.get("/api/v1/me/tickets").get_json()["tickets"] == []
    ticket = kiosk_ticket(backend, kiosk_identify(backend, AN_QR))
    mine = an.get("/api/v1/me/tickets").get_json()["tickets"]
    assert [t["id"] for t in mine] == [ticket["id"]]
    assert mine[0]["track_token"] == ticket["track_token"] and mine[0]["patient"]["id"] == link_id
    assert mine[0]["position"] == 1
    invoices = an.get("/api/v1/me/invoices").get_json()["invoices"]
    assert len(invoices) == 1 and invoices[0]["amount"] == 39000 and invoices[0]["ticket_id"] == ticket["id"]
    assert invoices[0]["track_token"] == ticket["track_token"]
    with backend.deps.uow.read() as uow:
        purposes = [r.purpose for r in uow.conn.execute(text("SELECT purpose FROM consents"))]
    assert "account_link" in purposes


def test_a_card_bhxh_does_not_confirm_is_not_linked(backend, phone):
    p = phone("0912000002").sign_in()
    r = p.post("/api/v1/me/patients", {"manual": {**AN, "dob": "16/08/1990"}, "consent": CONSENT})
    assert r.status_code == 422 and r.get_json()["code"] == "LINK_NOT_VERIFIED"
    no_consent = p.post("/api/v1/me/patients", {"manual": AN, "consent": {"accepted": False}})
    assert no_consent.get_json()["code"] == "CONSENT_REQUIRED"
    assert p.get("/api/v1/me").get_json()["patients"] == []


def stored_an(backend) -> dict:
    from backend.adapters.db.identity_models import PatientRow
    from sqlalchemy import select

    with backend.deps.uow.read() as uow:
        rows = list(uow.conn.execute(select(PatientRow)))
    assert len(rows) == 1
    return {"name_masked": rows[0].name_masked, **backend.deps.pii.decrypt(rows[0].data_enc)}


def test_a_phone_bhxh_does_not_confirm_changes_nobodys_record(backend, phone):
    kiosk_identify(backend, AN_QR)  # the record, as the card wrote it
    before = stored_an(backend)
    p = phone("0912000009").sign_in()
    # A photo of the card's QR with another name is no better than typing it.
    photo = cccd_qr("001090012345", "Lê Văn Tám", date(1990, 8, 15), "Nam")
    for body in ({"manual": {**AN, "dob": "16/08/1990"}}, {"manual": {**AN, "name": "Lê Văn Tám"}},
                 {"scan": photo}):
        r = p.post("/api/v1/me/patients", {**body, "consent": CONSENT})
        assert r.status_code == 422 and r.get_json()["code"] == "LINK_NOT_VERIFIED", r.get_json()
    assert stored_an(backend) == before and before["name"] == "Nguyễn Văn An" and before["dob_day"] == 15
    assert p.get("/api/v1/me").get_json()["patients"] == []


def test_one_phone_per_person_and_the_kiosk_moves_it(backend, phone):
    first = phone("0912000003").sign_in()
    first.link_self(AN)
    second = phone("0912000004").sign_in()
    r = second.post("/api/v1/me/patients", {"manual": AN, "consent": CONSENT})
    assert r.status_code == 409 and r.get_json()["code"] == "PATIENT_LINKED_ELSEWHERE"
    # Card in hand at a kiosk: the holder moves their record to the new phone.
    code = backend.client().post("/api/v1/kiosk/share-codes", headers=backend.kiosk_headers(), json={
        "identify_token": kiosk_identify(backend, AN_QR), "relation": "self", "consent": CONSENT})
    assert code.status_code == 201, code.get_json()
    moved = second.post("/api/v1/me/family", {"code": code.get_json()["code"].lower()})
    assert moved.status_code == 201 and moved.get_json()["relation"] == "self"
    assert first.get("/api/v1/me").get_json()["patients"] == []
    reused = phone("0912000005").sign_in().post("/api/v1/me/family", {"code": code.get_json()["code"]})
    assert reused.status_code == 422 and reused.get_json()["code"] == "SHARE_CODE_INVALID"


def test_family_follow_with_consent_and_its_withdrawal(backend, phone):
    mai = phone("0912000006").sign_in()
    mai.link_self(MAI)
    mother = phone("0912000007").sign_in()
    mother.link_self(AN)
    share = mai.post("/api/v1/me/share-codes", {"consent": CONSENT})
    assert share.status_code == 201 and share.get_json()["relation"] == "family"
    link = mother.post("/api/v1/me/family", {"code": share.get_json()["code"]})
    assert link.status_code == 201 and link.get_json() == {**link.get_json(), "relation": "family",
                                                           "name_masked": "Trần T. M"}
    ticket = kiosk_ticket(backend, kiosk_identify(backend, MAI_QR), "KHAM-SAN")
    assert [t["id"] for t in mother.get("/api/v1/me/tickets").get_json()["tickets"]] == [ticket["id"]]
    followers = mai.get("/api/v1/me/followers").get_json()["followers"]
    assert [f["phone_masked"] for f in followers] == ["09******07"]
    assert mai.delete(f"/api/v1/me/followers/{followers[0]['id']}").status_code == 204
    assert mother.get("/api/v1/me/tickets").get_json()["tickets"] == []
    with backend.deps.uow.read() as uow:
        purposes = {r.purpose for r in uow.conn.execute(text("SELECT purpose FROM consents"))}
    assert {"family_share", "family_share_withdrawn"} <= purposes


def test_one_account_cannot_reach_another_patients_things(backend, phone):
    an = phone("0912000008").sign_in()
    an_link = an.link_self(AN)
    mai = phone("0912000009").sign_in()
    mai_link = mai.link_self(MAI)
    appointment = mai.book(mai_link, TOMORROW_8).get_json()
    ticket = kiosk_ticket(backend, kiosk_identify(backend, MAI_QR))
    invoice_id = mai.get("/api/v1/me/invoices").get_json()["invoices"][0]["id"]
    # An enumerates Mai's ids (and some that do not exist): every answer is "not found" or empty.
    for appt_id in (appointment["id"], "doesnotexist0000"):
        for method, path, body in (("get", f"/api/v1/appointments/{appt_id}", None),
                                   ("get", f"/api/v1/appointments/{appt_id}/qr.png", None),
                                   ("post", f"/api/v1/appointments/{appt_id}/cancel", {}),
                                   ("post", f"/api/v1/appointments/{appt_id}/reschedule",
                                    {"start": "2026-11-24T09:00:00+07:00"}),
                                   ("post", f"/api/v1/appointments/{appt_id}/check-in", {"lobby_code": "12345678"})):
            r = getattr(an.client, method)(path, headers=an.headers, json=body)
            assert r.status_code == 404 and r.get_json()["code"] == "APPOINTMENT_NOT_FOUND", (path, r.get_json())
    assert an.get("/api/v1/appointments").get_json()["appointments"] == []
    assert an.get("/api/v1/me/tickets").get_json()["tickets"] == []
    assert an.get("/api/v1/me/invoices").get_json()["invoices"] == []
    # Booking for someone else's link, or unlinking it, is refused the same way.
    assert an.book(mai_link, TOMORROW_8).get_json()["code"] == "PATIENT_LINK_NOT_FOUND"
    assert an.delete(f"/api/v1/me/patients/{mai_link}").status_code == 404
    assert an.delete(f"/api/v1/me/followers/{mai_link}").status_code == 404
    # Without a track token the ticket and invoice routes do not answer for an account token either.
    assert an.get(f"/api/v1/tickets/{ticket['id']}").status_code == 404
    assert an.get(f"/api/v1/invoices/{invoice_id}").status_code in (401, 404)
    assert an_link != mai_link
    # Mai still sees all of hers.
    assert mai.get(f"/api/v1/appointments/{appointment['id']}").status_code == 200


def test_tokens_are_not_interchangeable_and_logout_ends_them(backend, phone):
    p = phone("0912000010").sign_in()
    kiosk = backend.client().get("/api/v1/me", headers=backend.kiosk_headers())
    assert kiosk.status_code == 401
    as_device = backend.client().post("/api/v1/kiosk/identify", headers=p.headers,
                                      json={"scan": AN_QR, "consent": CONSENT})
    assert as_device.status_code == 401
    assert p.post("/api/v1/me/logout").status_code == 204
    assert p.get("/api/v1/me").status_code == 401


def test_a_phone_typing_numbers_nobody_knows_is_bounded_like_a_kiosk(db_url, clock, bhxh_sim, sms):
    from tests.integration.mobile.conftest import FAST, Phone, bhxh_client
    from tests.support.app import make_backend
    from tests.support.cards import synthetic_cccd

    backend = make_backend(db_url, clock=clock, card_checker=bhxh_client(bhxh_sim), notifier=sms,
                           rate_otp=FAST, rate_account=FAST, manual_lookup_limit=(2, 3600))
    try:
        p = Phone(backend, sms, "0912000010").sign_in()
        made_up = [{"id_type": "cccd", "number": synthetic_cccd(800000 + i, 1985), "name": "Lê Văn Bình",
                    "dob": "01/01/1985"} for i in range(3)]
        for person in made_up[:2]:
            r = p.post("/api/v1/me/patients", {"manual": person, "consent": CONSENT})
            assert r.get_json()["code"] == "LINK_NOT_VERIFIED"
        r = p.post("/api/v1/me/patients", {"manual": made_up[2], "consent": CONSENT})
        assert r.status_code == 429 and r.get_json()["code"] == "MANUAL_LOOKUP_LIMIT"
        assert int(r.headers["Retry-After"]) > 0
        other = Phone(backend, sms, "0912000011").sign_in()
        assert other.post("/api/v1/me/patients", {"manual": AN, "consent": CONSENT}).status_code == 201
    finally:
        backend.app.extensions["tiepdon"].engine.dispose()
