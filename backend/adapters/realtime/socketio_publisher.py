"""The realtime port over Socket.IO.

Services call it right after their commit, on the request's thread. It only puts the change on an
in-process queue and returns, so publishing can neither fail nor slow a request. One worker thread
turns changes into events: it reads what it needs (one statement gives every waiting place of the
services that moved), numbers each event per room, and emits — through Redis to every process when
Redis is configured. Changes that arrive together are handled together, so a burst of calls costs
one read per burst, not one per call.
"""
import queue
import threading
import time
from collections import Counter
from datetime import date

from ...domain.devices import DeviceStatus
from ...domain.hospital_time import hospital_day
from ..logs import bound_request_id, current_request_id
from ...domain.tickets import Ticket, TicketStatus
from ...services import queue_positions
from ...services.queues import overview
from ...services.tickets import links_of
from ...presenters import realtime as payloads
from . import states
from .redis_link import RedisUnavailable
from .rooms import (
    DISPLAY,
    KIOSK,
    PATIENT,
    STAFF,
    STAFF_ALL,
    device_room,
    display_room,
    seq_key,
    staff_rooms_hearing,
    staff_service_room,
    ticket_room,
)

MAX_GATHER_S = 0.05
MIN_GATHER_S = 0.005
# Queue counts of one service go out at most this often: a busy lobby issues tickets faster than
# a dashboard can show them, and each count is a read over the whole day.
COUNTS_EVERY_S = 0.25
QUEUE_MAX = 20_000
BATCH_MAX = 500
IDLE_S = 1.0
REASSERT_EVERY_S = 300.0

# Actions after which waiting tickets behind the changed one have a new place.
MOVES_QUEUE = frozenset({"issue", "cancel", "call", "requeue"})
# A finished consultation changes the service's average time, so every estimate of that queue.
CHANGES_ESTIMATES = frozenset({"finish", "priority"})  # a priority change may move a ticket back too
LEFT_POINT = frozenset({TicketStatus.DONE, TicketStatus.SKIPPED, TicketStatus.CANCELLED})
EVERYONE = (float("-inf"),)


class SocketIOPublisher:
    def __init__(self, max_queue: int = QUEUE_MAX):
        self._q: queue.Queue = queue.Queue(maxsize=max_queue)
        self._hub = None
        self._thread = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._generation_seen = 0
        self._reasserted_at = time.monotonic()
        self._counts_due: set[str] = set()
        self._counts_sent: dict[str, float] = {}
        # Service times the last batch read, with when: held-back counts sent soon after reuse them.
        self._averages: tuple[float, dict] = (float("-inf"), {})
        self.stats: Counter[str] = Counter()

    # --- wiring -------------------------------------------------------------------------------
    def attach(self, hub) -> None:
        self._hub = hub
        hub.publisher = self

    def start(self) -> None:
        """Starts the worker on first use, so CLI commands and tests that never publish hold no
        thread."""
        if self._thread is not None or self._hub is None or self._hub.sio is None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = self._hub.sio.start_background_task(self._run)

    def stop(self) -> None:
        self._stop.set()

    def flush(self, timeout: float = 5.0) -> bool:
        """Waits until everything published so far has been emitted (tests, shutdown), held-back
        queue counts included."""
        deadline = time.monotonic() + timeout
        if self._thread is not None:
            self._put(("counts",))
        with self._q.all_tasks_done:
            while self._q.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._q.all_tasks_done.wait(left)
        return True

    # --- the port -----------------------------------------------------------------------------
    def ticket_changed(self, ticket: Ticket, action: str) -> None:
        self._put(("ticket", ticket, action))

    def device_changed(self, device: DeviceStatus) -> None:
        self._put(("device", device))

    def invoice_changed(self, invoice: dict) -> None:
        self._put(("invoice", dict(invoice)))

    def alert(self, alert: dict) -> None:
        self._put(("alert", dict(alert)))

    def _put(self, item) -> None:
        hub = self._hub
        if hub is None:
            return  # a CLI process: nobody is connected to hear it
        try:
            self.start()
            # last: the request that made the change, for the log lines of its publishing
            self._q.put_nowait(item + (current_request_id(),))
        except queue.Full:
            self.stats["dropped"] += 1
            hub.faults.fault("publish:queue_full",
                             "Hàng đợi cập nhật trực tiếp đầy / realtime queue full: events dropped")
        except Exception as exc:  # the request has committed; it must not fail because of us
            hub.faults.fault("publish:enqueue",
                             "Không xếp được cập nhật trực tiếp / realtime enqueue failed", exc,
                             with_traceback=True)

    # --- the worker ---------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._q.get(timeout=self._wait_s())
            except queue.Empty:
                self._guarded(self._maintain)
                self._guarded(lambda: self._send_counts(force=False))
                continue
            batch = [first]
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            started = time.monotonic()
            try:
                with bound_request_id(_request_ids(batch)):
                    self._guarded(self._maintain)
                    self._guarded(lambda: self._handle(batch))
                    forced = any(item[0] == "counts" for item in batch)
                    self._guarded(lambda: self._send_counts(force=forced))
            finally:
                for _ in batch:
                    self._q.task_done()
            # Under a burst, let changes gather for as long as the last batch took (5 to 50 ms):
            # one pass then covers many, and request threads keep most of the GIL. A change after
            # a quiet spell still goes out at once: the wait comes after a batch, not before.
            self._stop.wait(max(MIN_GATHER_S, min(MAX_GATHER_S, time.monotonic() - started)))

    def _wait_s(self) -> float:
        if not self._counts_due:
            return IDLE_S
        due = min(self._counts_sent.get(c, 0.0) for c in self._counts_due) + COUNTS_EVERY_S
        return min(IDLE_S, max(0.0, due - time.monotonic()))

    def _send_counts(self, force: bool) -> None:
        """queue.updated for the services whose counts changed: at once for a service quiet for
        COUNTS_EVERY_S, otherwise when that time is up, so a burst costs one read, not one each."""
        if not self._counts_due:
            return
        now = time.monotonic()
        ready = {c for c in self._counts_due
                 if force or now - self._counts_sent.get(c, float("-inf")) >= COUNTS_EVERY_S}
        if not ready:
            return
        self._counts_due -= ready
        for code in ready:
            self._counts_sent[code] = now
        deps = self._hub.deps
        read_at, averages = self._averages
        full = states.queue_rows(deps, None,
                                 overview(deps, averages if now - read_at <= COUNTS_EVERY_S else None))
        out = [(STAFF, "queue.updated", STAFF_ALL, states.limit_rows(full, ready))]
        for code in sorted(ready):
            out.append((STAFF, "queue.updated", staff_service_room(code), states.limit_rows(full, {code})))
        self._send(out)

    def _guarded(self, fn) -> None:
        faults = self._hub.faults
        try:
            fn()
        except Exception as exc:
            if faults.fault(f"publish:{type(exc).__name__}",
                            "Không gửi được cập nhật trực tiếp / realtime publishing failed", exc,
                            with_traceback=True):
                self.stats["faults"] += 1
            return
        faults.ok("publish:")

    def _handle(self, batch: list[tuple]) -> None:
        out: list[tuple] = []
        tickets = [(item[1], item[2]) for item in batch if item[0] == "ticket"]
        if tickets:
            self._tickets(tickets, out)
        for item in batch:
            kind = item[0]
            if kind == "invoice":
                invoice = item[1]
                body = payloads.invoice_update(invoice)
                if invoice.get("device_id"):
                    out.append((KIOSK, "invoice.updated", device_room(invoice["device_id"]), body))
                if invoice.get("ticket_id"):
                    out.append((PATIENT, "invoice.updated", ticket_room(invoice["ticket_id"]), body))
            elif kind == "device":
                out.append((STAFF, "device.updated", STAFF_ALL, payloads.device_update(item[1])))
            elif kind == "alert":
                alert = item[1]
                service = alert.get("service")
                code = service.get("code") if isinstance(service, dict) else None
                for room in staff_rooms_hearing(code):
                    out.append((STAFF, "alert", room, payloads.alert_update(alert)))
        self._send(out)

    def _tickets(self, changes: list[tuple[Ticket, str]], out: list[tuple]) -> None:
        by_day: dict[date, list[tuple[Ticket, str]]] = {}
        for t, action in changes:
            by_day.setdefault(t.day, []).append((t, action))
        for day, group in by_day.items():
            self._tickets_of_day(day, group, out)

    def _tickets_of_day(self, day: date, group: list[tuple[Ticket, str]], out: list[tuple]) -> None:
        deps = self._hub.deps
        catalog = deps.catalog
        codes = {t.service_code for t, _ in group}

        # The lobby hears first: a call needs no read, and the patient is already walking.
        calls: list[tuple] = []
        for i, (t, action) in enumerate(group):
            point = catalog.points.get(t.service_point) if t.service_point else None
            if point is None:
                continue
            if action in ("call", "recall") and t.status is TicketStatus.CALLED:
                calls.append((DISPLAY, "ticket.called", display_room(point.display),
                              {**payloads.display_call(t, catalog), "recall": action == "recall"}))
            elif t.status in LEFT_POINT and not _called_later(group, i, point.code):
                calls.append((DISPLAY, "display.cleared", display_room(point.display),
                              payloads.display_cleared(t, point, deps.clock())))
        self._send(calls)

        places: dict[str, queue_positions.Place] = {}
        followed = self._hub.listeners.anyone_on(day)
        order: dict[str, list[queue_positions.WaitingEntry]] = {code: [] for code in codes}
        # A new ticket's place and wait were counted in its issuing transaction: a batch of new
        # tickets that no phone follows needs no read at all.
        for t, action in group:
            if t.status is TicketStatus.WAITING and action == "issue":
                places[t.id] = queue_positions.place_at_issue(t)
        moved_back = [t for t, action in group
                      if t.status is TicketStatus.WAITING and action != "issue" and t.id not in places]
        if followed or moved_back:
            with deps.uow.read() as uow:
                averages = uow.service_times.all()
                self._averages = (time.monotonic(), averages)
                if followed:
                    order = queue_positions.waiting_places(uow, deps, day, codes, averages)
                else:
                    # Nobody follows a ticket today: only the changed tickets need a place (for
                    # staff); a requeued ticket stands at the back, where counting is cheap.
                    for t in moved_back:
                        places[t.id] = queue_positions.place_from_back(uow, deps, t, averages)
        numbers: dict[str, str] = {}
        for entries in order.values():
            for entry in entries:
                places[entry.id] = entry.place
                numbers[entry.id] = entry.display_number

        def place_of(t: Ticket):
            return places.get(t.id) if t.status is TicketStatus.WAITING else None

        # Staff hear every change, in order.
        for t, action in group:
            body = payloads.staff_update(t, action, place_of(t), catalog)
            for room in staff_rooms_hearing(t.service_code):
                out.append((STAFF, "ticket.updated", room, body))

        # Patients: each changed ticket once (its latest state), then everyone the move shifted.
        latest = {t.id: t for t, _ in group}
        moved: list[str] = []
        for code in codes:
            threshold = None
            for t, action in group:
                if t.service_code != code:
                    continue
                if action in CHANGES_ESTIMATES:
                    mark = EVERYONE
                elif action in MOVES_QUEUE:
                    mark = (t.rank, t.queue_key, t.number)
                else:
                    continue
                threshold = mark if threshold is None else min(threshold, mark)
            if threshold is None:
                continue
            moved += [e.id for e in order[code]
                      if (e.rank, e.queue_key, e.number) > threshold and e.id not in latest]
        listening = self._hub.listeners.any_of(day, list(latest) + moved)
        # A followed ticket sent on tells its phone where the visit went (one read per transfer).
        sent_on = [t for t, action in group if action == "transfer" and t.id in listening]
        links: dict[str, dict] = {}
        if sent_on:
            with deps.uow.read() as uow:
                links = {t.id: links_of(uow, deps, t) for t in sent_on}
        for tid, t in latest.items():
            if tid in listening:
                out.append((PATIENT, "ticket.updated", ticket_room(tid),
                            payloads.patient_update(t, place_of(t), catalog, links.get(tid),
                                                    deps.public_url)))
        for tid in moved:
            if tid in listening:
                position, ahead, wait = places[tid]
                out.append((PATIENT, "ticket.updated", ticket_room(tid), {
                    "id": tid, "display_number": numbers[tid], "status": "waiting",
                    "position": position, "people_ahead": ahead, "estimated_wait_min": wait,
                    "service_point": None, "called_at": None}))

        # Queue counts for the services that changed: sent by _send_counts, after these.
        self._counts_due |= codes

    # --- numbering and emitting ---------------------------------------------------------------
    def _send(self, messages: list[tuple]) -> None:
        """messages: (namespace, event or None, room, payload). An event of None only uses up a
        sequence number, so the room's clients see a gap and re-fetch."""
        if not messages:
            return
        hub = self._hub
        try:
            seqs = hub.seq.next_many([seq_key(ns, room) for ns, _, room, _ in messages])
        except RedisUnavailable:
            for ns, _, room, _ in messages:
                hub.mark_dirty(ns, room)
            self.stats["lost"] += len(messages)
            return
        for (ns, event, room, payload), seq in zip(messages, seqs):
            if event is None:
                continue
            body = {"seq": seq, "room": room, **payload}
            if event.endswith(".state"):
                body["rooms"] = {room: seq}
            hub.sio.emit(event, body, namespace=ns, to=room)
            self.stats[event] += 1
            if ns == PATIENT:
                self.stats["patient_emits"] += 1

    # --- after a Redis outage -----------------------------------------------------------------
    def _maintain(self) -> None:
        hub = self._hub
        link = hub.link
        if link is None:
            return
        now = time.monotonic()
        if link.up and (link.generation != self._generation_seen
                        or now - self._reasserted_at > REASSERT_EVERY_S):
            try:
                hub.listeners.reassert()
            except RedisUnavailable:
                return
            self._generation_seen = link.generation
            self._reasserted_at = now
        dirty = hub.take_dirty()
        if not dirty:
            return
        if not link.available():
            hub.restore_dirty(dirty)
            return
        try:
            self._resync(dirty)
        except Exception:
            hub.restore_dirty(dirty)
            raise

    def _resync(self, dirty: set[tuple[str, str]]) -> None:
        """Rooms that missed events get the full state again (staff: a gap, then fresh counts)."""
        hub = self._hub
        deps = hub.deps
        out: list[tuple] = []
        patients = [room.split(":", 1)[1] for ns, room in dirty if ns == PATIENT]
        listening = hub.listeners.any_of(hospital_day(deps.clock()), patients) if patients else set()
        full = None
        devices = None
        for ns, room in sorted(dirty):
            kind, _, key = room.partition(":")
            if ns == DISPLAY and kind == "display":
                out.append((ns, "display.state", room, states.display_state(deps, key)))
            elif ns == PATIENT and kind == "ticket" and key in listening:
                try:
                    out.append((ns, "patient.state", room, states.patient_state(deps, key)))
                except Exception:
                    continue  # the ticket is gone: nobody to tell
            elif ns == STAFF:
                full = full or states.queue_rows(deps, None)
                scope = None if room == STAFF_ALL else {room.rsplit(":", 1)[1]}
                out.append((ns, None, room, {}))
                rows = full if scope is None else states.limit_rows(full, scope)
                out.append((ns, "queue.updated", room, rows))
            elif ns == KIOSK and kind == "device":
                if devices is None:
                    with deps.uow.read() as uow:
                        devices = {r.id: r.name for r in uow.devices.all()}
                if key in devices:
                    out.append((ns, "kiosk.state", room, states.kiosk_state(deps, devices[key])))
        self._send(out)
        self.stats["resync_rooms"] += len(dirty)


def _called_later(group, index: int, point_code: str) -> bool:
    return any(a == "call" and t.service_point == point_code for t, a in group[index + 1:])


def _request_ids(batch: list[tuple], most: int = 4) -> str | None:
    """The ids of the requests whose changes a batch publishes (the first few), for its log lines."""
    ids = list(dict.fromkeys(item[-1] for item in batch if item[-1]))
    if not ids:
        return None
    return ",".join(ids[:most]) + (f",+{len(ids) - most}" if len(ids) > most else "")
