"""A staff decision on a declared priority moves the queue: staff hear it, and every phone whose
place changed hears its new place (a rejected reason moves the ticket back, behind people who
are then one place further forward)."""


def test_rejecting_a_declared_priority_updates_the_places_it_changed(rt, clock):
    plain = rt.issue()
    clock.advance(minutes=1)
    declared = rt.issue(priority_reason="pregnant")
    assert declared["position"] == 1  # ahead of the patient who came a minute earlier
    rt.b.add_staff("le-tan", "reception")
    desk = rt.b.login("le-tan")
    staff = rt.connect("/staff", staff=desk)
    phone_plain, phone_declared = rt.patient(plain), rt.patient(declared)
    for c, ns in ((staff, "/staff"), (phone_plain, "/patient"), (phone_declared, "/patient")):
        rt.events(c, ns)

    r = desk.post(f"/api/v1/tickets/{declared['id']}/priority", json={"reason": "pregnant", "confirmed": False})
    assert r.status_code == 200, r.get_json()

    updates = [b for n, b in rt.events(staff, "/staff") if n == "ticket.updated"]
    assert [(b["action"], b["id"], b["priority"]) for b in updates] == [("priority", declared["id"], None)]
    [(_, mine)] = rt.events(phone_declared, "/patient")
    assert mine["position"] == 2
    [(_, theirs)] = rt.events(phone_plain, "/patient")
    assert theirs["id"] == plain["id"] and theirs["position"] == 1
