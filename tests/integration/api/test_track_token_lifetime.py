"""A ticket's track token (its QR) lives for the visit and its receipts: through the ticket's hospital
day and `track_token_days` more (7 by default), then answers 410 TRACK_TOKEN_EXPIRED. The lifetime
comes from the ticket's day in the database, so tokens printed before this rule keep their format."""


def issue(backend, service="KHAM-NOI"):
    r = backend.client().post("/api/v1/tickets", json={"service_code": service, "coverage": "self_pay"},
                              headers=backend.kiosk_headers())
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def follow(backend, t, **headers):
    return backend.client().get(f"/api/v1/tickets/{t['id']}?token={t['track_token']}", headers=headers)


def test_a_token_works_through_the_last_day_of_its_lifetime(backend, clock):
    t = issue(backend)
    assert backend.deps.catalog.track_token_days == 7
    # 23:59 local on the seventh day after the ticket's day (the clock starts at 09:00 local).
    clock.advance(days=7, hours=14, minutes=59)
    assert follow(backend, t).status_code == 200


def test_an_expired_token_is_refused_everywhere_and_changes_nothing(backend, clock):
    t = issue(backend)
    clock.advance(days=8)
    r = follow(backend, t)
    assert r.status_code == 410
    assert r.get_json()["code"] == "TRACK_TOKEN_EXPIRED"
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.get_json()["title"].startswith("Mã theo dõi")
    assert "expired" in follow(backend, t, **{"Accept-Language": "en"}).get_json()["title"]
    cancel = backend.client().post(f"/api/v1/tickets/{t['id']}/cancel?token={t['track_token']}")
    assert cancel.status_code == 410 and cancel.get_json()["code"] == "TRACK_TOKEN_EXPIRED"
    body = backend.client().post(f"/api/v1/tickets/{t['id']}/cancel", json={"token": t["track_token"]})
    assert body.status_code == 410
    invoice = t["invoice"]["id"]
    for r in (backend.client().get(f"/api/v1/invoices/{invoice}?token={t['track_token']}"),
              backend.client().post(f"/api/v1/invoices/{invoice}/vietqr?token={t['track_token']}"),
              backend.client().get(f"/api/v1/invoices/{invoice}/qr.png?token={t['track_token']}")):
        assert r.status_code == 410 and r.get_json()["code"] == "TRACK_TOKEN_EXPIRED"
    with backend.deps.uow.read() as uow:
        assert uow.tickets.get(t["id"]).status.value == "waiting"


def test_a_fresh_token_is_accepted_on_the_same_day(backend, clock):
    clock.advance(days=8)
    t = issue(backend)
    assert follow(backend, t).status_code == 200
    assert backend.client().get(f"/api/v1/invoices/{t['invoice']['id']}?token={t['track_token']}").status_code == 200


def test_a_wrong_token_still_looks_like_no_ticket(backend, clock):
    t = issue(backend)
    clock.advance(days=30)
    r = backend.client().get(f"/api/v1/tickets/{t['id']}?token=wrong")
    assert r.status_code == 404 and r.get_json()["code"] == "TICKET_NOT_FOUND"


def test_the_lifetime_is_the_hospitals_setting(db_url, tmp_path, clock):
    from tests.support.app import CONFIG, make_backend

    source = open(CONFIG, encoding="utf-8").read()
    assert "\ntrack_token_days = 7 " in source
    path = tmp_path / "hospital-one-day.toml"
    path.write_text(source.replace("\ntrack_token_days = 7 ", "\ntrack_token_days = 1 "), encoding="utf-8")
    b = make_backend(db_url, clock=clock, config_path=str(path))
    try:
        t = issue(b)
        clock.advance(days=1)
        assert follow(b, t).status_code == 200
        clock.advance(days=1)
        assert follow(b, t).status_code == 410
    finally:
        b.app.extensions["tiepdon"].engine.dispose()


def test_staff_are_not_bound_by_the_patients_token(backend, clock):
    backend.add_staff("hoa", "reception")
    reception = backend.login("hoa")
    t = issue(backend)
    clock.advance(days=8)
    # The staff session, not the patient's token, is what lets staff read a ticket.
    assert reception.get(f"/api/v1/tickets/{t['id']}").status_code == 200
