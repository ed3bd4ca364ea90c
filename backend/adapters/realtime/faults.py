"""Faults are logged when they start and when they end, never once per request: a Redis outage
during the morning rush would otherwise bury every other line of the log."""
import logging
import threading
import time


class FaultLog:
    def __init__(self, logger: logging.Logger):
        self._log = logger
        self._active: dict[str, float] = {}
        self._lock = threading.Lock()

    def fault(self, key: str, message: str, exc: BaseException | None = None,
              with_traceback: bool = False) -> bool:
        """Returns True when this call opened the fault (and logged it)."""
        with self._lock:
            if key in self._active:
                return False
            self._active[key] = time.monotonic()
        reason = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
        self._log.error("%s%s", message, reason, exc_info=exc if with_traceback else None)
        return True

    def ok(self, prefix: str) -> None:
        """Closes every open fault whose key starts with `prefix`."""
        with self._lock:
            closed = {k: v for k, v in self._active.items() if k.startswith(prefix)}
            for k in closed:
                del self._active[k]
        for key, since in closed.items():
            self._log.warning("recovered: %s after %.1f s", key, time.monotonic() - since)

    def is_open(self, key: str) -> bool:
        with self._lock:
            return key in self._active
