"""Is the database's storage usable? Full disks and read-only files, told apart from bugs.

A full or read-only disk is not a fault of the request that met it: the API answers 503 with
Retry-After (the client, a bank or VNPay retries later and nothing was written), /health reports
the database down, and everything works again by itself once the disk has room or is writable.

SQLite says so through its result codes (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR,
SQLITE_CANTOPEN); the write gate's lock file through errno; PostgreSQL through SQLSTATE classes
53 (disk full, out of memory), 08 (connection), 57P0x (shutting down), 25006 (read-only standby).
"""
from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

RETRY_AFTER_S = 30
# Below this much free space a SQLite database cannot be trusted to take the next write (one WAL
# frame per page changed, plus the write gate's lock file); health says so before a write fails.
MIN_FREE_BYTES = 256 * 1024

# SQLITE_BUSY / SQLITE_LOCKED reach a request only after busy_timeout: a writer outside the gate
# (another process starting, a migration) held the lock for that long. Nothing was stored.
_SQLITE_CODES = {13: "disk_full", 8: "read_only", 10: "io_error", 14: "cannot_open", 5: "busy", 6: "busy"}
_ERRNOS = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EROFS: "read_only",
           errno.EACCES: "read_only", errno.EPERM: "read_only", errno.EIO: "io_error"}
_PG_READ_ONLY = {"25006"}
_PG_DOWN = {"57P01", "57P02", "57P03", "58030"}
_PG_BUSY = {"40P01", "55P03", "40001"}  # deadlock, lock not available, serialization failure


class DatabaseNotWritable(RuntimeError):
    """At start-up: the server would accept requests it can never store."""


def storage_failure(exc: BaseException) -> str | None:
    """"disk_full", "read_only", "io_error", "cannot_open", "unavailable", "busy"; None for anything else
    (a bug, a constraint: those stay 500 / their own answers)."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return "unavailable"
        exc = exc.orig
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return _SQLITE_CODES.get(code & 0xFF) if code is not None else None
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate is not None or type(exc).__module__.startswith("psycopg"):
        if sqlstate is None:
            return "unavailable"  # psycopg.OperationalError without a state: the server is gone
        if sqlstate.startswith("53"):
            return "disk_full" if sqlstate == "53100" else "unavailable"
        if sqlstate in _PG_READ_ONLY:
            return "read_only"
        if sqlstate in _PG_BUSY:
            return "busy"
        if sqlstate.startswith("08") or sqlstate in _PG_DOWN:
            return "unavailable"
        return None
    if isinstance(exc, OSError) and exc.errno in _ERRNOS and not isinstance(exc, ConnectionError):
        return _ERRNOS[exc.errno]
    return None


def _sqlite_path(engine: Engine) -> str | None:
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    return os.path.abspath(db) if db and db != ":memory:" else None


def _file_problem(path: str) -> str | None:
    """Writability without touching SQLite (which maps the -shm file of a database it cannot write)."""
    folder = os.path.dirname(path)
    for candidate in (path, path + "-wal", path + "-shm", path + ".writelock", folder):
        if os.path.exists(candidate) and not os.access(candidate, os.W_OK):
            return "read_only"
    try:
        stat = os.statvfs(folder)
    except OSError:
        return "cannot_open"
    if stat.f_flag & os.ST_RDONLY:
        return "read_only"
    if stat.f_bavail * stat.f_frsize < MIN_FREE_BYTES:
        return "disk_full"
    return None


def write_probe(engine: Engine) -> str | None:
    """A real write, rolled forward to the same value: None when the database takes writes."""
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
    except Exception as exc:  # the probe must report, not raise
        return storage_failure(exc) or "error"
    return None


class StorageMonitor:
    """What the last writes met; /health asks it, the API's error handler tells it."""

    def __init__(self, engine: Engine, gate=None):
        self.engine = engine
        self.gate = gate
        self._lock = threading.Lock()
        self._failure: tuple[str, float] | None = None

    def failed(self, reason: str) -> None:
        with self._lock:
            self._failure = (reason, time.monotonic())

    def check(self) -> str | None:
        """The current problem, or None. Cheap when all is well (no write); after a failure it
        probes with a real write, so the report clears as soon as the disk is usable again."""
        path = _sqlite_path(self.engine)
        if path is not None:
            problem = _file_problem(path)
            if problem:
                return problem
        with self._lock:
            failure = self._failure
        if failure is None:
            return None
        if self.gate is not None:
            with self.gate.hold():
                problem = write_probe(self.engine)
        else:
            problem = write_probe(self.engine)
        with self._lock:
            if problem is None:
                self._failure = None
            elif self._failure is not None:
                self._failure = (problem, self._failure[1])
        return problem


def require_writable(engine: Engine, write: bool = True) -> None:
    """Refuses to serve a database that cannot be written: files and folder (before SQLite maps
    anything of a read-only database), then, with `write`, one real write (needs the schema)."""
    path = _sqlite_path(engine)
    problem = _file_problem(path) if path else None
    if problem is None and write:
        problem = write_probe(engine)
    if problem is None:
        return
    where = path or engine.url.render_as_string(hide_password=True)
    if problem == "read_only":
        raise DatabaseNotWritable(
            f"Cơ sở dữ liệu đang ở chế độ chỉ đọc ({where}): kiểm tra quyền ghi của tệp và thư mục, và ổ "
            "đĩa có bị gắn chỉ đọc không.\n"
            f"The database is read-only ({where}): check write permission on the file and its folder, "
            "and whether the disk is mounted read-only.")
    if problem == "disk_full":
        raise DatabaseNotWritable(
            f"Ổ đĩa chứa cơ sở dữ liệu đã đầy ({where}): giải phóng dung lượng rồi khởi động lại.\n"
            f"The disk holding the database is full ({where}): free some space, then start again.")
    raise DatabaseNotWritable(
        f"Không ghi được vào cơ sở dữ liệu ({where}, {problem}).\n"
        f"The database cannot be written ({where}, {problem}).")
