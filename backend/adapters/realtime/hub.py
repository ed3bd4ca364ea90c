"""What the namespaces and the publisher of one process share: the Socket.IO server, room sequence
numbers, who follows which ticket, the Redis link and the rooms that missed events."""
import logging
import threading
from datetime import date

from ...services.context import Deps
from ...presenters import realtime as payloads
from . import states
from .counters import LocalListeners, LocalSeq, RedisListeners, RedisSeq
from .faults import FaultLog
from .redis_link import RedisLink, RedisUnavailable
from .redis_queue import RedisQueue
from .rooms import seq_key

log = logging.getLogger("tiepdon.realtime")


class RealtimeHub:
    def __init__(self, deps: Deps, redis_url: str | None = None, long_wait_check_s: float = 30.0):
        self.deps = deps
        self.faults = FaultLog(log)
        self.link = RedisLink(redis_url, self.faults) if redis_url else None
        self.seq = RedisSeq(self.link) if self.link else LocalSeq()
        self.listeners = RedisListeners(self.link) if self.link else LocalListeners()
        self.sio = None
        self.publisher = None
        self.sweeper = None  # realtime.sweeper.ConnectionSweeper, set by init_realtime
        self.watch = LongWaitWatch(self, long_wait_check_s)
        self._dirty: set[tuple[str, str]] = set()
        self._patients: dict[str, tuple[date, str]] = {}
        self._lock = threading.Lock()

    def message_queue(self) -> RedisQueue | None:
        if self.link is None:
            return None
        return RedisQueue(self.link, on_lost=self.mark_dirty, on_resubscribed=self.resubscribed)

    # --- rooms that missed events -------------------------------------------------------------
    def mark_dirty(self, namespace: str, room: str) -> None:
        with self._lock:
            self._dirty.add((namespace, room))

    def resubscribed(self) -> None:
        """This process was deaf to the other processes for a while: every room with a client
        here gets the full state again."""
        manager = self.sio.server.manager if self.sio is not None else None
        if manager is None:
            return
        for namespace, rooms in list(manager.rooms.items()):
            for room in list(rooms):
                if isinstance(room, str) and ":" in room:  # ours; a client's own room is its sid
                    self.mark_dirty(namespace, room)

    def take_dirty(self) -> set[tuple[str, str]]:
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        return dirty

    def restore_dirty(self, dirty: set[tuple[str, str]]) -> None:
        with self._lock:
            self._dirty |= dirty

    # --- connections --------------------------------------------------------------------------
    def connection_opened(self) -> None:
        if self.publisher is not None:
            self.publisher.start()
        if self.sweeper is not None:
            self.sweeper.start()

    def current_seqs(self, namespace: str, rooms: list[str]) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for room in rooms:
            try:
                out[room] = self.seq.current(seq_key(namespace, room))
            except RedisUnavailable:
                out[room] = None  # the client takes the next event's seq as its start
        return out

    def patient_joined(self, sid: str, day: date, ticket_id: str) -> None:
        with self._lock:
            self._patients[sid] = (day, ticket_id)
        self.listeners.add(day, ticket_id)

    def patient_left(self, sid: str) -> None:
        with self._lock:
            entry = self._patients.pop(sid, None)
        if entry is not None:
            self.listeners.remove(*entry)

    def staff_joined(self) -> None:
        self.watch.start()

    def stop(self) -> None:
        self.watch.stop()
        if self.sweeper is not None:
            self.sweeper.stop()
        if self.publisher is not None:
            self.publisher.stop()


class LongWaitWatch:
    """Every `interval_s`, one `alert` per ticket waiting longer than its service's long_wait_min.

    Started by the first staff connection of the process (nobody else hears alerts). With several
    processes each may run one; a Redis SET NX per ticket makes sure staff hear each alert once."""

    CLAIM_PREFIX = "tiepdon:alerted:"
    CLAIM_TTL_S = 2 * 24 * 3600

    def __init__(self, hub: RealtimeHub, interval_s: float):
        self.hub = hub
        self.interval_s = interval_s
        self._claimed: set[str] = set()
        self.rounds = 0
        self._started = False
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> None:
        if self.interval_s <= 0 or self.hub.sio is None:
            return
        with self._lock:
            if self._started:
                return
            self._started = True
        self.hub.sio.start_background_task(self._run)

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
                self.hub.faults.ok("long_wait")
            except Exception as exc:
                self.hub.faults.fault("long_wait", "Kiểm tra chờ lâu bị lỗi / long-wait check failed",
                                      exc, with_traceback=True)
            self.rounds += 1

    def check(self) -> int:
        deps = self.hub.deps
        now = deps.clock()
        sent = 0
        for ticket, service, waited in states.long_waits(deps, now):
            if self._claim(ticket.id):
                deps.publisher.alert(payloads.long_wait_alert(ticket, service, waited, now))
                sent += 1
        if len(self._claimed) > 100_000:
            self._claimed.clear()
        return sent

    def _claim(self, ticket_id: str) -> bool:
        if ticket_id in self._claimed:
            return False
        link = self.hub.link
        if link is not None:
            key = self.CLAIM_PREFIX + ticket_id
            try:
                won = link.run(lambda c: c.set(key, "1", nx=True, ex=self.CLAIM_TTL_S))
            except RedisUnavailable:
                return False  # try again next round rather than risk a duplicate
            if not won:
                self._claimed.add(ticket_id)
                return False
        self._claimed.add(ticket_id)
        return True
