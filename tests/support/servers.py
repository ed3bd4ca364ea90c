"""Real backend processes (`tiepdon serve`, gunicorn) for multi-process and restart tests."""
import os
import signal
import subprocess
import sys
import time

import requests

from tests.support.app import CONFIG, TEST_PII_KEY, TEST_SECRET
from tests.support.pg import free_port


def server_env(db_url: str, **extra) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": db_url,
        "SECRET_KEY": TEST_SECRET,
        "TIEPDON_PII_KEY": TEST_PII_KEY,
        "TIEPDON_CONFIG": CONFIG,
        "TIEPDON_IGNORE_OPENING_HOURS": "1",
        "TIEPDON_RATE_KIOSK": "100000/100000",
        "TIEPDON_RATE_PUBLIC": "100000/100000",
        "TIEPDON_RATE_LOGIN": "1000/1000",
        "TIEPDON_RATE_LOGIN_IP": "1000/1000",
        "TIEPDON_LOG_LEVEL": "WARNING",
        "TIEPDON_DEV_SMS": "1",  # no SMS gateway in tests: the development sink, explicitly
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


class ServerProcess:
    def __init__(self, db_url: str, port: int | None = None, **env):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = server_env(db_url, **env)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> "ServerProcess":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve", "--host", "127.0.0.1",
             "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.proc.stderr.read().decode()[-2000:])
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        """SIGKILL the whole process group: no graceful shutdown, like a power cut."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
