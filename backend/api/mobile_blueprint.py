"""The "mobile" blueprint the patient app's routes join: mobile_routes.py (accounts, linked
patients, today's tickets) and appointments_routes.py, in that order; api/__init__ registers it.
Its refusals go through the one error map (api/errors.py), like every other blueprint's."""
from .blueprint import Blueprint

blp = Blueprint("mobile", __name__, url_prefix="/api/v1",
                description="Patient app: phone sign-in, linked patients, today's tickets and invoices, "
                            "appointments and check-in on arrival")

ACCOUNT = [{"patientAccount": []}]


def register(api) -> None:
    api.spec.components.security_scheme("patientAccount", {
        "type": "http", "scheme": "bearer",
        "description": "Patient account token from POST /api/v1/auth/otp/verify (starts with pa_)"})
    api.register_blueprint(blp)
