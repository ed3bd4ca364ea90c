"""Health for monitoring, heartbeats from kiosks."""
import time

from flask import current_app, g
from flask.views import MethodView
from sqlalchemy import text

from ..services import auth as auth_service
from .blueprint import Blueprint
from .guards import deps, device_required
from .schemas import HealthSchema, HeartbeatResultSchema, HeartbeatSchema
from ..presenters.rest import heartbeat_json

blp = Blueprint("system", __name__, url_prefix="/api/v1", description="Health and devices")

VERSION = "0.1.0"


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with current_app.extensions["tiepdon"].engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        # Reachable is not enough: a full or read-only disk takes no ticket, no payment.
        problem = current_app.extensions["tiepdon_storage"].check()
    except Exception as exc:  # the report itself must not fail
        return {"status": "down", "error": type(exc).__name__}
    if problem:
        return {"status": "down", "error": "STORAGE_UNAVAILABLE", "reason": problem}
    return {"status": "ok", "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


@blp.route("/health")
class Health(MethodView):
    @blp.alt_response(200, schema=HealthSchema, success=True)
    @blp.alt_response(503, schema=HealthSchema,
                      description="The database is not reachable, or cannot store (full or read-only disk)")
    def get(self):
        """Liveness and readiness: database, Redis (if used), HIS, BHXH, payment adapters"""
        checks = {"database": _check_database()}
        for name, probe in current_app.extensions.get("tiepdon_health", {}).items():
            try:
                checks[name] = probe()
            except Exception as exc:
                checks[name] = {"status": "down", "error": type(exc).__name__}
        if checks["database"]["status"] != "ok":
            status, code = "down", 503
        elif any(c.get("status") != "ok" for c in checks.values()):
            status, code = "degraded", 200
        else:
            status, code = "ok", 200
        return {"status": status, "version": VERSION, "checks": checks}, code


@blp.route("/devices/heartbeat")
class Heartbeat(MethodView):
    @blp.arguments(HeartbeatSchema())
    @blp.alt_response(200, schema=HeartbeatResultSchema, success=True)
    @blp.doc(security=[{"device": []}])
    @device_required
    def post(self, body):
        """Kiosk heartbeat: printer status and app version"""
        state = auth_service.heartbeat(deps(), g.device, body["printer_status"],
                                       body.get("app_version"))
        return heartbeat_json(state)
