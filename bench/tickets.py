"""Ticket issuing against a real `tiepdon serve`: closed loop (8, 32 clients × 10 s) and open loop
(100 tickets/s × 20 s). Latency in the open loop is measured from the moment each request was due,
so a stalled server cannot hide its queueing (no coordinated omission).

    python bench/tickets.py [--db postgresql+psycopg://…] [--short]
"""
import argparse
import asyncio
import os
import resource
import statistics
import sys
import time

import aiohttp
from sqlalchemy import create_engine, text

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _server import BenchServer, machine_speed_line  # noqa: E402

BODY = {"service_code": "KHAM-NOI", "coverage": "self_pay"}  # --service changes the code


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def closed_loop(url, tokens, clients, seconds, numbers):
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        async def client(i):
            nonlocal errors
            headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                async with session.post(url + "/api/v1/tickets", json=BODY, headers=headers) as r:
                    body = await r.json(content_type=None)
                if r.status == 201:
                    latencies.append((time.perf_counter() - t0) * 1000)
                    numbers.append((body["date"], body["number"]))
                else:
                    errors += 1
        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies, errors


async def open_loop(url, tokens, rate, seconds, numbers):
    latencies, errors = [], 0
    total = int(rate * seconds)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
        start = time.perf_counter() + 0.05

        async def one(k):
            nonlocal errors
            due = start + k / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            headers = {"Authorization": f"Bearer {tokens[k % len(tokens)]}"}
            async with session.post(url + "/api/v1/tickets", json=BODY, headers=headers) as r:
                body = await r.json(content_type=None)
            if r.status == 201:
                latencies.append((time.perf_counter() - due) * 1000)
                numbers.append((body["date"], body["number"]))
            else:
                errors += 1

        await asyncio.gather(*(one(k) for k in range(total)))
    return latencies, errors


def db_duplicates(db_url) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(text(
            "SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) AS c FROM tickets "
            "GROUP BY service_code, day, number) AS g")).scalar_one()
    engine.dispose()
    return int(n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="DATABASE_URL (default: a scratch SQLite file)")
    ap.add_argument("--short", action="store_true", help="2 s / 4 s runs, for a smoke test")
    ap.add_argument("--service", default="KHAM-NOI",
                    help="service to issue for: KHAM-NOI (self-pay: each ticket also opens its fee "
                         "invoice) or TD-DV (the walk-in reception queue, no fee)")
    args = ap.parse_args()
    closed_s, open_s = (2, 4) if args.short else (10, 20)
    BODY["service_code"] = args.service
    server = BenchServer(args.db).start()
    try:
        tokens = [server.cli("device", "add", f"bench-kiosk-{i}") for i in range(32)]
        numbers: list = []
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        print(machine_speed_line())
        print(f"server: tiepdon serve (gunicorn gthread) at {server.url}, db={server.db_url.split(':')[0]}")
        rps8, lat8, err8 = asyncio.run(closed_loop(server.url, tokens, 8, closed_s, numbers))
        print(f"closed  8 clients: {rps8:7.1f} req/s  p50={pct(lat8, .5):6.1f} ms  p99={pct(lat8, .99):6.1f} ms  errors={err8}")
        rps32, lat32, err32 = asyncio.run(closed_loop(server.url, tokens, 32, closed_s, numbers))
        print(f"closed 32 clients: {rps32:7.1f} req/s  p50={pct(lat32, .5):6.1f} ms  p99={pct(lat32, .99):6.1f} ms  errors={err32}")
        lat_o, err_o = asyncio.run(open_loop(server.url, tokens, 100, open_s, numbers))
        print(f"open 100/s for {open_s}s: sent={int(100 * open_s)} ok={len(lat_o)} p50={pct(lat_o, .5):.1f} ms "
              f"p99={pct(lat_o, .99):.1f} ms max={max(lat_o):.1f} ms errors={err_o}")
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        print(f"bench client CPU: {cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime:.1f} s; "
              f"server RSS {server.rss_mb():.0f} MB; median closed-32 latency "
              f"{statistics.median(lat32):.1f} ms")
        dup = (len(numbers) - len(set(numbers))) + db_duplicates(server.db_url)
        if err8 or err32 or err_o:
            print(f"errors: {err8 + err32 + err_o}")
        print(f"tickets: closed32_rps={rps32:.0f} closed32_p99_ms={pct(lat32, .99):.1f} "
              f"open100_p50_ms={pct(lat_o, .5):.1f} open100_p99_ms={pct(lat_o, .99):.1f} duplicates={dup}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
