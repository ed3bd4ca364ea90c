"""Appointment check-in is a self-service channel too: it never takes a priority reason from the
client (the appointment window, or the stored birth date when late, decides)."""
from datetime import date

from tests.integration.mobile.conftest import AN, TOMORROW_8
from tests.integration.mobile.test_mobile_appointments import IN_LOBBY, LOCAL_7_30


def test_a_phone_cannot_add_a_priority_at_check_in(backend, phone, clock):
    p = phone("0913000031").sign_in()
    appt = p.book(p.link_self(AN), TOMORROW_8).get_json()
    clock.now = LOCAL_7_30
    claimed = p.post(f"/api/v1/appointments/{appt['id']}/check-in",
                     {"location": IN_LOBBY, "priority_reason": "emergency"})
    assert claimed.status_code == 422 and claimed.get_json()["code"] == "VALIDATION_ERROR"
    with backend.deps.uow.read() as uow:
        assert uow.tickets.for_day(date(2026, 11, 24), "KHAM-NOI") == []
    r = p.post(f"/api/v1/appointments/{appt['id']}/check-in", {"location": IN_LOBBY})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["ticket"]["priority"]["code"] == "appointment"
    assert r.get_json()["ticket"]["priority"]["status"] == "confirmed"
