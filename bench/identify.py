"""Check-in with a card, end to end: identify (BHXH round trip) + ticket, for 500 patients, against a
real `tiepdon serve`, with the BHXH and HIS simulators answering after 50 ms. Then waits for the HIS
outbox to drain and counts the visits the HIS received.

Each kiosk first checks in one extra patient, not counted: the first request a fresh process serves
compiles its statements and opens its connections. That warm-up is printed on its own line.

    python bench/identify.py [--patients 500] [--kiosks 8]
"""
import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _server import ROOT, BenchServer, machine_speed_line  # noqa: E402

sys.path.insert(0, ROOT)
from backend.simulators.bhxh import create_bhxh_simulator, start_in_thread  # noqa: E402
from backend.simulators.bhxh_data import DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD, DEFAULT_STAFF_NAME  # noqa: E402
from backend.simulators.his import create_his_simulator, make_his_simulator_server  # noqa: E402
from tests.support.cards import cccd_qr, synthetic_cccd  # noqa: E402


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main():
    # The simulators' access lines would drown the figures.
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=500)
    ap.add_argument("--kiosks", type=int, default=8)
    ap.add_argument("--latency-ms", type=int, default=50)
    args = ap.parse_args()
    bhxh = start_in_thread(create_bhxh_simulator(latency_ms=args.latency_ms))
    his_app = create_his_simulator(latency_ms=args.latency_ms)
    his_server = make_his_simulator_server(his_app)
    threading.Thread(target=his_server.serve_forever, daemon=True).start()
    his_url = f"http://127.0.0.1:{his_server.server_port}"
    server = BenchServer(extra_env={
        "BHXH_URL": bhxh.url, "BHXH_USERNAME": DEFAULT_ACCOUNT.username,
        "BHXH_PASSWORD": DEFAULT_ACCOUNT.password, "BHXH_STAFF_NAME": DEFAULT_STAFF_NAME,
        "BHXH_STAFF_CCCD": DEFAULT_STAFF_CCCD, "HIS_FHIR_URL": his_url,
        "TIEPDON_WORKER_INTERVAL_S": "0.2"}).start()
    try:
        print(machine_speed_line())
        tokens = [server.cli("device", "add", f"kiosk-{i}") for i in range(args.kiosks)]
        latencies, failures, warm_up = [], [], []
        lock = threading.Lock()
        visits = []

        def check_in(i, counted=True):
            s = sessions[i % args.kiosks]
            headers = {"Authorization": f"Bearer {tokens[i % args.kiosks]}"}
            scan = cccd_qr(synthetic_cccd(i, 1985, female=True), "Lê Thị Hương", date(1985, 5, 5), "Nữ")
            t0 = time.perf_counter()
            r1 = s.post(server.url + "/api/v1/kiosk/identify", headers=headers,
                        json={"scan": scan, "consent": {"accepted": True}}, timeout=10)
            r2 = s.post(server.url + "/api/v1/tickets", headers={**headers, "Idempotency-Key": f"p{i}"},
                        json={"identify_token": r1.json().get("identify_token"),
                              "service_code": "KHAM-NOI", "coverage": "self_pay"}, timeout=10)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                if r1.status_code == 200 and r2.status_code == 201:
                    (latencies if counted else warm_up).append(elapsed)
                    visits.append(r2.json()["visit_id"])
                else:
                    failures.append((r1.status_code, r2.status_code, r2.text[:200]))

        sessions = [requests.Session() for _ in range(args.kiosks)]
        with ThreadPoolExecutor(args.kiosks) as pool:
            list(pool.map(lambda i: check_in(args.patients + i, counted=False), range(args.kiosks)))
        started = time.perf_counter()
        with ThreadPoolExecutor(args.kiosks) as pool:
            list(pool.map(check_in, range(args.patients)))
        wall = time.perf_counter() - started
        if failures:
            print("first failures:", failures[:3])
        deadline = time.monotonic() + 120
        synced = 0
        while time.monotonic() < deadline:
            stats = requests.get(his_url + "/_sim/stats").json()
            synced = sum(1 for v in visits if stats["encounters_by_visit"].get(v) == 1)
            if synced == len(visits):
                break
            time.sleep(0.5)
        print(f"warm-up: {len(warm_up)} check-ins, one per kiosk, not counted: max={max(warm_up):.0f} ms")
        print(f"{args.patients} check-ins by {args.kiosks} kiosks in {wall:.1f} s "
              f"({args.patients / wall:.0f}/s); BHXH and HIS latency {args.latency_ms} ms; failures={len(failures)}")
        print(f"identify+ticket: p50={pct(latencies, .5):.0f} ms p90={pct(latencies, .9):.0f} ms "
              f"p99={pct(latencies, .99):.0f} ms max={max(latencies):.0f} ms")
        print(f"identify: p50_ms={pct(latencies, .5):.0f} p99_ms={pct(latencies, .99):.0f} "
              f"his_synced={synced}/{len(visits)}")
    finally:
        server.stop()
        bhxh.stop()
        his_server.shutdown()


if __name__ == "__main__":
    main()
