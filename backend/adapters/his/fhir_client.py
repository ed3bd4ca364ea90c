"""HIS gateway speaking FHIR R4 REST over HTTP (requests).

One check-in becomes, in this order:
1. Patient: search by every identifier we hold (hospital patient code MA_BN, CCCD, BHYT cards);
   if none matches, conditional create keyed on MA_BN.
2. Coverage per BHYT card: conditional create keyed on card code + patient.
3. Encounter (status `arrived`, class AMB): conditional create keyed on MA_LK (visit_id).
Every write is a conditional create (`If-None-Exist`), so replaying a registration after a lost
reply finds what the first attempt made instead of duplicating it.

Searches use `POST [type]/_search` with a form body rather than GET: identifiers then never appear
in URLs, which HTTP libraries, proxies and HIS access logs record.

Logging: interaction, resource type, HTTP status and duration only. Never URLs with queries,
bodies, names or identifiers.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TypeVar
from urllib.parse import urlencode

import requests
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import ValidationError

from backend.domain.his_record import VisitRegistration
from backend.services.ports.his import HisReason, HisReceipt, HisRejected, HisUnavailable

from .fhir_resources import (
    build_coverage,
    build_encounter,
    build_patient,
    identifier_token,
    patient_identifier_tokens,
)
from .fhir_systems import DEFAULT_SYSTEMS, FhirSystems
from ..http_session import outbound_session

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
DEFAULT_CONNECT_TIMEOUT_S = 1.0
DEFAULT_READ_TIMEOUT_S = 3.0
_PLACEHOLDER_ID = "pending"

_LOCATION_ID = re.compile(r"(?:^|/)(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?/?$")

ModelT = TypeVar("ModelT", bound=FHIRAbstractModel)


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    # The HTTP-date form is legal but rare from HIS servers; the back-off policy covers it.
    return float(value) if value.isdigit() else None


def _operation_outcome(response: requests.Response) -> tuple[tuple[str, ...], str | None]:
    """Issue codes (safe to log) and diagnostics (for staff only) from an error body, if it has one."""
    try:
        outcome = OperationOutcome.model_validate(response.json())
    except (ValueError, ValidationError):
        return (), None
    codes = tuple(issue.code for issue in outcome.issue if issue.code)
    texts = [issue.diagnostics or (issue.details.text if issue.details else None) for issue in outcome.issue]
    details = "; ".join(text for text in texts if text) or None
    return codes, details


class FhirHisClient:
    """`HisGateway` for an HIS with a FHIR R4 REST API."""

    def __init__(
        self,
        base_url: str,
        *,
        auth_token: str | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        read_timeout: float = DEFAULT_READ_TIMEOUT_S,
        session: requests.Session | None = None,
        systems: FhirSystems = DEFAULT_SYSTEMS,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._auth_token = auth_token
        self._timeout = (connect_timeout, read_timeout)
        self._owns_session = session is None
        self._session = session if session is not None else outbound_session(self._base_url)
        self._systems = systems

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> FhirHisClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the port -------------------------------------------------------------------------------

    def register_visit(self, reg: VisitRegistration) -> HisReceipt:
        started = time.perf_counter()
        self._check_buildable(reg)
        patient_id, patient_created = self._ensure_patient(reg)
        coverage_ids = tuple(self._ensure_coverage(reg, code, patient_id) for code in reg.bhyt_codes)
        encounter = build_encounter(reg, patient_id, self._systems)
        condition = urlencode({"identifier": identifier_token(self._systems.visit, reg.visit_id)})
        encounter_id, encounter_created = self._conditional_create(encounter, Encounter, condition)
        log.info(
            "his.fhir register_visit ok patient_created=%s coverages=%d encounter_created=%s in %.0f ms",
            patient_created,
            len(coverage_ids),
            encounter_created,
            (time.perf_counter() - started) * 1000,
        )
        return HisReceipt(
            his_patient_id=patient_id,
            his_encounter_id=encounter_id,
            his_coverage_ids=coverage_ids,
            patient_created=patient_created,
            encounter_created=encounter_created,
        )

    # -- extra, for health checks ---------------------------------------------------------------

    def fetch_capability_statement(self) -> CapabilityStatement:
        response = self._send("GET", "metadata", resource_type="CapabilityStatement", interaction="capabilities")
        return self._parse(response, CapabilityStatement)

    # -- steps ----------------------------------------------------------------------------------

    def _check_buildable(self, reg: VisitRegistration) -> None:
        # Build every resource before the first request, with a stand-in patient id, so data the
        # FHIR models refuse is rejected before anything reaches the HIS, not after the Patient
        # is already created there.
        build_patient(reg, self._systems)
        for code in reg.bhyt_codes:
            build_coverage(reg, code, _PLACEHOLDER_ID, self._systems)
        build_encounter(reg, _PLACEHOLDER_ID, self._systems)

    def _ensure_patient(self, reg: VisitRegistration) -> tuple[str, bool]:
        tokens = patient_identifier_tokens(reg, self._systems)
        response = self._send(
            "POST",
            "Patient/_search",
            resource_type="Patient",
            interaction="search",
            form={"identifier": ",".join(tokens)},
        )
        bundle = self._parse(response, Bundle)
        matches = {
            entry.resource.id
            for entry in bundle.entry or []
            if entry.resource is not None
            and entry.resource.get_resource_type() == "Patient"
            and (entry.search is None or entry.search.mode in (None, "match"))
        }
        if len(matches) > 1:
            # Two HIS records for one person: attaching the visit to either could misfile medical
            # data, so staff decide.
            log.warning("his.fhir patient search matched %d patients", len(matches))
            raise HisRejected(
                HisReason.AMBIGUOUS_MATCH,
                issue_codes=("multiple-matches",),
                details="Nhiều hồ sơ bệnh nhân trong HIS khớp định danh của người bệnh này.",
            )
        if matches:
            (patient_id,) = matches
            if not patient_id:
                raise HisUnavailable(HisReason.BAD_RESPONSE, status_code=response.status_code)
            return patient_id, False
        patient = build_patient(reg, self._systems)
        # Keyed on MA_BN: two workers registering the same new patient at once get one record.
        condition = urlencode({"identifier": tokens[0]})
        return self._conditional_create(patient, Patient, condition)

    def _ensure_coverage(self, reg: VisitRegistration, card_code: str, patient_id: str) -> str:
        coverage = build_coverage(reg, card_code, patient_id, self._systems)
        condition = urlencode(
            {"identifier": identifier_token(self._systems.bhyt, card_code), "beneficiary": f"Patient/{patient_id}"}
        )
        coverage_id, _created = self._conditional_create(coverage, Coverage, condition)
        return coverage_id

    def _conditional_create(self, resource: ModelT, model: type[ModelT], condition: str) -> tuple[str, bool]:
        """POST with If-None-Exist. Returns (id, created): 201 made it, 200 found an existing match."""
        resource_type = resource.get_resource_type()
        response = self._send(
            "POST",
            resource_type,
            resource_type=resource_type,
            interaction="create",
            body=resource.model_dump_json(exclude_none=True).encode("utf-8"),
            extra_headers={"If-None-Exist": condition, "Prefer": "return=representation"},
        )
        created = response.status_code == 201
        if response.content.strip():
            resource_id = self._parse(response, model).id
        else:
            # Servers honouring return=minimal only send Location: [base]/Type/id/_history/n.
            match = _LOCATION_ID.search(response.headers.get("Location", ""))
            resource_id = match.group("id") if match and match.group("type") == resource_type else None
        if not resource_id:
            raise HisUnavailable(HisReason.BAD_RESPONSE, status_code=response.status_code)
        return resource_id, created

    # -- HTTP -----------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        resource_type: str,
        interaction: str,
        body: bytes | None = None,
        form: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> requests.Response:
        headers = {"Accept": FHIR_JSON}
        if body is not None:
            headers["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
        if self._auth_token:
            headers["Authorization"] = f"Bearer {self._auth_token}"
        if extra_headers:
            headers.update(extra_headers)
        started = time.perf_counter()
        try:
            response = self._session.request(
                method,
                f"{self._base_url}/{path}",
                data=body if body is not None else form,
                headers=headers,
                timeout=self._timeout,
                # A redirected POST is not safely repeatable; a redirect means the base URL is wrong.
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            log.warning("his.fhir %s %s timed out after %.0f ms", interaction, resource_type, _ms_since(started))
            raise HisUnavailable(HisReason.TIMEOUT) from exc
        except requests.RequestException as exc:
            log.warning(
                "his.fhir %s %s failed: %s after %.0f ms",
                interaction,
                resource_type,
                type(exc).__name__,
                _ms_since(started),
            )
            raise HisUnavailable(HisReason.CONNECTION_FAILED) from exc
        log.info(
            "his.fhir %s %s -> %d in %.0f ms", interaction, resource_type, response.status_code, _ms_since(started)
        )
        self._raise_for_status(response)
        return response

    @staticmethod
    def _raise_for_status(response: requests.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in (401, 403):
            # A bad or expired token affects every registration; retrying after IT fixes it beats
            # parking every visit of the outage for staff one by one.
            raise HisUnavailable(HisReason.AUTH_FAILED, status_code=status)
        if status == 408:
            raise HisUnavailable(HisReason.TIMEOUT, status_code=status)
        if status == 429:
            raise HisUnavailable(HisReason.THROTTLED, status_code=status, retry_after=_retry_after_seconds(response))
        if status >= 500:
            raise HisUnavailable(HisReason.SERVER_ERROR, status_code=status, retry_after=_retry_after_seconds(response))
        if status < 400:
            raise HisUnavailable(HisReason.BAD_RESPONSE, status_code=status)
        issue_codes, details = _operation_outcome(response)
        reason = {
            400: HisReason.INVALID_REQUEST,
            422: HisReason.INVALID_REQUEST,
            404: HisReason.NOT_FOUND,
            410: HisReason.NOT_FOUND,
            409: HisReason.CONFLICT,
            412: HisReason.AMBIGUOUS_MATCH,
        }.get(status, HisReason.REJECTED)
        log.warning("his.fhir rejected: %s HTTP %d issues=%s", reason, status, ",".join(issue_codes) or "-")
        raise HisRejected(reason, status_code=status, issue_codes=issue_codes, details=details)

    @staticmethod
    def _parse(response: requests.Response, model: type[ModelT]) -> ModelT:
        """Parse a 2xx body as `model`; anything else means the HIS answered something we cannot trust."""
        expected = model.get_resource_type()
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("resourceType") != expected:
            log.warning("his.fhir expected %s body, got something else (HTTP %d)", expected, response.status_code)
            raise HisUnavailable(HisReason.BAD_RESPONSE, status_code=response.status_code)
        try:
            return model.model_validate(data)
        except ValidationError:
            log.warning("his.fhir %s body failed validation (HTTP %d)", expected, response.status_code)
            raise HisUnavailable(HisReason.BAD_RESPONSE, status_code=response.status_code) from None


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
