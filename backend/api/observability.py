"""Every request's id, line and numbers, and `GET /metrics` for Prometheus (docs/operations.md).

Routes are counted by their URL rule (`/api/v1/tickets/<ticket_id>`), never the path, which may
carry a ticket id or a track token. The request line in the log names the rule, the method, the
status and the time, with the request id; no query string, no body.
"""
import hmac
import logging
import time

from flask import Flask, Response, g, request

from ..adapters import metrics
from ..adapters.logs import REQUEST_ID, request_id_for
from ..client_address import is_trusted_proxy
from ..domain.hospital_time import hospital_day
from .problems import problem

log = logging.getLogger("tiepdon.access")
UNMATCHED = "<unmatched>"


def init_observability(app: Flask, container) -> None:
    settings = container.settings
    database = metrics.DatabaseCollector(container.engine, lambda: hospital_day(container.deps.clock()))

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        g.request_id = request_id_for(request.headers.get("X-Request-ID"),
                                      "tiepdon.proxy" in request.environ)
        g.request_id_token = REQUEST_ID.set(g.request_id)

    @app.after_request
    def _finish(response: Response):
        started = g.pop("request_started", None)
        if started is None:
            return response
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        elapsed = time.perf_counter() - started
        metrics.observe_request(route, request.method, response.status_code, elapsed)
        response.headers["X-Request-ID"] = g.request_id
        log.info("%s %s %s %.1f ms", request.method, route, response.status_code, elapsed * 1000,
                 extra={"route": route, "method": request.method, "status": response.status_code,
                        "duration_ms": round(elapsed * 1000, 1)})
        return response

    @app.teardown_request
    def _unbind(_exc=None):
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                REQUEST_ID.reset(token)
            except ValueError:  # set in another context (a streamed answer): nothing to undo here
                pass

    @app.get("/metrics")
    def metrics_page():
        if not _allowed(settings):
            return problem("UNAUTHORIZED", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        body, content_type = metrics.scrape(database)
        return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _allowed(settings) -> bool:
    token = settings.metrics_token
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
        return True
    return bool(settings.metrics_networks) and is_trusted_proxy(request.remote_addr or "", settings.metrics_networks)
