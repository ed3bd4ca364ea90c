"""The /patient namespace applies the same track-token lifetime as REST: an expired token is refused
with TRACK_TOKEN_EXPIRED (over the wire, in both languages), a fresh one is accepted."""
from datetime import date, timedelta

import pytest
import socketio
from sqlalchemy import create_engine, text


def test_an_expired_token_cannot_follow_the_ticket_live(rt, clock):
    old = rt.issue()
    clock.advance(days=8)
    fresh = rt.issue()
    assert not rt.patient(old).is_connected("/patient")
    assert rt.patient(fresh).is_connected("/patient")
    # A refused follower leaves no trace in the registry of followed tickets.
    assert [t for _, t in rt.hub.listeners.all_local()] == [fresh["id"]]


def test_the_refusal_says_why_over_the_wire(live, sqlite_url):
    http = live.http(live.server)
    old, fresh = http.issue(), http.issue()
    # The ticket was printed ten days ago: its row says so, its token does not.
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        day = conn.execute(text("SELECT day FROM tickets WHERE id = :i"), {"i": old["id"]}).scalar_one()
        earlier = (date.fromisoformat(str(day)) - timedelta(days=10)).isoformat()
        conn.execute(text("UPDATE tickets SET day = :d WHERE id = :i"), {"d": earlier, "i": old["id"]})
    engine.dispose()
    refused = live.listen(live.server, "/patient", {"ticket": old["id"], "token": old["track_token"]},
                          connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect()
    error = refused.errors.get(timeout=5)
    assert error["message"] == "TRACK_TOKEN_EXPIRED"
    assert error["data"]["code"] == "TRACK_TOKEN_EXPIRED"
    assert error["data"]["title_vi"] and "expired" in error["data"]["title_en"]
    live.listen(live.server, "/patient", {"ticket": fresh["id"], "token": fresh["track_token"]})
