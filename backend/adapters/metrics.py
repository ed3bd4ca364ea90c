"""Prometheus metrics of a served process (`/metrics`, docs/operations.md "Metrics").

Counters and histograms are kept by prometheus-client. With PROMETHEUS_MULTIPROC_DIR set in the
environment of the processes (before they start: the client library picks its storage when it is
imported), every process writes its values to files there and a scrape of any process reads them
all (the library's documented multiprocess mode); without it each process reports its own.

What the database knows (queue lengths and waits, the HIS outbox) is read at scrape time, so any
process answers it alike. Labels are codes only: routes as URL rules (`/api/v1/tickets/<ticket_id>`,
never the path), service codes, providers, outcome codes — never personal data.
"""
from datetime import datetime, timezone
from typing import Any

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge,
                               Histogram, generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from ..services.ports.bhxh import BhxhUnavailable
from .metrics_files import multiprocess_dir
from .db.identity_models import HisOutboxRow
from .db.models import TicketRow

REQUESTS = Counter("tiepdon_http_requests_total", "HTTP requests answered, by route (URL rule), method and status",
                   ["route", "method", "status"])
LATENCY = Histogram("tiepdon_http_request_duration_seconds", "Time to answer an HTTP request, by route",
                    ["route", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
CONNECTIONS = Gauge("tiepdon_socketio_connections", "Open Socket.IO connections, by namespace",
                    ["namespace"], multiprocess_mode="livesum")
TICKETS = Counter("tiepdon_tickets_issued_total", "Tickets issued, by service", ["service"])
QUEUE_WAIT = Histogram("tiepdon_queue_wait_seconds", "Time from issue to first call, by service", ["service"],
                       buckets=(60, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200))
BHXH = Counter("tiepdon_bhxh_checks_total", "BHXH card checks, by outcome (or unavailable reason)", ["outcome"])
PAYMENTS = Counter("tiepdon_payments_total", "Invoices settled, by provider and result", ["provider", "result"])
JOB_FAILURES = Counter("tiepdon_job_failures_total", "Background passes that failed, by job", ["job"])

_SETTLED = frozenset({"paid", "expired", "cancelled", "failed", "refunded"})


# -- what the code tells the metrics ------------------------------------------------------------

def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def connection_opened(namespace: str) -> None:
    CONNECTIONS.labels(namespace).inc()


def connection_closed(namespace: str) -> None:
    CONNECTIONS.labels(namespace).dec()


def job_failed(name: str) -> None:
    JOB_FAILURES.labels(name).inc()


class MeteredPublisher:
    """The realtime publisher, counting what passes through it: tickets issued, first calls (the
    wait by service), settled invoices. Everything else goes to the publisher it wraps."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def ticket_changed(self, ticket, action: str) -> None:
        try:
            if action == "issue":
                TICKETS.labels(ticket.service_code).inc()
            elif action == "call" and ticket.called_at and ticket.recall_count == 0:
                QUEUE_WAIT.labels(ticket.service_code).observe(
                    max(0.0, (ticket.called_at - ticket.issued_at).total_seconds()))
        finally:
            self.inner.ticket_changed(ticket, action)

    def device_changed(self, device: dict) -> None:
        self.inner.device_changed(device)

    def invoice_changed(self, invoice: dict) -> None:
        try:
            status = str(invoice.get("status") or "")
            if status in _SETTLED:
                PAYMENTS.labels(str(invoice.get("provider") or "none"), status).inc()
        finally:
            self.inner.invoice_changed(invoice)

    def alert(self, alert: dict) -> None:
        self.inner.alert(alert)


class MeteredCardChecker:
    """The BHXH card checker, counting outcomes (codes only; the card and name pass through)."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def check_card(self, card_code: str, full_name: str, dob_text: str):
        try:
            result = self.inner.check_card(card_code, full_name, dob_text)
        except BhxhUnavailable as exc:
            BHXH.labels(f"unavailable_{exc.reason}").inc()
            raise
        BHXH.labels(getattr(result.outcome, "value", str(result.outcome))).inc()
        return result


def metered_job(name: str, run):
    def run_metered():
        try:
            return run()
        except Exception:
            job_failed(name)
            raise
    return run_metered


# -- the scrape ---------------------------------------------------------------------------------

class DatabaseCollector:
    """Gauges read from the database at scrape time: the same answer from every process."""

    def __init__(self, engine, today):
        self.engine = engine
        self.today = today  # () -> the hospital day (its tickets are the live queues)

    def collect(self):
        now = datetime.now(timezone.utc)
        waiting = GaugeMetricFamily("tiepdon_queue_waiting", "Tickets waiting, by service", labels=["service"])
        oldest = GaugeMetricFamily("tiepdon_queue_oldest_wait_seconds",
                                   "How long the longest-waiting ticket has waited, by service", labels=["service"])
        depth = GaugeMetricFamily("tiepdon_his_outbox_depth", "Visits not yet in the HIS, by outbox status",
                                  labels=["status"])
        age = GaugeMetricFamily("tiepdon_his_outbox_oldest_seconds",
                                "Age of the oldest visit still waiting for the HIS")
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(TicketRow.service_code, func.count(), func.min(TicketRow.issued_at))
                .where(TicketRow.day == self.today(), TicketRow.status == "waiting")
                .group_by(TicketRow.service_code)).all()
            outbox = conn.execute(select(HisOutboxRow.status, func.count()).where(HisOutboxRow.status != "sent")
                                  .group_by(HisOutboxRow.status)).all()
            first = conn.execute(select(func.min(HisOutboxRow.created_at))
                                 .where(HisOutboxRow.status != "sent")).scalar()
        for service, count, since in rows:
            waiting.add_metric([service], count)
            oldest.add_metric([service], max(0.0, (now - _utc(since)).total_seconds()) if since else 0.0)
        for status in ("pending", "parked"):
            depth.add_metric([status], dict(outbox).get(status, 0))
        age.add_metric([], max(0.0, (now - _utc(first)).total_seconds()) if first else 0.0)
        yield from (waiting, oldest, depth, age)


def _utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def scrape(database: DatabaseCollector | None) -> tuple[bytes, str]:
    """The exposition text of every process (multiprocess mode) or this one, plus the database's."""
    registry = CollectorRegistry()
    path = multiprocess_dir()
    if path:
        multiprocess.MultiProcessCollector(registry, path=path)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    if database is not None:
        extra = CollectorRegistry()
        extra.register(database)
        text += generate_latest(extra)
    return text, CONTENT_TYPE_LATEST

