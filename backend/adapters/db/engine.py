"""Engine construction and the write gate.

SQLite allows one writer at a time. Leaving concurrent writers to `busy_timeout` makes them spin
and sleep inside SQLite (which, under the event loop, would stall every connection), so writers
queue on a lock in the process and on a file lock between processes sharing the file. PostgreSQL
needs no gate: its row locks, unique constraints and `ON CONFLICT` already order concurrent writers,
in one process as across several.
"""
import errno
import fcntl
import os
import time
from contextlib import contextmanager, nullcontext

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

from ...services.ports.cpu import InlineCpu
from ..workers import PeriodicJobs
from .fifo_lock import FifoLock

# Request threads leave WAL checkpoints to WalCheckpointer: a checkpoint inside a commit made that
# writer copy pages and fsync while every other writer queued behind the write gate. SQLite's own
# checkpoint stays on as a safety net for processes without the background thread (CLI commands),
# at a size a served database never reaches.
SAFETY_CHECKPOINT_PAGES = 20_000
CHECKPOINT_EVERY_S = 0.5


# Set on the connections of write units of work (see on_begin).
WRITE_OPTION = "tiepdon_write"


def build_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine = create_engine(
            url,
            pool_size=20,
            max_overflow=40,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,  # statement errors would otherwise log personal data
        )
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True, hide_parameters=True)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA wal_autocheckpoint={SAFETY_CHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # Straight to the driver: every unit of work begins here, and a BEGIN needs no result.
        # A write takes SQLite's write lock at BEGIN: a deferred one that read first could not
        # upgrade once a writer outside this process's gate (another process starting up, a
        # migration) had committed in between, and SQLite fails that at once, without the busy
        # wait. IMMEDIATE waits (busy_timeout) instead; behind the gate it never has to.
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class WriteGate:
    """Serialises write transactions: a thread lock, plus a file lock for a shared SQLite file.

    Writers pass in arrival order (FifoLock): with a plain lock, 16 payment callbacks in flight
    had a median wait of 28 ms behind the gate but a p99 of 73 ms, all of it from later arrivals
    overtaking earlier ones.
    """

    def __init__(self, lock_path: str | None):
        self._lock = FifoLock()
        self._lock_path = lock_path
        self._fd: int | None = None
        self._fd_pid: int | None = None

    @contextmanager
    def hold(self):
        with self._lock:
            if self._lock_path is None:
                yield
                return
            # A descriptor inherited through fork() shares its lock with the parent: reopen.
            if self._fd is None or self._fd_pid != os.getpid():
                self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                self._fd_pid = os.getpid()
            _flock_politely(self._fd)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Drops the lock file's descriptor (opened again on the next write): a server master
        must hold no database file its forked workers would inherit."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


# Another process holding the file lock is waited for in short sleeps, not in a blocking flock()
# that would stop this process's event loop until the other writer finishes.
FLOCK_RETRY_S = 0.001


def _flock_politely(fd: int) -> None:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            time.sleep(FLOCK_RETRY_S)


class NoGate:
    """PostgreSQL: the database orders concurrent writers itself."""

    def hold(self):
        return nullcontext()

    def close(self) -> None:
        pass


def gate_for(engine: Engine) -> "WriteGate | NoGate":
    if not is_sqlite(engine):
        return NoGate()
    db = engine.url.database
    if db and db != ":memory:":
        return WriteGate(os.path.abspath(db) + ".writelock")
    return WriteGate(None)


class WalCheckpointer:
    """Copies the SQLite WAL back into the database file in the background, PASSIVE: it never
    waits for, nor blocks, a reader or a writer. The copy itself (page writes and an fsync) runs on
    the CPU pool's real thread, not on the event loop."""

    def __init__(self, engine: Engine, every_s: float = CHECKPOINT_EVERY_S, cpu=None):
        self.engine = engine
        self.cpu = cpu or InlineCpu()
        self.passes = 0
        self._jobs = PeriodicJobs(every_s)
        self._jobs.add("wal_checkpoint", self.run_once)

    def start(self) -> None:
        if is_sqlite(self.engine):
            self._jobs.start()

    def stop(self) -> None:
        self._jobs.stop()

    def run_once(self) -> tuple[int, int, int]:
        """(busy, WAL frames, frames copied back), as SQLite reports them."""
        raw = self.engine.raw_connection()
        try:
            row = self.cpu.run(_checkpoint, raw)
        finally:
            raw.close()
        self.passes += 1
        return tuple(row)


def _checkpoint(raw) -> tuple:
    cur = raw.cursor()
    try:
        return cur.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        cur.close()
