"""A gated write meets a writer that is not behind this process's gate (another process starting
up, `tiepdon db upgrade` run while the server serves): it waits for it, it never fails with
"database is locked" (CI saw a 500 from exactly this while two servers were booting)."""
import sqlite3
import threading

from sqlalchemy import text

from backend.adapters.db.engine import build_engine, gate_for
from backend.adapters.db.uow import SqlUnitOfWorkFactory


def test_a_gated_write_waits_for_a_writer_outside_the_gate(tmp_path):
    path = tmp_path / "t.db"
    engine = build_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (0)"))
    factory = SqlUnitOfWorkFactory(engine, gate_for(engine))
    outsider_done = threading.Event()
    outsider_error: list[Exception] = []

    def outsider():
        try:
            other = sqlite3.connect(path, timeout=10, isolation_level=None)
            other.execute("UPDATE t SET n = n + 100")  # autocommit, no gate
            other.close()
        except Exception as exc:  # reported below
            outsider_error.append(exc)
        finally:
            outsider_done.set()

    with factory.write() as uow:
        seen = uow.conn.execute(text("SELECT n FROM t")).scalar_one()
        thread = threading.Thread(target=outsider)
        thread.start()
        # Deferred BEGIN: the outsider's write lands between this read and this write, and the
        # upgrade to a write transaction fails at once (SQLITE_BUSY_SNAPSHOT, no busy wait).
        outsider_done.wait(1.0)
        uow.conn.execute(text("UPDATE t SET n = :n"), {"n": seen + 1})
        uow.commit()
    thread.join(15)
    assert outsider_error == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM t")).scalar_one() == 101
    engine.dispose()


def test_a_lock_held_past_the_busy_timeout_is_a_storage_fault_not_a_bug(tmp_path):
    """Answered 503 with Retry-After (nothing was stored, the client may retry), not 500."""
    import psycopg.errors

    from backend.adapters.db.storage import storage_failure

    path = tmp_path / "t.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (n INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        waiter.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        busy = exc
    else:
        raise AssertionError("the second writer was let in")
    finally:
        holder.close()
        waiter.close()
    assert storage_failure(busy) == "busy"
    assert storage_failure(psycopg.errors.DeadlockDetected()) == "busy"
    assert storage_failure(psycopg.errors.LockNotAvailable()) == "busy"
    assert storage_failure(sqlite3.IntegrityError("UNIQUE constraint failed")) is None
