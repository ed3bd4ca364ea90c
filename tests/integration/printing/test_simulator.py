"""The printer simulator on its own: wire-level answers, the held-data model, and its command line."""

from __future__ import annotations

import queue
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from printer_drivers import commands
from printer_drivers.encode import encode_ticket
from printer_drivers.simulator import PrinterSimulator
from tests.unit.printing.helpers import sample_ticket

ROOT = Path(__file__).resolve().parents[3]


def _connect(sim: PrinterSimulator) -> socket.socket:
    sock = socket.create_connection(sim.address, timeout=2)
    sock.settimeout(2)
    return sock


def _all_received(count: int, held: int):
    """The simulator has seen `count` jobs, all closed, the last holding `held` bytes."""
    return lambda s: len(s.jobs) == count and all(j.closed for j in s.jobs) and s.jobs[-1].held_bytes == held


def _ask(sock: socket.socket, request: bytes) -> bytes:
    sock.sendall(request)
    return sock.recv(16)


def test_port_zero_reports_the_bound_port(simulator):
    assert simulator.port > 0
    with _connect(simulator):
        pass


@pytest.mark.parametrize(
    "state,answers",
    [
        ("ok", [0x12, 0x12, 0x12]),
        ("paper_low", [0x12, 0x12, 0x1E]),
        ("paper_out", [0x1A, 0x32, 0x7E]),
        ("cover_open", [0x1A, 0x16, 0x12]),
    ],
)
def test_realtime_status_bytes(simulator, state, answers):
    simulator.set_state(state)
    with _connect(simulator) as sock:
        got = [
            _ask(sock, q)[0]
            for q in (commands.STATUS_PRINTER, commands.STATUS_OFFLINE_CAUSE, commands.STATUS_PAPER_SENSOR)
        ]
    assert got == answers


def test_transmit_status_is_answered_only_after_the_job_printed(simulator):
    stream = encode_ticket(sample_ticket())
    simulator.set_state("paper_out")
    with _connect(simulator) as sock:
        sock.sendall(stream + commands.TRANSMIT_PAPER_STATUS)
        assert simulator.wait_until(lambda s: s.jobs and s.jobs[0].held_bytes == len(stream) + 3)
        assert select.select([sock], [], [], 0.1)[0] == []  # held: no answer yet
        assert _ask(sock, commands.STATUS_PAPER_SENSOR) == b"\x7e"  # real-time still answers
        simulator.set_state("ok")
        assert sock.recv(16) == b"\x00"
    (job,) = simulator.jobs
    assert job.printed == stream and job.printed_late and job.completed


def test_held_data_prints_by_itself_unless_cleared(simulator):
    """The hazard the kiosk must avoid, reproduced: data held during paper-out prints on reload."""
    stream = encode_ticket(sample_ticket())
    simulator.set_state("paper_out")
    with _connect(simulator) as sock:
        sock.sendall(stream)
    assert simulator.wait_until(_all_received(1, len(stream)))
    simulator.set_state("ok")
    assert simulator.jobs[0].printed == stream and simulator.jobs[0].printed_late

    simulator.clear_jobs()
    simulator.set_state("paper_out")
    with _connect(simulator) as sock:
        sock.sendall(stream)
        assert _ask(sock, commands.CLEAR_BUFFERS) == commands.CLEAR_BUFFERS_ANSWER
    assert simulator.wait_until(_all_received(1, 0))
    simulator.set_state("ok")
    (job,) = simulator.jobs
    assert job.printed == b"" and job.cleared and not job.printed_late


def test_offline_drops_connections_and_refuses_new_ones(simulator):
    with _connect(simulator) as sock:
        assert _ask(sock, commands.STATUS_PRINTER) == b"\x12"
        simulator.set_state("offline")
        try:
            assert sock.recv(16) == b""
        except ConnectionResetError:
            pass
    try:
        with _connect(simulator) as sock:
            sock.sendall(commands.STATUS_PRINTER)
            assert sock.recv(16) == b""
    except (ConnectionResetError, BrokenPipeError, ConnectionRefusedError):
        pass  # refused or reset: either way no answer from a vanished printer
    simulator.set_state("ok")
    with _connect(simulator) as sock:
        assert _ask(sock, commands.STATUS_PRINTER) == b"\x12"


def test_saves_job_and_preview(tmp_path):
    with PrinterSimulator("127.0.0.1", 0, save_dir=tmp_path) as sim:
        with _connect(sim) as sock:
            sock.sendall(encode_ticket(sample_ticket()))
        assert sim.wait_until(lambda s: (tmp_path / "job-0001.png").exists())
    assert (tmp_path / "job-0001.bin").read_bytes() == encode_ticket(sample_ticket())
    assert (tmp_path / "job-0001.png").read_bytes().startswith(b"\x89PNG")


def _line_reader(process: subprocess.Popen) -> "queue.Queue[str]":
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    return lines


def _readline(lines: "queue.Queue[str]", timeout: float = 10.0) -> str:
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError("simulator command line did not answer") from None


def test_command_line_control():
    process = subprocess.Popen(
        [sys.executable, "-m", "printer_drivers.simulator", "--port", "0"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    try:
        lines = _line_reader(process)
        banner = _readline(lines)
        assert "listening on 127.0.0.1:" in banner
        port = int(banner.split("127.0.0.1:")[1].split()[0])
        _readline(lines)  # usage hint
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            assert _ask(sock, commands.STATUS_PRINTER) == b"\x12"
        process.stdin.write("paper_out\n")
        process.stdin.flush()
        assert _readline(lines).strip() == "state: paper_out"
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            assert _ask(sock, commands.STATUS_PAPER_SENSOR) == b"\x7e"
        process.stdin.write("quit\n")
        process.stdin.flush()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
