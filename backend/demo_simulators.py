"""The outside systems of the demo, each a real HTTP server on a loopback port in this process:
BHXH card-check gateway, HIS (FHIR) and a thermal printer. Their addresses go into the demo's
environment (the one `tiepdon demo` builds and hands to the server it starts), exactly as a
hospital would configure the real ones."""
import atexit
import os
import subprocess
import sys
import threading
from collections.abc import Mapping

from printer_drivers.simulator import PrinterSimulator
from werkzeug.serving import make_server

from .simulators.access_log import PathOnlyRequestHandler
from .simulators.bhxh import create_bhxh_simulator
from .simulators.bhxh_data import DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD, DEFAULT_STAFF_NAME
from .simulators.his import create_his_simulator


def _serve(app, name: str) -> str:
    # Path-only access log: the BHXH gateway's query strings carry its account, password hash and tokens.
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=PathOnlyRequestHandler)
    threading.Thread(target=server.serve_forever, name=f"demo-{name}", daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def start_identity_simulators(env: dict[str, str], latency_ms: int = 50) -> dict[str, str]:
    bhxh = _serve(create_bhxh_simulator(latency_ms=latency_ms), "bhxh")
    his = _serve(create_his_simulator(latency_ms=latency_ms), "his")
    env.update({
        "BHXH_URL": bhxh,
        "BHXH_USERNAME": DEFAULT_ACCOUNT.username,
        "BHXH_PASSWORD": DEFAULT_ACCOUNT.password,
        "BHXH_STAFF_NAME": DEFAULT_STAFF_NAME,
        "BHXH_STAFF_CCCD": DEFAULT_STAFF_CCCD,
        "HIS_FHIR_URL": his,
    })
    return {"BHXH (giả lập / simulator)": bhxh, "HIS FHIR (giả lập / simulator)": his}


def start_printer_simulator(save_dir: str) -> tuple[dict[str, str], str]:
    """A thermal printer on the lobby network (ESC/POS over TCP), for the demo kiosk. Each job is
    kept in `save_dir` with a PNG preview of exactly what was printed. Returns the links to show
    and the printer's host:port."""
    os.makedirs(save_dir, exist_ok=True)
    printer = PrinterSimulator("127.0.0.1", 0, save_dir=save_dir).start()
    return ({"Máy in nhiệt (giả lập) / thermal printer (simulator)": f"tcp://127.0.0.1:{printer.port}"},
            f"127.0.0.1:{printer.port}")


def start_demo_kiosk(backend_url: str, token: str, demo_dir: str, printer: str, env: Mapping[str, str]):
    """A kiosk window for the demo, in its own process (Kivy runs one App per process), printing
    to the demo's printer simulator. Only where there is a screen to show it on."""
    host, port = printer.split(":")
    path = os.path.join(demo_dir, "kiosk.toml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f'[kiosk]\nname = "kiosk-demo-1"\nbackend_url = "{backend_url}"\n\n'
                 f'[scanner]\nkind = "wedge"\n\n'
                 f'[printer]\nkind = "network"\nhost = "{host}"\nport = {port}\n\n'
                 f'[screen]\nwidth = 540\nheight = 960\nfullscreen = false\n')
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return None
    proc = subprocess.Popen([sys.executable, "-m", "kiosk_client", "--config", path, "--windowed"],
                            env=dict(env, TIEPDON_KIOSK_TOKEN=token, KIVY_NO_ARGS="1"))
    atexit.register(proc.terminate)
    return proc
