"""Starts a real `tiepdon serve` (gunicorn) on a scratch database for a benchmark."""
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def machine_speed_line() -> str:
    """This machine's speed right now. On the shared 2-core VM these figures come from, the same
    loop took from 0.11 s to 0.2 s from one run to the next, and every figure moves with it:
    compare runs by it."""
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return f"machine: 5M-step Python loop in {time.perf_counter() - started:.2f} s (smaller is faster)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BenchServer:
    def __init__(self, db_url: str | None = None, extra_env: dict | None = None):
        self.tmp = tempfile.mkdtemp(prefix="tiepdon-bench-")
        self.db_url = db_url or f"sqlite:///{self.tmp}/bench.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, DATABASE_URL=self.db_url, SECRET_KEY=secrets.token_urlsafe(48),
                        TIEPDON_PII_KEY=secrets.token_urlsafe(48),
                        TIEPDON_CONFIG=os.path.join(ROOT, "config", "hospital.toml"),
                        TIEPDON_IGNORE_OPENING_HOURS="1", TIEPDON_RATE_KIOSK="100000/100000",
                        TIEPDON_RATE_PUBLIC="100000/100000", TIEPDON_LOG_LEVEL="WARNING",
                        TIEPDON_DEV_SMS="1",
                        **(extra_env or {}))
        self.proc = None

    def cli(self, *args) -> str:
        out = subprocess.run([sys.executable, "-m", "backend.cli", *args], env=self.env, check=True,
                             capture_output=True, text=True, cwd=ROOT)
        return out.stdout.strip().splitlines()[-1]

    def start(self) -> "BenchServer":
        self.cli("db", "upgrade")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(self.port)],
            env=self.env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def rss_mb(self) -> float:
        """Resident memory of the server's processes (gunicorn master + worker)."""
        import glob

        total = 0
        pids = [self.proc.pid]
        for path in glob.glob(f"/proc/{self.proc.pid}/task/*/children"):
            with open(path) as fh:
                pids += [int(p) for p in fh.read().split()]
        for pid in pids:
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except FileNotFoundError:
                pass
        return total / 1024

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=15)
