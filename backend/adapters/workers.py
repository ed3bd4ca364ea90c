"""Background passes (HIS outbox, BHXH re-checks, …) on one daemon thread per process.

Each job is a service function; a job that fails is logged by name and tried again next round, so
a fault in the HIS or BHXH never stops the others, and nothing is lost: the work lives in the DB.
"""
import logging
import threading
from typing import Callable

log = logging.getLogger("tiepdon.workers")


class PeriodicJobs:
    def __init__(self, interval_s: float):
        self.interval_s = interval_s
        self.jobs: list[tuple[str, Callable[[], object]]] = []
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing: set[str] = set()

    def add(self, name: str, fn: Callable[[], object]) -> None:
        self.jobs.append((name, fn))

    def wake(self) -> None:
        """Run a pass now (e.g. right after a check-in queued an HIS registration)."""
        self._wake.set()

    def run_once(self) -> None:
        for name, fn in self.jobs:
            try:
                fn()
                if name in self._failing:
                    self._failing.discard(name)
                    log.info("job %s recovered", name)
            except Exception as exc:  # keep the other jobs running; say it once, not every round
                if name not in self._failing:
                    self._failing.add(name)
                    log.error("job %s failed: %s", name, type(exc).__name__)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="tiepdon-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._wake.wait(self.interval_s)
            self._wake.clear()
