"""Start a kiosk window in its own process (a Kivy App runs once per process): for the demo.

    from kiosk_client.launch import spawn_kiosk
    proc = spawn_kiosk("http://localhost:8000", kiosk_token)   # a window, printer simulator inside
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile


def spawn_kiosk(backend_url: str, token: str, *, windowed: bool = True, printer_simulator: bool = True,
                width: int = 540, height: int = 960) -> subprocess.Popen:
    """Starts the kiosk against `backend_url`; the token goes through the environment only."""
    fd, path = tempfile.mkstemp(prefix="tiepdon-kiosk-", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f'[kiosk]\nname = "kiosk-demo-1"\nbackend_url = "{backend_url}"\n\n'
                 f'[scanner]\nkind = "wedge"\n\n'
                 f'[screen]\nwidth = {width}\nheight = {height}\nfullscreen = {str(not windowed).lower()}\n')
    args = [sys.executable, "-m", "kiosk_client", "--config", path]
    if windowed:
        args.append("--windowed")
    if printer_simulator:
        args.append("--printer-simulator")
    env = dict(os.environ, TIEPDON_KIOSK_TOKEN=token, KIVY_NO_ARGS="1")
    return subprocess.Popen(args, env=env)
