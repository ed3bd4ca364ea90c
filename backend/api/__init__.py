"""Thin REST entry points: validate, call one service, answer JSON or problem+json."""
import logging

from flask import Flask
from sqlalchemy.exc import DBAPIError

from ..adapters.db.storage import RETRY_AFTER_S, storage_failure
from . import mobile_routes  # before appointments_routes: the "mobile" paths in the OpenAPI order
from . import (
    appointments_routes,
    auth_routes,
    dev_routes,
    devices_routes,
    identify_routes,
    mobile_blueprint,
    payments_routes,
    staff_routes,
    system_routes,
    tickets_routes,
)
from .errors import register_error_map
from .openapi import ProblemApi, openapi_settings
from .problems import problem
from .ratelimit import SharedLimiter

log = logging.getLogger("tiepdon.api")


def register_api(app: Flask) -> ProblemApi:
    app.config.update(openapi_settings())
    api = ProblemApi(app)
    for module in (system_routes, tickets_routes, identify_routes, staff_routes, auth_routes, payments_routes):
        api.register_blueprint(module.blp)
    # patient app: phone accounts (mobile_routes), then appointments (appointments_routes), tag "mobile"
    assert mobile_routes.blp is appointments_routes.blp is mobile_blueprint.blp
    mobile_blueprint.register(api)
    if app.extensions["tiepdon"].settings.dev_sms:
        api.register_blueprint(dev_routes.blp)
    app.extensions["tiepdon_limiter"] = SharedLimiter(app.extensions["tiepdon"].settings.redis_url)
    app.extensions["tiepdon_health"] = app.extensions["tiepdon"].health  # built in bootstrap
    api.register_blueprint(devices_routes.blp)  # GET /devices, GET /tickets for the staff pages

    register_error_map(app)  # DomainError and ProblemException, for every blueprint

    monitor = app.extensions["tiepdon_storage"] = app.extensions["tiepdon"].storage

    def storage_problem(exc: Exception):
        reason = storage_failure(exc)
        if reason is None:
            raise exc  # a bug, not the disk: Flask logs it and answers 500 as before
        monitor.failed(reason)
        log.warning("storage unavailable: %s (%s)", reason, type(exc).__name__)
        # Nothing was stored: the client (a kiosk, a bank, VNPay) may simply try again.
        return problem("STORAGE_UNAVAILABLE", headers={"Retry-After": str(RETRY_AFTER_S)})

    app.register_error_handler(DBAPIError, storage_problem)
    app.register_error_handler(OSError, storage_problem)  # the write gate's lock file

    return api
