"""The Flask app around the composition root: `create_app` wires Flask, the REST API, the web pages
and Socket.IO to what bootstrap.build returns, and starts its periodic jobs (backend/jobs.py)."""
import logging
from datetime import timedelta

from flask import Flask

from .adapters.cpu_pool import event_loop_active
from .api import register_api
from .api.observability import init_observability
from .api.blueprint import BoundedJSONProvider
from .api.problems import problem
from .bootstrap import build
from .client_address import TrustedProxies
from .jobs import JobRunner
from .realtime import init_realtime
from .serving.wsgi_guard import BodyTooSlow, RequestGuard
from .services.payments import seal_clear_transfers
from .settings import Settings
from .web import init_web
from .web.headers import init_security_headers

log = logging.getLogger("tiepdon")


def create_app(config: dict | None = None, **overrides):
    """`config`: settings by name over the environment's; `overrides`: adapters that replace what
    the settings would build (see bootstrap.build: publisher, clock, card_checker, his, …)."""
    settings = Settings.from_env(config)
    container = build(settings, for_server=True, **overrides)
    seal_clear_transfers(container.deps)  # payer data an earlier version stored in clear
    app = Flask(__package__, static_folder=None)  # "backend": its name and root path, as before
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="tiepdon_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_secure_cookies(settings),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=64 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.json = BoundedJSONProvider(app)  # request.get_json() with the limits of adapters/safe_json
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["tiepdon"] = container
    init_observability(app, container)  # first: its before_request binds the request id for all
    register_api(app)
    init_web(app)
    init_realtime(app, container)
    _guard_requests(app, settings)
    # Once, outermost (after Flask-SocketIO wrapped wsgi_app), so REST, Engine.IO/Socket.IO, limits,
    # logs and the audit all read the same request.remote_addr: the client behind a trusted proxy.
    app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)
    init_security_headers(app)  # outermost: also covers Socket.IO's long-polling answers
    _start_background_jobs(app, container)
    return app


def _guard_requests(app, settings) -> None:
    """Around Socket.IO's layer too: per-client cap and request-body deadline, in the served
    process only (the test client's in-memory requests can neither pile up nor dawdle)."""
    if not event_loop_active():
        return
    import gevent  # lazy: only served processes (an event loop) have gevent loaded

    app.wsgi_app = RequestGuard(app.wsgi_app, settings.max_connections_per_client,
                                settings.body_timeout_s, gevent.Timeout)
    app.register_error_handler(BodyTooSlow, lambda _exc: problem("REQUEST_TIMEOUT"))


def _secure_cookies(settings) -> bool:
    """Secure cookies whenever the public address is https; TIEPDON_SECURE_COOKIES overrides."""
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return (settings.public_url or "").lower().startswith("https://")


def _start_background_jobs(app, container) -> None:
    runner = app.extensions["tiepdon_jobs"] = JobRunner(container.jobs)
    # Tests and CLI-built apps run passes by hand (background_workers off).
    if container.settings.background_workers:
        runner.start()
