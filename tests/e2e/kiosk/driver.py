"""One kiosk process for one e2e scenario (a Kivy App runs once per process).

    python tests/e2e/kiosk/driver.py spec.json

spec: {"backend_url", "token", "scenario", "workdir", "shots_dir"?, "params"?, "timeout_s"?,
       "screen"?: {"width", "height"}, "launched_at"?: time.time() of the parent at Popen}
Writes workdir/result.json: {"ok", "error"?, "result"?, "start_s"}. Runs a real window (SDL2 draws
offscreen when there is no display), a real printer simulator over TCP (jobs saved in
workdir/printer/) and a FaultyLink between the kiosk and the backend.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, ROOT)


def main(spec_path: str) -> int:
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    workdir = spec["workdir"]
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-", dir=workdir))
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    result_path = os.path.join(workdir, "result.json")

    def write(payload: dict) -> None:
        tmp = result_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, result_path)

    timeout = float(spec.get("timeout_s", 90))

    def watchdog():
        time.sleep(timeout)
        write({"ok": False, "error": f"driver watchdog: scenario exceeded {timeout} s"})
        os._exit(3)

    threading.Thread(target=watchdog, daemon=True).start()

    from printer_drivers.simulator import PrinterSimulator
    from tests.e2e.kiosk import scenarios
    from tests.e2e.kiosk.harness import Harness
    from tests.e2e.kiosk.netfault import FaultyLink

    # The bench keeps the kiosk process to itself: no preview rendering, no relay in between.
    save_dir = os.path.join(workdir, "printer") if spec.get("save_printer_jobs", True) else None
    printer_sim = PrinterSimulator("127.0.0.1", 0, save_dir=save_dir).start()
    host, port = spec["backend_url"].removeprefix("http://").split(":")
    link = FaultyLink(host, int(port))
    backend_url = spec["backend_url"] if spec.get("direct") else link.url
    os.environ["TIEPDON_KIOSK_TOKEN"] = spec["token"]
    from kiosk_client.app import build_kiosk, make_app, prepare_kivy
    from kiosk_client.config import config_from_dict

    screen = spec.get("screen", {"width": 1080, "height": 1920})
    raw = {
        "kiosk": {"backend_url": backend_url, "name": "kiosk-e2e", "heartbeat_s": 30,
                  "realtime": spec.get("realtime", True), "read_timeout_s": 10},
        "scanner": {"kind": "wedge", "max_gap_ms": 50, "min_length": 8},
        "printer": {"kind": "network", "host": "127.0.0.1", "port": printer_sim.port,
                    "connect_timeout_s": 2.0, "io_timeout_s": 1.0, "job_timeout_s": 6.0,
                    "status_poll_s": 0.05},
        "screen": {**screen, "fullscreen": False, "sounds": True},
        "timeouts": spec.get("timeouts", {}),
    }
    config = config_from_dict(raw)
    prepare_kivy(config.screen, windowed=True)
    parts = build_kiosk(config)
    app = make_app(parts)
    harness = Harness(app, spec.get("shots_dir"))
    harness.link = link
    harness.printer_sim = printer_sim
    harness.parts = parts
    harness.params = spec.get("params", {})
    harness.workdir = workdir
    outcome: dict = {}
    launched_at = spec.get("launched_at", time.time())

    def first_frame():
        outcome["start_s"] = round(time.time() - launched_at, 3)

    def scenario_thread():
        try:
            harness.wait_screen("welcome", timeout=30)
            harness.frames(1)
            harness.ui(first_frame)
            fn = getattr(scenarios, spec["scenario"])
            outcome["result"] = fn(harness)
            outcome["ok"] = True
        except BaseException as exc:
            outcome["ok"] = False
            outcome["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            try:
                harness.shot("failure")
            except Exception:
                pass
        finally:
            try:
                harness.ui(app.stop, timeout=10)
            except Exception:
                os._exit(4)

    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: threading.Thread(target=scenario_thread, daemon=True).start(), 0)
    try:
        app.run()
    except BaseException as exc:
        outcome.setdefault("ok", False)
        outcome["error"] = f"app crashed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    printer_sim.wait_idle(5)
    outcome["printer_jobs"] = [
        {"number": j.number, "completed": j.completed, "held_bytes": j.held_bytes,
         "cleared": j.cleared, "printed_late": j.printed_late, "printed_bytes": len(j.printed)}
        for j in printer_sim.jobs]
    outcome["swallowed"] = link.swallowed
    printer_sim.stop()
    link.stop()
    write(outcome)
    return 0 if outcome.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
