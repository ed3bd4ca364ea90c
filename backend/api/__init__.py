"""Thin REST entry points: validate, call one service, answer JSON or problem+json."""
import logging

from flask import Flask

from ..domain.errors import DomainError
from .openapi import ProblemApi, openapi_settings
from .problems import ProblemException, problem
from .ratelimit import RateLimiter

log = logging.getLogger("tiepdon.api")


def register_api(app: Flask) -> ProblemApi:
    from . import auth_routes, identify_routes, staff_routes, system_routes, tickets_routes

    app.config.update(openapi_settings())
    api = ProblemApi(app)
    for module in (system_routes, tickets_routes, identify_routes, staff_routes, auth_routes):
        api.register_blueprint(module.blp)
    app.extensions["tiepdon_limiter"] = RateLimiter()
    app.extensions.setdefault("tiepdon_health", {})

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        log.info("refused: %s", exc.code)
        return problem(exc.code)

    @app.errorhandler(ProblemException)
    def problem_exception(exc: ProblemException):
        return problem(exc.code, exc.detail, extra=exc.extra, headers=exc.headers)

    return api
