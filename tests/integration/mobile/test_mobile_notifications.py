"""SMS when a followed ticket is N places from the front, when it is called, and the day before an
appointment: each at most once, none to accounts that opted out."""
import threading
from datetime import date, datetime, timezone

from backend.adapters.notify.http_sms import HttpSmsGateway
from backend.domain.tickets import Action
from backend.services.calling import StaffScope, act, call_next
from backend.services.notifications import notify_queue, run_notification_jobs, send_reminders
from tests.integration.mobile.conftest import AN, MAI, TOMORROW_8
from tests.integration.mobile.test_mobile_accounts import AN_QR, MAI_QR, kiosk_identify, kiosk_ticket
from tests.integration.mobile.test_mobile_sms_gateway import Gateway

STAFF = StaffScope("staff:test", None)


def walk_ins(backend, n, service="KHAM-NOI"):
    for _ in range(n):
        r = backend.client().post("/api/v1/tickets", headers=backend.kiosk_headers(),
                                  json={"service_code": service, "coverage": "self_pay"})
        assert r.status_code == 201


def texts(sms, phone, kind=None):
    return [m.text for m in sms.messages(to=phone.e164, kind=kind)]


def test_places_and_called_reach_self_and_family_once(backend, phone, sms):
    an = phone("0914000001").sign_in()
    an.link_self(AN)
    mother = phone("0914000002").sign_in()
    mother.link_self(MAI)
    share = an.post("/api/v1/me/share-codes", {"consent": {"accepted": True}}).get_json()["code"]
    assert mother.post("/api/v1/me/family", {"code": share}).status_code == 201
    walk_ins(backend, 5)
    ticket = kiosk_ticket(backend, kiosk_identify(backend, AN_QR))
    run_notification_jobs(backend.deps)
    assert texts(sms, an, "places") == [] and texts(sms, mother, "places") == []
    call_next(backend.deps, "P101", STAFF)
    call_next(backend.deps, "P101", STAFF, no_show=True)  # three people left ahead of An
    for _ in range(2):
        run_notification_jobs(backend.deps)
    number = ticket["display_number"]
    # Both accounts kept the default language: Vietnamese only.
    expected = (f"Tiếp Đón: số {number} (Khám Nội) còn 3 người nữa là đến lượt. Vui lòng có mặt gần "
                f"Phòng khám 101–103.")
    assert texts(sms, an, "places") == [expected] and texts(sms, mother, "places") == [expected]
    call_next(backend.deps, "P101", STAFF, no_show=True)  # two ahead: still the one message
    run_notification_jobs(backend.deps)
    assert len(texts(sms, an, "places")) == 1
    for _ in range(3):
        called = call_next(backend.deps, "P102", STAFF, no_show=True)
    assert called.id == ticket["id"]
    run_notification_jobs(backend.deps)
    run_notification_jobs(backend.deps)
    assert texts(sms, an, "called") == [f"Tiếp Đón: mời số {number} đến Phòng khám 102."]
    assert len(texts(sms, mother, "called")) == 1
    # A recall is a new call: one more message, once.
    act(backend.deps, ticket["id"], Action.RECALL, STAFF)
    run_notification_jobs(backend.deps)
    run_notification_jobs(backend.deps)
    assert len(texts(sms, an, "called")) == 2 and len(texts(sms, mother, "called")) == 2
    assert "0914000001" not in " ".join(texts(sms, an))  # messages never carry the number itself


def test_no_messages_after_opting_out(backend, phone, sms):
    mai = phone("0914000003").sign_in()
    mai.link_self(MAI)
    off = mai.patch("/api/v1/me", {"notifications": False})
    assert off.status_code == 200 and off.get_json()["account"]["notifications"] is False
    ticket = kiosk_ticket(backend, kiosk_identify(backend, MAI_QR))
    run_notification_jobs(backend.deps)
    assert call_next(backend.deps, "P101", STAFF).id == ticket["id"]
    run_notification_jobs(backend.deps)
    assert texts(sms, mai) == [t for t in texts(sms, mai) if "Mã xác thực" in t]  # only the sign-in code
    assert texts(sms, mai, "places") == [] and texts(sms, mai, "called") == []
    # Back on: the current event (called) is told once, nothing from the opted-out time is replayed.
    mai.patch("/api/v1/me", {"notifications": True})
    run_notification_jobs(backend.deps)
    assert len(texts(sms, mai, "called")) == 1 and texts(sms, mai, "places") == []


def test_passes_running_at_once_still_send_once(backend, phone, sms):
    people = [phone(f"09140001{i:02d}").sign_in() for i in range(2)]
    people[0].link_self(AN)
    people[1].link_self(MAI)
    kiosk_ticket(backend, kiosk_identify(backend, AN_QR))
    kiosk_ticket(backend, kiosk_identify(backend, MAI_QR))
    start = threading.Barrier(6)

    def run():
        start.wait()
        notify_queue(backend.deps)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [len(texts(sms, p, "places")) for p in people] == [1, 1]


def test_a_gateway_fault_is_retried_later_and_still_sent_once(backend, phone, sms):
    an = phone("0914000004").sign_in()
    an.link_self(AN)
    gateway = Gateway()
    try:
        backend.deps.mobile.notifier = HttpSmsGateway(gateway.url, "k", "BV", read_timeout=1.0)
        kiosk_ticket(backend, kiosk_identify(backend, AN_QR))
        gateway.answers = [(503, "{}", 0)]
        assert notify_queue(backend.deps)["sent"] == 0
        assert notify_queue(backend.deps)["sent"] == 1
        assert notify_queue(backend.deps)["sent"] == 0
        places = [r for r in gateway.requests if "còn" in r["body"]["message"] or "sắp" in r["body"]["message"]]
        assert len(places) == 2  # the refused attempt and the one that went through
        assert [r["body"]["to"] for r in places] == ["84914000004", "84914000004"]
    finally:
        gateway.stop()


def test_reminder_the_evening_before_once_per_slot(backend, phone, sms, clock):
    an = phone("0914000005").sign_in()
    appt = an.book(an.link_self(AN), TOMORROW_8).get_json()
    quiet = phone("0914000006").sign_in()
    quiet.book(quiet.link_self(MAI), TOMORROW_8)
    quiet.patch("/api/v1/me", {"notifications": False})
    clock.now = datetime(2026, 11, 23, 10, 59, tzinfo=timezone.utc)  # 17:59
    send_reminders(backend.deps)
    assert texts(sms, an, "reminder") == []
    clock.now = datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)  # 18:00
    send_reminders(backend.deps)
    send_reminders(backend.deps)
    reminders = texts(sms, an, "reminder")
    assert len(reminders) == 1
    assert reminders[0].startswith("Tiếp Đón: nhắc lịch khám Khám Nội lúc 08:00 ngày 24/11/2026")
    assert "Reminder" not in reminders[0]  # the account's language (vi) only
    assert texts(sms, quiet, "reminder") == []
    moved = an.post(f"/api/v1/appointments/{appt['id']}/reschedule", {"start": "2026-11-24T09:00:00+07:00"})
    assert moved.status_code == 200
    send_reminders(backend.deps)
    send_reminders(backend.deps)
    assert len(texts(sms, an, "reminder")) == 2 and "09:00 ngày 24/11/2026" in texts(sms, an, "reminder")[1]
    # The day itself: no more reminders.
    clock.now = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
    send_reminders(backend.deps)
    assert len(texts(sms, an, "reminder")) == 2
    assert date(2026, 11, 24) == date.fromisoformat(moved.get_json()["start"][:10])


def test_each_account_is_texted_in_its_own_language_only(backend, phone, sms, clock):
    an = phone("0914000021").sign_in()  # keeps the default, Vietnamese
    an.link_self(AN)
    mai = phone("0914000022").sign_in()
    assert mai.patch("/api/v1/me", {"language": "en"}).get_json()["account"]["language"] == "en"
    mai.link_self(MAI)
    first = kiosk_ticket(backend, kiosk_identify(backend, AN_QR))
    second = kiosk_ticket(backend, kiosk_identify(backend, MAI_QR))
    run_notification_jobs(backend.deps)
    a, m = first["display_number"], second["display_number"]
    assert texts(sms, an, "places") == [f"Tiếp Đón: số {a} (Khám Nội) sắp đến lượt. "
                                        f"Vui lòng có mặt tại Phòng khám 101–103."]
    assert texts(sms, mai, "places") == [f"Number {m} (Internal medicine): 1 ahead of you. "
                                         f"Please stay near Rooms 101–103."]
    assert call_next(backend.deps, "P101", STAFF).id == first["id"]
    assert call_next(backend.deps, "P102", STAFF).id == second["id"]
    run_notification_jobs(backend.deps)
    assert texts(sms, an, "called") == [f"Tiếp Đón: mời số {a} đến Phòng khám 101."]
    assert texts(sms, mai, "called") == [f"Number {m}, please go to Room 102."]


def test_reminder_in_the_accounts_language(backend, phone, sms, clock):
    mai = phone("0914000023").sign_in()
    mai.patch("/api/v1/me", {"language": "en"})
    mai.book(mai.link_self(MAI), TOMORROW_8)
    clock.now = datetime(2026, 11, 23, 11, 0, tzinfo=timezone.utc)  # 18:00
    send_reminders(backend.deps)
    assert texts(sms, mai, "reminder") == [
        "Reminder: Internal medicine appointment at 08:00 on 24/11/2026, Rooms 101–103. "
        "On arrival, check in on the app or scan your code at a kiosk."]
