"""`tiepdon serve --cpu` (TIEPDON_CPU): the server's processes and threads stay on one CPU."""
import os
import subprocess
import sys

import pytest

from backend.adapters.db.migrate import upgrade
from backend.cpu_affinity import BadCpu, cpus_for_processes
from tests.support.servers import ServerProcess, server_env


def test_each_process_takes_the_next_allowed_cpu():
    assert cpus_for_processes(2, 3, [0, 1, 2, 3]) == [2, 3, 0]
    assert cpus_for_processes(5, 2, [1, 5, 7]) == [5, 7]
    assert cpus_for_processes(1, 1, [1]) == [1]
    with pytest.raises(BadCpu):
        cpus_for_processes(4, 1, [0, 1, 2, 3])


def threads_of(pid: int) -> list[int]:
    return [int(t) for t in os.listdir(f"/proc/{pid}/task")]


@pytest.mark.slow
def test_serve_pins_master_worker_and_every_thread(sqlite_url):
    cpu = max(os.sched_getaffinity(0))
    upgrade(sqlite_url)
    server = ServerProcess(sqlite_url, TIEPDON_CPU=cpu).start()
    try:
        master = server.proc.pid
        with open(f"/proc/{master}/task/{master}/children") as fh:
            workers = [int(p) for p in fh.read().split()]
        assert workers
        for pid in [master, *workers]:
            for tid in threads_of(pid):
                assert os.sched_getaffinity(tid) == {cpu}, (pid, tid)
    finally:
        server.stop()


@pytest.mark.parametrize("value", ["99999", "first"])
def test_serve_refuses_a_cpu_the_machine_does_not_offer(sqlite_url, value):
    upgrade(sqlite_url)
    done = subprocess.run([sys.executable, "-m", "backend.cli", "serve", "--port", "0", "--cpu", value],
                          env=server_env(sqlite_url), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "phải là một CPU của máy này" in done.stderr and "must be one of this machine's CPUs" in done.stderr
