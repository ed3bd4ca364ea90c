"""Tiếp Đón backend: `create_app(config=None)` builds the Flask app around the composition root."""
import logging
from datetime import timedelta

log = logging.getLogger("tiepdon")


def create_app(config: dict | None = None, **overrides):
    """`config`: settings by name over the environment's; `overrides`: adapters that replace what
    the settings would build (see bootstrap.build: publisher, clock, card_checker, his, …)."""
    # Flask is imported here, not at the top: `tiepdon serve` imports this package in gunicorn's
    # master, and the less it imports before the worker's gevent patching, the better.
    from flask import Flask

    from .api import register_api
    from .bootstrap import build
    from .settings import Settings

    settings = Settings.from_env(config)
    container = build(settings, for_server=True, **overrides)
    from .services.payments import seal_clear_transfers

    seal_clear_transfers(container.deps)  # payer data an earlier version stored in clear
    app = Flask(__name__, static_folder=None)
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
    from .api.blueprint import BoundedJSONProvider

    app.json = BoundedJSONProvider(app)  # request.get_json() with the limits of adapters/safe_json
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["tiepdon"] = container
    register_api(app)
    from .web import init_web

    init_web(app)
    from .realtime import init_realtime

    init_realtime(app, container)
    _guard_requests(app, settings)
    from .client_address import TrustedProxies

    # Once, outermost (after Flask-SocketIO wrapped wsgi_app), so REST, Engine.IO/Socket.IO, limits,
    # logs and the audit all read the same request.remote_addr: the client behind a trusted proxy.
    app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies)
    from .web.headers import init_security_headers

    init_security_headers(app)  # outermost: also covers Socket.IO's long-polling answers
    _start_background_jobs(app, container)
    return app


def _guard_requests(app, settings) -> None:
    """Around Socket.IO's layer too: per-client cap and request-body deadline, in the served
    process only (the test client's in-memory requests can neither pile up nor dawdle)."""
    from .adapters.cpu_pool import event_loop_active
    from .api.problems import problem
    from .serving.wsgi_guard import BodyTooSlow, RequestGuard

    if not event_loop_active():
        return
    import gevent

    app.wsgi_app = RequestGuard(app.wsgi_app, settings.max_connections_per_client,
                                settings.body_timeout_s, gevent.Timeout)
    app.register_error_handler(BodyTooSlow, lambda _exc: problem("REQUEST_TIMEOUT"))


def _secure_cookies(settings) -> bool:
    """Secure cookies whenever the public address is https; TIEPDON_SECURE_COOKIES overrides."""
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return (settings.public_url or "").lower().startswith("https://")


def _start_background_jobs(app, container) -> None:
    from .jobs import JobRunner

    runner = app.extensions["tiepdon_jobs"] = JobRunner(container.jobs)
    # Tests and CLI-built apps run passes by hand (background_workers off).
    if container.settings.background_workers:
        runner.start()
