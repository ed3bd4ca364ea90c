"""Prometheus multiprocess mode's files (PROMETHEUS_MULTIPROC_DIR), kept by gunicorn's master: light
on purpose (the standard library and prometheus-client only), since the master loads it."""
import os

from prometheus_client import multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    path = os.environ.get(MULTIPROC_ENV)
    return path if path and os.path.isdir(path) else None


def clear_stale_files(path: str | None = None) -> int:
    """At server start: remove the files of processes that no longer run (the documented wipe
    between runs, done per process so that another running process keeps its own)."""
    path = path or multiprocess_dir()
    if not path:
        return 0
    removed = 0
    for name in os.listdir(path):
        pid = _pid_of(name)
        if pid is not None and not _alive(pid):
            try:
                os.remove(os.path.join(path, name))
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def process_exited(pid: int) -> None:
    """A worker process ended: its live gauges (open connections) stop counting."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def _pid_of(name: str) -> int | None:
    stem = name.removesuffix(".db")
    tail = stem.rsplit("_", 1)[-1]
    return int(tail) if stem != name and tail.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
