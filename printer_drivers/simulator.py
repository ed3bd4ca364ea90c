"""A network ESC/POS receipt printer in software, for the demo kiosk and for tests over real TCP.

It behaves like the printers the kiosk meets in the field, in the ways that matter for failures:

* real-time commands (DLE EOT n status, DLE DC4 8 clear buffers) are answered on arrival, even
  while the printer is stopped; everything else queues behind the paper;
* with paper out or the cover open, received data is *held*, and prints by itself when the fault
  clears unless the host cleared the buffers first — the "burst later" a kiosk must prevent;
* GS r 1 is answered only once everything before it has printed;
* "offline" is a vanished printer: connections are reset and new ones refused; "unresponsive"
  accepts connections but never answers.

A connection that sends anything printable is one job; `jobs` lists what each job delivered and
what actually came out on paper.

    sim = PrinterSimulator("127.0.0.1", 0).start()   # port 0: pick a free port, see sim.port
    sim.set_state("paper_out")                        # or after_bytes=N: run out mid-job
    sim.stop()

    python -m printer_drivers.simulator --port 9100   # then type a state name on stdin
"""

from __future__ import annotations

import argparse
import logging
import socket
import socketserver
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .stream import Command, StreamParser

log = logging.getLogger(__name__)

STATES = ("ok", "paper_low", "paper_out", "cover_open", "offline", "unresponsive")
_PRINTING_STATES = ("ok", "paper_low")

# Answers to DLE EOT 1 (printer), 2 (offline cause), 3 (error cause), 4 (roll paper sensor).
_REALTIME_ANSWERS = {
    "ok": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    "paper_low": {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    "paper_out": {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E},
    "cover_open": {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},
}
# Answer to GS r 1 once it is reached in the print queue.
_PAPER_ANSWERS = {"ok": 0x00, "paper_low": 0x03}
_CLEAR_ANSWER = b"\x37\x25\x00"


@dataclass(frozen=True)
class RecordedJob:
    number: int
    received: bytes  # everything the connection delivered, status queries included
    printed: bytes  # the commands that came out on paper, in order (feed it to preview_png)
    completed: bool  # a cut was printed
    held_bytes: int  # waiting inside the printer for the fault to clear
    cleared: bool  # the host cleared the printer's buffers while this job was held
    printed_late: bool  # part of it printed only after a fault cleared
    dropped: bool  # the printer vanished during the job
    closed: bool


@dataclass(eq=False)
class _Job:
    number: int
    received: bytearray = field(default_factory=bytearray)
    printed: bytearray = field(default_factory=bytearray)
    completed: bool = False
    cleared: bool = False
    printed_late: bool = False
    dropped: bool = False
    closed: bool = False

    def snapshot(self, held_bytes: int) -> RecordedJob:
        return RecordedJob(
            self.number,
            bytes(self.received),
            bytes(self.printed),
            self.completed,
            held_bytes,
            self.cleared,
            self.printed_late,
            self.dropped,
            self.closed,
        )


@dataclass(eq=False)
class _Connection:
    sock: socket.socket
    parser: StreamParser = field(default_factory=StreamParser)
    received: bytearray = field(default_factory=bytearray)
    job: _Job | None = None
    dropped: bool = False


class PrinterSimulator:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9100,
        *,
        state: str = "ok",
        save_dir: str | Path | None = None,
        width_dots: int = 576,
        on_job: Callable[[RecordedJob], None] | None = None,
    ) -> None:
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}")
        self.host = host
        self._requested_port = port
        self.width_dots = width_dots
        self.save_dir = Path(save_dir) if save_dir else None
        self.on_job = on_job
        self._state = state
        self._trigger: tuple[str, int] | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._jobs: list[_Job] = []
        self._held: list[tuple[_Connection, _Job, Command]] = []
        self._connections: set[_Connection] = set()
        self.connection_count = 0
        self._server: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> "PrinterSimulator":
        simulator = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                simulator._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server((self.host, self._requested_port), Handler)
        # A short poll interval makes stop() quick; the cost is a few idle wake-ups a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="printer-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if not self._server:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for connection in list(self._connections):
                self._drop(connection)
        self._server = None

    def __enter__(self) -> "PrinterSimulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._server:
            raise RuntimeError("simulator not started")
        return self._server.server_address[1]

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    # ----------------------------------------------------------------- control

    @property
    def state(self) -> str:
        return self._state

    def set_state(self, state: str, *, after_bytes: int | None = None) -> None:
        """Switch now, or once the job being printed has put `after_bytes` bytes on paper."""
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}")
        with self._lock:
            if after_bytes is not None:
                self._trigger = (state, after_bytes)
            else:
                self._trigger = None
                self._enter_state(state)
            self._changed.notify_all()

    @property
    def jobs(self) -> list[RecordedJob]:
        with self._lock:
            return [job.snapshot(self._held_bytes(job)) for job in self._jobs]

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def clear_jobs(self) -> None:
        with self._lock:
            self._jobs.clear()

    def wait_until(self, predicate: Callable[["PrinterSimulator"], bool], timeout: float = 5.0) -> bool:
        """Block until predicate(simulator) holds (checked on every change); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def wait_idle(self, timeout: float = 5.0) -> bool:
        return self.wait_until(lambda sim: not sim._connections, timeout)

    # ----------------------------------------------------------------- printer model (lock held)

    def _held_bytes(self, job: _Job) -> int:
        return sum(len(command.raw) for _, held_job, command in self._held if held_job is job)

    def _enter_state(self, state: str) -> None:
        previous, self._state = self._state, state
        log.info("printer simulator: %s -> %s", previous, state)
        if state == "offline":
            # A vanished printer loses what it held, and its connections die with it.
            for _, job, _ in self._held:
                job.dropped = True
            self._held.clear()
            for connection in list(self._connections):
                self._drop(connection)
        elif state in _PRINTING_STATES:
            held, self._held = self._held, []
            for connection, job, command in held:
                job.printed_late = True
                self._print(connection, job, command)

    def _drop(self, connection: _Connection) -> None:
        connection.dropped = True
        if connection.job:
            connection.job.dropped = True
        try:
            # Linger 0 makes the close a reset, like a printer losing power mid-conversation.
            connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _answer(self, connection: _Connection, data: bytes) -> None:
        if connection.dropped:
            return
        try:
            connection.sock.sendall(data)
        except OSError:
            pass  # the host has gone; a real printer would not notice either

    def _handle(self, connection: _Connection, command: Command) -> None:
        if self._state == "unresponsive":
            return
        if command.realtime:
            if command.name == "realtime_status":
                answers = _REALTIME_ANSWERS.get(self._state, _REALTIME_ANSWERS["ok"])
                self._answer(connection, bytes([answers.get(command.args["n"], 0x12)]))
            elif command.name == "clear_buffers":
                for _, job, _ in self._held:
                    job.cleared = True
                self._held.clear()
                self._answer(connection, _CLEAR_ANSWER)
            return
        if connection.job is None:
            # The job shares the connection's byte log, so status queries sent before it are kept.
            connection.job = _Job(number=len(self._jobs) + 1, received=connection.received)
            self._jobs.append(connection.job)
        job = connection.job
        if self._held or self._state not in _PRINTING_STATES:
            self._held.append((connection, job, command))
            return
        self._print(connection, job, command)

    def _print(self, connection: _Connection, job: _Job, command: Command) -> None:
        if self._trigger and len(job.printed) >= self._trigger[1]:
            state, self._trigger = self._trigger[0], None
            self._enter_state(state)
            if state not in _PRINTING_STATES:
                if state != "offline":
                    self._held.append((connection, job, command))
                return
        if command.name == "transmit_status":
            self._answer(connection, bytes([_PAPER_ANSWERS[self._state]]))
            return
        job.printed += command.raw
        if command.name == "cut":
            job.completed = True

    # ----------------------------------------------------------------- connections

    def _serve(self, sock: socket.socket) -> None:
        connection = _Connection(sock)
        with self._lock:
            self.connection_count += 1
            if self._state == "offline":
                self._drop(connection)
                sock.close()
                self._changed.notify_all()
                return
            self._connections.add(connection)
            self._changed.notify_all()
        try:
            while True:
                try:
                    data = sock.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                with self._lock:
                    if connection.dropped:
                        break
                    connection.received += data
                    for command in connection.parser.feed(data):
                        self._handle(connection, command)
                        if connection.dropped:
                            break
                    self._changed.notify_all()
                    if connection.dropped:
                        break
        finally:
            with self._lock:
                self._connections.discard(connection)
                job = connection.job
                if job:
                    job.closed = True
                self._changed.notify_all()
            try:
                sock.close()
            except OSError:
                pass
            if job:
                self._job_finished(job)

    def _job_finished(self, job: _Job) -> None:
        with self._lock:
            record = job.snapshot(self._held_bytes(job))
        if self.save_dir:
            from .preview import preview_png  # Pillow only when previews are wanted

            self.save_dir.mkdir(parents=True, exist_ok=True)
            stem = self.save_dir / f"job-{record.number:04d}"
            stem.with_suffix(".bin").write_bytes(record.printed)
            stem.with_suffix(".png").write_bytes(preview_png(record.printed, self.width_dots))
        if self.on_job:
            self.on_job(record)
        with self._changed:
            self._changed.notify_all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Network ESC/POS printer simulator (port 9100 protocol).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100, help="0 picks a free port")
    parser.add_argument("--state", default="ok", choices=STATES)
    parser.add_argument("--width", type=int, default=576, help="paper width in dots for saved previews")
    parser.add_argument("--save-dir", help="write job-NNNN.bin and job-NNNN.png for every job")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    def report(job: RecordedJob) -> None:
        outcome = "printed" if job.completed and not job.held_bytes else "incomplete"
        print(f"job {job.number}: {len(job.printed)} bytes on paper, {outcome}", flush=True)

    simulator = PrinterSimulator(
        args.host, args.port, state=args.state, save_dir=args.save_dir, width_dots=args.width, on_job=report
    ).start()
    print(f"printer simulator listening on {args.host}:{simulator.port} (state {simulator.state})", flush=True)
    print(f"type a state to switch ({', '.join(STATES)}), or 'quit'", flush=True)
    try:
        for line in sys.stdin:
            word = line.strip()
            if word in ("quit", "exit"):
                break
            if word in STATES:
                simulator.set_state(word)
                print(f"state: {word}", flush=True)
            elif word:
                print(f"unknown command {word!r}", flush=True)
        else:
            threading.Event().wait()  # stdin closed (run as a service): serve until killed
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
