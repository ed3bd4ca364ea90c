"""SQLite: request threads never checkpoint the WAL; the background checkpointer does, and the WAL
then starts over instead of growing."""
import os

import pytest

from backend.adapters.db.engine import WalCheckpointer
from tests.support.app import make_backend


@pytest.fixture
def sqlite_backend(tmp_path):
    b = make_backend(f"sqlite:///{tmp_path}/wal.db")
    yield b, str(tmp_path / "wal.db-wal")
    b.app.extensions["tiepdon"].engine.dispose()


def _issue(b, n):
    c = b.client()
    for _ in range(n):
        r = c.post("/api/v1/tickets", json={"service_code": "KHAM-NOI", "coverage": "self_pay"},
                   headers=b.kiosk_headers())
        assert r.status_code == 201


def test_the_background_pass_checkpoints_and_the_wal_starts_over(sqlite_backend):
    b, wal = sqlite_backend
    engine = b.app.extensions["tiepdon"].engine
    checkpointer = WalCheckpointer(engine)
    checkpointer.run_once()
    _issue(b, 150)
    busy, frames, copied = checkpointer.run_once()
    # SQLite's default would have checkpointed inside a commit at 1,000 frames.
    assert busy == 0 and frames > 1000 and copied == frames
    size = os.path.getsize(wal)
    _issue(b, 150)
    busy, frames_again, copied = checkpointer.run_once()
    assert busy == 0 and copied == frames_again
    assert os.path.getsize(wal) <= size * 1.2  # written again from the start, not appended
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM tickets").scalar_one() == 300


def test_the_checkpointer_thread_runs_and_stops(sqlite_backend):
    b, _ = sqlite_backend
    checkpointer = WalCheckpointer(b.app.extensions["tiepdon"].engine, every_s=0.01)
    checkpointer.start()
    try:
        _issue(b, 5)
        from tests.integration.realtime.live import wait_until

        wait_until(lambda: checkpointer.passes >= 3)
    finally:
        checkpointer.stop()
