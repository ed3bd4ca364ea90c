"""A throwaway PostgreSQL cluster for the test session.

Debian's PostgreSQL refuses to run as root, so the cluster is initialised and started as the
`postgres` user (runuser) in a temporary directory, listening on a loopback port only.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def _bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(f"PostgreSQL {name} not found: run `make test` (it installs postgresql)")
    return candidates[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tiepdon-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self._counter = 0

    def _as_postgres(self, *cmd, **kw):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(prefix + list(cmd), check=True, capture_output=True, text=True, **kw)

    def start(self) -> "PostgresCluster":
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(_bin("initdb"), "-D", self.data, "-U", "postgres", "-A", "trust",
                          "-E", "UTF8", "--locale=C.UTF-8")
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off " \
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        self._as_postgres(_bin("pg_ctl"), "-D", self.data, "-o", opts, "-w", "-l",
                          os.path.join(self.dir, "log"), "start")
        return self

    def stop(self) -> None:
        try:
            self._as_postgres(_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def create_database(self) -> str:
        self._counter += 1
        name = f"t{os.getpid()}_{self._counter}_{int(time.time() * 1000) % 100000}"
        self._as_postgres("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                          "-c", f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"
