"""Age-based priority comes only from a verified birth date: a scanned card, or a typed number whose
name and birth date BHXH confirmed. A typed number BHXH does not confirm gives no age priority, and a
declared reason on top of a verified age keeps the verified one."""
from datetime import date

from tests.integration.identification_api.test_identify_api import identify, ticket
from tests.support.cards import cccd_qr


def test_a_typed_birth_year_that_bhxh_does_not_confirm_gives_no_priority(backend):
    r = identify(backend, manual={"id_type": "bhyt", "number": "DN4019999999999",
                                  "name": "Người Lạ", "dob": "1940"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["bhyt_check"]["status"] != "ok"
    assert body["priority"] is None
    t = ticket(backend, body["identify_token"], coverage="self_pay")
    assert t.status_code == 201 and t.get_json()["priority"] is None


def test_a_confirmed_typed_birth_year_gives_the_priority(backend):
    r = identify(backend, manual={"id_type": "bhyt", "number": "HT2140000001940",
                                  "name": "Lò Văn Pành", "dob": "1940"})
    body = r.get_json()
    assert body["bhyt_check"]["status"] == "ok" and body["priority"]["code"] == "elderly_75"
    t = ticket(backend, body["identify_token"], coverage="self_pay").get_json()
    assert t["priority"]["code"] == "elderly_75" and t["priority"]["status"] == "confirmed"


def test_a_verified_age_outranks_a_declaration_and_a_claim_is_refused(backend):
    child = cccd_qr("001222012345", "Nguyễn Minh Khôi", date(2022, 3, 10), "Nam")
    token = identify(backend, scan=child).get_json()["identify_token"]
    claimed = ticket(backend, token, "KHAM-NHI", "self_pay", priority_reason="emergency")
    assert claimed.status_code == 422 and claimed.get_json()["code"] == "PRIORITY_NOT_DECLARABLE"
    t = ticket(backend, token, "KHAM-NHI", "self_pay", priority_reason="severe_disability").get_json()
    assert t["priority"]["code"] == "child_under_6" and t["priority"]["status"] == "confirmed"
