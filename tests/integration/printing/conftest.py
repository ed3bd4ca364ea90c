"""A real TCP printer simulator per test, and a TicketPrinter pointed at it with short deadlines."""

from __future__ import annotations

import pytest

from printer_drivers.printer import TicketPrinter
from printer_drivers.simulator import PrinterSimulator

# Short but generous deadlines: they bound how long a failing case takes, nothing is timed.
FAST = {"connect_timeout_s": 2.0, "io_timeout_s": 0.5, "job_timeout_s": 5.0, "status_poll_s": 0.05}


@pytest.fixture
def simulator():
    sim = PrinterSimulator("127.0.0.1", 0).start()
    yield sim
    sim.stop()


@pytest.fixture
def printer(simulator):
    return TicketPrinter({"kind": "network", "host": "127.0.0.1", "port": simulator.port, **FAST})
