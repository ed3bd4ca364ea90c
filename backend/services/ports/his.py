"""The port through which a check-in reaches the hospital information system (HIS).

Services depend on `HisGateway` only. Concrete gateways (FHIR R4 client, XML0 file drop, vendor REST)
live in `backend.adapters.his` and are chosen in the composition root.

The outbox worker decides what to do with a failure from the exception type alone:
- `HisUnavailable`: the HIS could not be reached or is temporarily unable (timeout, connection error,
  5xx, 429, authentication not yet fixed). Retry later with back-off.
- `HisRejected`: the HIS understood the request and refused it (4xx). Retrying the same data will
  fail the same way, so the registration is parked for staff.

`register_visit` MUST be idempotent on `VisitRegistration.visit_id`: after a lost response the worker
calls it again, and that must never create a second encounter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from backend.domain.his_record import VisitRegistration


class HisReason:
    """Reason codes carried by HIS errors; the staff screen translates them, logs show them as is."""

    # HisUnavailable
    TIMEOUT = "timeout"
    CONNECTION_FAILED = "connection_failed"
    SERVER_ERROR = "server_error"  # 5xx
    THROTTLED = "throttled"  # 429
    AUTH_FAILED = "auth_failed"  # 401/403: a configuration fault, fixed once for every queued visit
    BAD_RESPONSE = "bad_response"  # 2xx with a body that is not the FHIR resource we asked for
    OUTBOX_UNWRITABLE = "outbox_unwritable"  # file-drop adapters: directory missing, disk full
    SIGNING_UNAVAILABLE = "signing_unavailable"  # the facility certificate expired: renew and restart
    # HisRejected
    INVALID_REQUEST = "invalid_request"  # 400, 422
    NOT_FOUND = "not_found"  # 404: wrong base URL path or resource type not supported
    CONFLICT = "conflict"  # 409
    AMBIGUOUS_MATCH = "ambiguous_match"  # 412, or several HIS patients share the identifiers
    INVALID_REGISTRATION = "invalid_registration"  # refused locally before sending
    REJECTED = "rejected"  # any other 4xx


@dataclass(frozen=True, slots=True)
class HisReceipt:
    """What the HIS answered. Store the ids with the visit so staff can find it in the HIS."""

    his_patient_id: str
    his_encounter_id: str
    his_coverage_ids: tuple[str, ...] = ()
    patient_created: bool = False  # False: the HIS already knew this patient
    encounter_created: bool = True  # False: the HIS already had this visit (a replay after a lost reply)


class HisError(Exception):
    """Base of HIS failures. `str()` is a reason code plus status, safe to log: no personal data."""

    def __init__(self, reason: str, *, status_code: int | None = None) -> None:
        self.reason = reason
        self.status_code = status_code
        super().__init__(reason if status_code is None else f"{reason} (HTTP {status_code})")


class HisUnavailable(HisError):
    """Transient: retry later. `retry_after` (seconds) is the HIS's own hint when it gave one."""

    def __init__(self, reason: str, *, status_code: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason, status_code=status_code)
        self.retry_after = retry_after


class HisRejected(HisError):
    """Permanent for this data: park for staff.

    `issue_codes` are FHIR OperationOutcome issue codes (e.g. "invalid", "required"), safe to log.
    `details` is the HIS's human-readable explanation for staff screens; it may quote personal data,
    so it is kept out of `str()` and must not be logged.
    """

    def __init__(
        self,
        reason: str,
        *,
        status_code: int | None = None,
        issue_codes: tuple[str, ...] = (),
        details: str | None = None,
    ) -> None:
        super().__init__(reason, status_code=status_code)
        self.issue_codes = issue_codes
        self.details = details


@runtime_checkable
class HisGateway(Protocol):
    def register_visit(self, reg: VisitRegistration) -> HisReceipt:
        """Register the visit (and the patient and insurance card if new) in the HIS.

        Idempotent per `reg.visit_id`. Raises `HisUnavailable` or `HisRejected`.
        """
        ...


__all__ = ["HisError", "HisGateway", "HisReason", "HisReceipt", "HisRejected", "HisUnavailable", "VisitRegistration"]
