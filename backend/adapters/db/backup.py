"""Backups of the database while the server runs, their checksums, retention and restore.

A backup is two files in the backup directory: the copy (`tiepdon-<UTC time>.sqlite3` from SQLite's
online backup API, or `tiepdon-<UTC time>.pgdump` from `pg_dump --format=custom`) and its manifest
(`<copy>.json`: file name, size, sha256, database kind, schema revision, time). A restore checks the
sha256 first. The personal-data key (TIEPDON_PII_KEY) is never written: it lives in the environment
only, so a stolen backup holds encrypted patient data and keyed hashes, nothing readable.
"""
import fcntl
import hashlib
import json
import os
import sqlite3
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timezone

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from ...domain.hospital_time import HOSPITAL_TZ

MANIFEST_SUFFIX = ".json"
PREFIX = "tiepdon-"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why, in both languages."""


@dataclass(frozen=True)
class Backup:
    path: str
    manifest_path: str
    sha256: str
    size: int
    kind: str
    created_at: str


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Không sao lưu được loại cơ sở dữ liệu này / unsupported database: {backend}")
    return backend


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("Cơ sở dữ liệu SQLite trong bộ nhớ / an in-memory SQLite database has no file")
    return os.path.abspath(path)


def libpq_url(url: str) -> str:
    """The URL pg_dump and pg_restore understand (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _inline(fn, *args):
    return fn(*args)


def backup_database(url: str, directory: str, keep: int | None = None, now: datetime | None = None,
                    cpu=None) -> Backup:
    """Copy the database into `directory` while it is in use; keep the newest `keep` backups.
    `cpu` (the served process's CpuPool): the SQLite copy and the checksum run on a real thread,
    not on the event loop (pg_dump is a child process the loop waits for cooperatively)."""
    run = cpu.run if cpu is not None else _inline
    kind = _kind(url)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    now = now or datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{PREFIX}{stamp}.{'sqlite3' if kind == 'sqlite' else 'pgdump'}"
    final = os.path.join(directory, name)
    partial = final + ".part"
    try:
        if kind == "sqlite":
            run(_copy_sqlite, _sqlite_path(url), partial)
        else:
            _pg_dump(url, partial)
        os.chmod(partial, 0o600)
        digest, size = run(sha256_of, partial), os.path.getsize(partial)
        os.replace(partial, final)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    manifest = {"file": name, "sha256": digest, "size": size, "kind": kind,
                "revision": _revision(url), "created_at": now.isoformat()}
    manifest_path = final + MANIFEST_SUFFIX
    with open(manifest_path, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2)
    if keep is not None:
        prune(directory, keep)
    return Backup(final, manifest_path, digest, size, kind, manifest["created_at"])


def _copy_sqlite(source: str, target: str) -> None:
    """SQLite's online backup API in one step: one read transaction, so one consistent snapshot
    (WAL mode lets the server keep writing meanwhile)."""
    if not os.path.exists(source):
        raise BackupError(f"Không có tệp cơ sở dữ liệu / no database file: {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()


def _pg_dump(url: str, target: str) -> None:
    # pg_dump reads in one REPEATABLE READ snapshot: consistent while the server writes.
    result = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                             "--file", target, "--dbname", libpq_url(url)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_dump thất bại / pg_dump failed: {result.stderr.strip()[-500:]}")


def list_backups(directory: str) -> list[str]:
    """Manifest paths, oldest first."""
    if not os.path.isdir(directory):
        return []
    return sorted(os.path.join(directory, n) for n in os.listdir(directory)
                  if n.startswith(PREFIX) and n.endswith(MANIFEST_SUFFIX))


def prune(directory: str, keep: int) -> list[str]:
    """Delete all but the newest `keep` backups (copy and manifest); returns what was deleted."""
    removed = []
    manifests = list_backups(directory)
    for manifest in manifests[:max(0, len(manifests) - max(1, keep))]:
        copy = manifest[:-len(MANIFEST_SUFFIX)]
        for path in (copy, manifest):
            if os.path.exists(path):
                os.remove(path)
        removed.append(copy)
    return removed


def read_manifest(path: str) -> tuple[str, dict]:
    """(copy path, manifest) for a backup named by its copy or its manifest."""
    manifest_path = path if path.endswith(MANIFEST_SUFFIX) else path + MANIFEST_SUFFIX
    if not os.path.exists(manifest_path):
        raise BackupError(f"Thiếu tệp kê khai / no manifest beside the backup: {manifest_path}")
    with open(manifest_path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    return os.path.join(os.path.dirname(manifest_path), manifest["file"]), manifest


def verify(path: str) -> tuple[str, dict]:
    copy, manifest = read_manifest(path)
    if not os.path.exists(copy) or sha256_of(copy) != manifest["sha256"]:
        raise BackupError(f"Bản sao lưu hỏng (sha256 không khớp) / backup damaged (sha256 mismatch): {copy}")
    return copy, manifest


def database_is_empty(url: str) -> bool:
    """No table holds a row (a schema just created by `tiepdon db upgrade` still counts as empty)."""
    if _kind(url) == "sqlite" and not os.path.exists(_sqlite_path(url)):
        return True
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                if table == "alembic_version":
                    continue
                if conn.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first() is not None:
                    return False
        return True
    finally:
        engine.dispose()


def restore_database(path: str, url: str, force: bool = False) -> dict:
    """Bring a backup back into the database at `url`: checksum first, then only into an empty
    database unless `force` (which replaces what is there). Stop the server before a restore."""
    copy, manifest = verify(path)
    kind = _kind(url)
    if manifest["kind"] != kind:
        raise BackupError(f"Bản sao lưu là {manifest['kind']}, cơ sở dữ liệu là {kind} / "
                          f"the backup is {manifest['kind']}, the database is {kind}")
    if not force and not database_is_empty(url):
        raise BackupError("Cơ sở dữ liệu đích đã có dữ liệu; thêm --force để ghi đè / "
                          "the target database is not empty; add --force to replace it")
    if kind == "sqlite":
        _restore_sqlite(copy, _sqlite_path(url))
    else:
        _pg_restore(copy, url)
    return manifest


def _restore_sqlite(copy: str, target: str) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    src = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # page by page into the target, under its own lock; WAL readers see it whole
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


def _pg_restore(copy: str, url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:  # a fresh copy: the schema as it was, whatever is there now
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    result = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                             "--dbname", libpq_url(url), copy], capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore thất bại / pg_restore failed: {result.stderr.strip()[-500:]}")


# -- the scheduled backup (jobs.py) ---------------------------------------------------------------

def parse_daily_time(raw: str) -> time:
    hours, _, minutes = raw.strip().partition(":")
    value = time(int(hours), int(minutes or 0))
    return value


class ScheduledBackup:
    """Once a day at `at` (hospital time): a backup, unless the directory already has one from
    after today's `at`. Several processes: a file lock lets one of them do it."""

    def __init__(self, url: str, directory: str, at: time, keep: int, clock=None, cpu=None):
        self.url, self.directory, self.at, self.keep, self.cpu = url, directory, at, keep, cpu
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def due(self, now: datetime) -> bool:
        local = now.astimezone(HOSPITAL_TZ)
        slot = datetime.combine(local.date(), self.at, tzinfo=HOSPITAL_TZ)
        if local < slot:
            return False
        for manifest in reversed(list_backups(self.directory)):
            try:
                with open(manifest, encoding="utf-8") as fh:
                    made = datetime.fromisoformat(json.load(fh)["created_at"])
            except (OSError, ValueError, KeyError):
                continue
            return made < slot
        return True

    def run_once(self) -> Backup | None:
        now = self.clock()
        if not self.due(now):
            return None
        with self._lock() as got:
            if not got or not self.due(now):
                return None
            return backup_database(self.url, self.directory, keep=self.keep, now=now, cpu=self.cpu)

    @contextmanager
    def _lock(self):
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        fd = os.open(os.path.join(self.directory, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)
