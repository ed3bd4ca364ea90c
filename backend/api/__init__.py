"""Thin REST entry points: validate, call one service, answer JSON or problem+json."""
import logging

from flask import Flask

from ..domain.errors import DomainError
from .openapi import ProblemApi, openapi_settings
from .problems import ProblemException, problem
from .ratelimit import RateLimiter

log = logging.getLogger("tiepdon.api")


def register_api(app: Flask) -> ProblemApi:
    from . import auth_routes, identify_routes, payments_routes, staff_routes, system_routes, tickets_routes

    app.config.update(openapi_settings())
    api = ProblemApi(app)
    for module in (system_routes, tickets_routes, identify_routes, staff_routes, auth_routes, payments_routes):
        api.register_blueprint(module.blp)
    from . import mobile_routes

    mobile_routes.register(api)  # patient app: phone accounts, appointments (tag "mobile")
    if app.extensions["tiepdon"].settings.dev_sms:
        from . import dev_routes

        api.register_blueprint(dev_routes.blp)
    app.extensions["tiepdon_limiter"] = RateLimiter()
    app.extensions.setdefault("tiepdon_health", {})
    payments_routes.init_app(app)
    from .devices_routes import blp as staff_lists  # GET /devices, GET /tickets for the staff pages
    api.register_blueprint(staff_lists)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        log.info("refused: %s", exc.code)
        # Opaque ids only: a client told VISIT_ALREADY_OPEN can show the patient their ticket.
        extra = {k: v for k, v in exc.context.items() if k in ("ticket_id", "field")} or None
        return problem(exc.code, extra=extra)

    @app.errorhandler(ProblemException)
    def problem_exception(exc: ProblemException):
        return problem(exc.code, exc.detail, extra=exc.extra, headers=exc.headers)

    return api
