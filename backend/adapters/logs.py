"""Log lines: a request id on every line a request caused, and JSON lines when asked.

The request id comes from the trusted proxy's X-Request-ID (nginx's $request_id) or is made here;
it goes back in the response's X-Request-ID header and rides along into the background work the
request started (the realtime publisher's batch), so one patient's check-in can be followed across
the proxy, the request and what it set off without any personal data in the lines: messages name
codes and types, never a name, a card or a phone number.

TIEPDON_LOG_FORMAT=json: one JSON object a line (ts, level, logger, message, request_id, and the
traceback when there is one), for a log shipper; otherwise the readable text format.
"""
import json
import logging
import re
import sys
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

REQUEST_ID: ContextVar[str | None] = ContextVar("tiepdon_request_id", default=None)
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}\Z")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def request_id_for(header: str | None, from_trusted_proxy: bool) -> str:
    """The proxy's id when a trusted proxy sent a well-formed one; a new one otherwise (a client's
    own header is not taken: it could carry anything into the logs)."""
    if from_trusted_proxy and header and _WELL_FORMED.match(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return REQUEST_ID.get()


@contextmanager
def bound_request_id(request_id: str | None):
    """Log lines inside carry `request_id` (background work started by that request)."""
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get() or "-",
        }
        for key in ("route", "method", "status", "duration_ms"):  # the request line's fields
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_handler(fmt: str = "text", stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """The process's root handler (the CLI calls it first thing)."""
    if fmt not in ("text", "json"):
        raise ValueError(f"TIEPDON_LOG_FORMAT: text | json, not {fmt!r}")
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(log_handler(fmt))
    root.setLevel(level)
