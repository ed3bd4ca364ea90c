"""Per-room sequence numbers and the set of tickets someone is following.

Sequence numbers let a client see that it missed an event (seq is not last + 1) and re-fetch.
They must grow even across restarts and across processes, so a room's counter starts at the
wall-clock millisecond it was created and then grows by one per event: a counter recreated after a
restart (or after Redis lost its memory) starts above every number handed out before, as long as a
room never averaged more than one event per millisecond.
"""
import threading
import time
from collections import Counter
from datetime import date

from .redis_link import RedisLink, RedisUnavailable

SEQ_TTL_S = 2 * 24 * 3600
LISTEN_TTL_S = 2 * 24 * 3600
LOCAL_SEQ_MAX = 50_000


def _base() -> int:
    return int(time.time() * 1000)


class LocalSeq:
    """One process, no Redis."""

    def __init__(self):
        self._values: dict[str, int] = {}
        self._lock = threading.Lock()

    def next_many(self, keys: list[str]) -> list[int]:
        out = []
        with self._lock:
            if len(self._values) > LOCAL_SEQ_MAX:
                # Old tickets' rooms pile up over weeks; restarting a counter is safe (see above).
                self._values.clear()
            for key in keys:
                value = self._values.get(key)
                value = _base() if value is None else value + 1
                self._values[key] = value
                out.append(value)
        return out

    def current(self, key: str) -> int:
        with self._lock:
            return self._values.setdefault(key, _base())


class RedisSeq:
    """Shared by every process: INCR in Redis."""

    PREFIX = "tiepdon:seq:"

    def __init__(self, link: RedisLink):
        self.link = link

    def next_many(self, keys: list[str]) -> list[int]:
        if not keys:
            return []
        base = _base()

        def run(client):
            pipe = client.pipeline(transaction=False)
            for key in keys:
                k = self.PREFIX + key
                pipe.set(k, base, nx=True, ex=SEQ_TTL_S)
                pipe.incr(k)
                pipe.expire(k, SEQ_TTL_S)
            return pipe.execute()

        replies = self.link.run(run)
        return [int(v) for v in replies[1::3]]

    def current(self, key: str) -> int:
        k = self.PREFIX + key
        base = _base()

        def run(client):
            pipe = client.pipeline(transaction=False)
            pipe.set(k, base, nx=True, ex=SEQ_TTL_S)
            pipe.get(k)
            return pipe.execute()

        return int(self.link.run(run)[1])


class LocalListeners:
    """Which tickets have a phone following them in this process."""

    def __init__(self):
        self._count: Counter[tuple[date, str]] = Counter()
        self._lock = threading.Lock()

    def add(self, day: date, ticket_id: str) -> None:
        with self._lock:
            self._count[(day, ticket_id)] += 1

    def remove(self, day: date, ticket_id: str) -> None:
        with self._lock:
            self._count[(day, ticket_id)] -= 1
            if self._count[(day, ticket_id)] <= 0:
                del self._count[(day, ticket_id)]

    def local(self, day: date, ticket_ids) -> set[str]:
        with self._lock:
            return {t for t in ticket_ids if (day, t) in self._count}

    def all_local(self) -> list[tuple[date, str]]:
        with self._lock:
            return list(self._count)

    def any_of(self, day: date, ticket_ids) -> set[str]:
        return self.local(day, ticket_ids)

    def anyone_on(self, day: date) -> bool:
        """Is any phone following a ticket of `day`? When not, queue moves need no positions."""
        with self._lock:
            return any(d == day for d, _ in self._count)

    def reassert(self) -> None:
        pass


class RedisListeners(LocalListeners):
    """Across processes: a Redis set per day. Members are never removed one by one (a phone that
    closed only costs an unneeded event until the day's set expires), which keeps a crashed
    process from leaving anyone unfollowed."""

    PREFIX = "tiepdon:listening:"

    def __init__(self, link: RedisLink):
        super().__init__()
        self.link = link

    def add(self, day: date, ticket_id: str) -> None:
        super().add(day, ticket_id)
        key = self.PREFIX + day.isoformat()
        try:
            self.link.run(lambda c: c.pipeline(transaction=False).sadd(key, ticket_id)
                          .expire(key, LISTEN_TTL_S).execute())
        except RedisUnavailable:
            pass  # written again by reassert() when Redis is back

    def any_of(self, day: date, ticket_ids) -> set[str]:
        ids = list(ticket_ids)
        if not ids:
            return set()
        key = self.PREFIX + day.isoformat()
        try:
            flags = self.link.run(lambda c: c.smismember(key, ids))
        except RedisUnavailable:
            # Unknown: assume everyone listens, so the rooms are resynchronised after the outage.
            return set(ids)
        return {t for t, f in zip(ids, flags) if f} | self.local(day, ids)

    def anyone_on(self, day: date) -> bool:
        if super().anyone_on(day):
            return True
        key = self.PREFIX + day.isoformat()
        try:
            return bool(self.link.run(lambda c: c.exists(key)))
        except RedisUnavailable:
            return True  # unknown: do the full work rather than leave a phone stale

    def reassert(self) -> None:
        by_day: dict[date, list[str]] = {}
        for day, ticket_id in self.all_local():
            by_day.setdefault(day, []).append(ticket_id)
        if not by_day:
            return

        def run(client):
            pipe = client.pipeline(transaction=False)
            for day, ids in by_day.items():
                key = self.PREFIX + day.isoformat()
                pipe.sadd(key, *ids)
                pipe.expire(key, LISTEN_TTL_S)
            pipe.execute()

        self.link.run(run)
