"""100 phones press "book" at the same moment for a 10-person slot, through two real server
processes sharing the database: exactly 10 bookings, on SQLite and on PostgreSQL."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from sqlalchemy import text

from backend.domain.appointments import bookable_slots
from backend.domain.hospital_time import hospital_day, to_local, utc_now
from backend.settings.hospital import load_hospital_file
from tests.integration.mobile.conftest import FAST, Phone, add_people, bhxh_client
from tests.support.app import CONFIG, make_backend
from tests.support.servers import ServerProcess

PHONES = 100


def first_free_slot(service: str):
    """A real future slot: the servers run on the real clock, not the tests' fixed one."""
    policy = load_hospital_file(CONFIG).appointments
    now = utc_now()
    for days in range(1, policy.horizon_days):
        found = bookable_slots(policy, policy.rule(service), hospital_day(now) + timedelta(days=days), now)
        if found:
            return found[0], policy.rule(service).capacity
    raise AssertionError("no bookable day in the horizon")


def test_a_full_slot_is_never_overbooked(db_url, bhxh_sim, sms):
    setup = make_backend(db_url, card_checker=bhxh_client(bhxh_sim), notifier=sms, rate_otp=FAST,
                         rate_account=FAST)
    people = add_people(bhxh_sim, PHONES)
    servers = [ServerProcess(db_url, TIEPDON_RATE_ACCOUNT="100000/100000",
                             TIEPDON_BACKGROUND_WORKERS="0") for _ in range(2)]
    # The servers boot while the phones sign in and link their cards.
    booting = [threading.Thread(target=s.start) for s in servers]
    for t in booting:
        t.start()

    def prepare(i):
        p = Phone(setup, sms, f"0915{i:06d}").sign_in()
        return p.token, p.link_self(people[i])

    with ThreadPoolExecutor(8) as pool:
        accounts = list(pool.map(prepare, range(PHONES)))
    setup.app.extensions["tiepdon"].engine.dispose()
    slot, capacity = first_free_slot("KHAM-NOI")
    assert capacity == 10
    try:
        for t in booting:
            t.join()
        assert all(s.proc.poll() is None for s in servers)
        barrier = threading.Barrier(PHONES)
        answers = [None] * PHONES

        def book(i):
            token, link_id = accounts[i]
            session = requests.Session()
            barrier.wait()
            r = session.post(servers[i % 2].url + "/api/v1/appointments",
                             headers={"Authorization": f"Bearer {token}"}, timeout=60, json={
                                 "service_code": "KHAM-NOI", "start": to_local(slot.start).isoformat(),
                                 "patient_link_id": link_id, "coverage": "bhyt"})
            answers[i] = (r.status_code, r.json().get("code"))

        threads = [threading.Thread(target=book, args=(i,)) for i in range(PHONES)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for s in servers:
            s.stop()
    confirmed = [a for a in answers if a[0] == 201]
    assert len(confirmed) == 10, answers
    assert sorted(set(answers) - {(201, None)}) == [(409, "SLOT_FULL")]
    check = make_backend(db_url)
    with check.deps.uow.read() as uow:
        booked = uow.conn.execute(text("SELECT count(*) FROM appointments WHERE status = 'booked'")).scalar()
        counter = uow.conn.execute(text("SELECT booked FROM appointment_slots")).scalar()
    check.app.extensions["tiepdon"].engine.dispose()
    assert booked == 10 and counter == 10
