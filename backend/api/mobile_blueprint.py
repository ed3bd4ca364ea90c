"""The "mobile" blueprint the patient app's routes join: mobile_routes.py (accounts, linked
patients, today's tickets) and appointments_routes.py, in that order; api/__init__ registers it."""
from ..domain.errors import DomainError
from ..presenters.rest import ticket_json
from ..services.appointments import AlreadyCheckedIn
from .blueprint import Blueprint
from .guards import deps
from .problems import problem

blp = Blueprint("mobile", __name__, url_prefix="/api/v1",
                description="Patient app: phone sign-in, linked patients, today's tickets and invoices, "
                            "appointments and check-in on arrival")

ACCOUNT = [{"patientAccount": []}]
# Context a patient may see in a problem document; everything else in DomainError.context stays inside.
_SHOWN_CONTEXT = ("attempts_left", "check_in_from", "retry_after_s")


def _domain_problem(exc: DomainError):
    extra = {k: exc.context[k] for k in _SHOWN_CONTEXT if k in exc.context}
    headers = {"Retry-After": str(exc.context["retry_after_s"])} if "retry_after_s" in exc.context else None
    if isinstance(exc, AlreadyCheckedIn):
        d = deps()
        extra.update(appointment_id=exc.appointment_id,
                     ticket=ticket_json(exc.ticket_view, d.catalog, d.public_url))
    return problem(exc.code, extra=extra or None, headers=headers)


blp.register_error_handler(DomainError, _domain_problem)


def register(api) -> None:
    api.spec.components.security_scheme("patientAccount", {
        "type": "http", "scheme": "bearer",
        "description": "Patient account token from POST /api/v1/auth/otp/verify (starts with pa_)"})
    api.register_blueprint(blp)
