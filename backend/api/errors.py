"""The one error map: how a refusal of the domain or of an entry point becomes an RFC 9457 problem
document (api/problems.py), the same for every blueprint. DESIGN rule 2."""
import logging

from flask import Flask

from ..domain.errors import DomainError
from ..services.appointments import AlreadyCheckedIn
from .guards import deps
from .problems import ProblemException, problem
from ..presenters.rest import ticket_json

log = logging.getLogger("tiepdon.api")

# The context a client may see as extension members; everything else in DomainError.context stays
# inside. Opaque ids and numbers only: a client told VISIT_ALREADY_OPEN can show the patient their
# ticket, one told CURRENT_NOT_SERVED which number, one told OTP_INVALID how many tries are left, APPOINTMENT_TOO_EARLY from when.
SHOWN_CONTEXT = ("ticket_id", "display_number", "field", "retry_after_s", "attempts_left", "check_in_from")


def domain_problem(exc: DomainError):
    log.info("refused: %s", exc.code)
    extra = {k: exc.context[k] for k in SHOWN_CONTEXT if k in exc.context}
    if isinstance(exc, AlreadyCheckedIn):  # the check-in already happened: hand back its ticket
        d = deps()
        extra.update(appointment_id=exc.appointment_id,
                     ticket=ticket_json(exc.ticket_view, d.catalog, d.public_url))
    retry = exc.context.get("retry_after_s")
    return problem(exc.code, extra=extra or None, headers={"Retry-After": str(retry)} if retry else None)


def problem_exception(exc: ProblemException):
    return problem(exc.code, exc.detail, extra=exc.extra, headers=exc.headers)


def register_error_map(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_problem)
    app.register_error_handler(ProblemException, problem_exception)
