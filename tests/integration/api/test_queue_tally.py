"""The waiting tally beside each queue's number counter stays equal to the real count through every
kind of move, and places counted from the back equal places counted from the front."""
import random
from collections import Counter

import pytest

from backend.domain.hospital_time import hospital_day

SERVICES = ("KHAM-NOI", "XET-NGHIEM")
PRIORITIES = (None, None, None, "pregnant", "revolutionary_merit", "emergency")
MOVES = {"called": ("recall", "start", "skip", "finish"), "serving": ("finish", "transfer"),
         "skipped": ("requeue",), "done": ("transfer", "requeue")}


@pytest.fixture
def reception(backend):
    backend.add_staff("tally", "reception")
    return backend.login("tally")


def _check(backend):
    day = hospital_day(backend.clock())
    with backend.deps.uow.read() as uow:
        for code in SERVICES:
            queue = sorted(
                (t for t in uow.tickets.for_day(day, code) if t.status.value == "waiting"),
                key=lambda t: (t.rank, t.queue_key, t.number))
            assert uow.tickets.waiting_count(code, day) == len(queue), code
            for ahead, t in enumerate(queue):
                args = (code, day, t.rank, t.queue_key, t.number)
                assert uow.tickets.people_ahead(*args) == ahead
                assert uow.tickets.people_ahead_from_back(*args) == ahead, (code, t.display_number)


def test_tally_and_places_survive_every_move(backend, reception, clock):
    rng = random.Random(20261123)
    points = {code: [p.code for p in backend.deps.catalog.points_for(code)] for code in SERVICES}
    kiosk = backend.client()
    tickets: list[dict] = []
    done: Counter[str] = Counter()
    for _ in range(300):
        clock.advance(seconds=rng.choice((0, 1, 20, 90)))  # same-instant ties included
        op = rng.choice(("issue", "issue", "call", "call", "act", "act", "act", "act", "cancel"))
        if op == "issue" or not tickets:
            body = {"service_code": rng.choice(SERVICES), "coverage": "self_pay"}
            if reason := rng.choice(PRIORITIES):
                body["priority_reason"] = reason
            if reason == "emergency":  # only staff give emergency priority
                r = reception.post("/api/v1/tickets", json=body)
            else:
                r = kiosk.post("/api/v1/tickets", json=body, headers=backend.kiosk_headers())
            assert r.status_code == 201, r.get_json()
            tickets.append(r.get_json())
            done["issue"] += 1
        elif op == "call":
            code = rng.choice(SERVICES)
            body = {"current": "no_show"} if rng.random() < 0.5 else None
            r = reception.post(f"/api/v1/service-points/{rng.choice(points[code])}/call-next", json=body)
            assert r.status_code in (200, 204, 409), r.get_json()
            if r.status_code == 409:
                assert body is None and r.get_json()["code"] == "CURRENT_NOT_SERVED"
            if r.status_code == 200:
                tickets.append(r.get_json())
                done["call"] += 1
        elif op == "cancel":
            r = reception.post(f"/api/v1/tickets/{rng.choice(tickets)['id']}/cancel")
            assert r.status_code in (200, 409)
            done["cancel"] += r.status_code == 200
        else:
            # mostly the ticket something last happened to, so skips get requeued
            t = tickets[-1] if rng.random() < 0.7 else rng.choice(tickets)
            action = rng.choice(MOVES.get(t["status"], ("start",)))  # a wrong one is a 409
            other = next(c for c in SERVICES if c != t["service"]["code"])
            body = {"service_code": other} if action == "transfer" else None
            r = reception.post(f"/api/v1/tickets/{t['id']}/{action}", json=body)
            assert r.status_code in (200, 201, 409), r.get_json()
            if r.status_code == 201:
                tickets.append(r.get_json()["ticket"])
            elif r.status_code == 200:
                tickets.append(r.get_json())
            done[action] += r.status_code in (200, 201)
        _check(backend)
    # the walk really went through every kind of move
    assert min(done[k] for k in ("issue", "call", "cancel", "skip", "requeue", "finish", "transfer")) > 0, done
