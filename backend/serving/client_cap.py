"""Open connections (or requests) per client address, against one limit.

Kiosks and staff screens are few and each patient has one phone, so a handful of connections per
address is all a lobby needs; an address holding more is a fault or an attack, and without a cap
one address could hold every connection the process can take.
"""
import threading
from collections import Counter


class ClientCap:
    def __init__(self, limit: int):
        self.limit = limit
        self._open: Counter[str] = Counter()
        # One event loop never needs it; the threaded test servers do.
        self._lock = threading.Lock()

    def try_open(self, address: str) -> bool:
        with self._lock:
            if self.limit > 0 and self._open[address] >= self.limit:
                return False
            self._open[address] += 1
            return True

    def close(self, address: str) -> None:
        with self._lock:
            left = self._open[address] - 1
            if left > 0:
                self._open[address] = left
            else:
                del self._open[address]

    def open_count(self, address: str) -> int:
        with self._lock:
            return self._open.get(address, 0)
