"""HIS simulator: a small FHIR R4 server with its own storage and fault switches.

It plays the hospital's HIS for the demo and for tests of the real FHIR client, over real HTTP:

    GET  /metadata                        CapabilityStatement
    POST /Patient|Encounter|Coverage      create; honours If-None-Exist (conditional create)
    GET  /Patient|Encounter|Coverage?…    search → searchset Bundle
    POST /<type>/_search                  search with a form body
    GET  /<type>/<id>                     read
    errors                                OperationOutcome, application/fhir+json

Test switches live under /_sim/ and are never affected by faults:

    POST /_sim/config {"mode": "ok"|"down"|"error500"|"slow"|"throttle"|"commit_then_500",
                       "latency_ms": 50, "slow_ms": 5000, "return_minimal": false,
                       "fault_resource": "Encounter" | null}
    GET  /_sim/config, GET /_sim/stats, POST /_sim/reset {"seed": true}

`commit_then_500` stores the resource and then answers 500: the "lost reply" that makes idempotent
registration necessary. `fault_resource` limits faults to one resource type, so a test can let the
Patient through and lose the Encounter's reply. `return_minimal` answers creates with an empty body
and a Location header, as servers configured for `Prefer: return=minimal` do.

Resources are validated with `fhir.resources.R4B` (structurally R4 for these types) plus the few
rules that library does not enforce (required code bindings, references to known patients).

Run: python -m backend.simulators.his --port 8090
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.patient import Patient
from flask import Flask, Response, g, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, make_server

from .access_log import PathOnlyRequestHandler

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
ACCEPTED_BODY_TYPES = frozenset({FHIR_JSON, "application/json", "application/json+fhir"})

# The simulator stands for someone else's system, so it is configured with the identifier systems a
# hospital HIS would use (the VN Core draft ones), not imported from our adapter.
VISIT_SYSTEM = "http://fhir.hl7.org.vn/core/sid/ma-lk"
CCCD_SYSTEM = "http://fhir.hl7.org.vn/core/sid/cccd"
BHYT_SYSTEM = "http://fhir.hl7.org.vn/core/sid/bhyt"

FAULT_MODES = ("ok", "down", "error500", "slow", "throttle", "commit_then_500")

MODELS = {"Patient": Patient, "Encounter": Encounter, "Coverage": Coverage}

# Required bindings that fhir.resources accepts any string for.
_CODE_SETS: dict[tuple[str, str], frozenset[str]] = {
    ("Patient", "gender"): frozenset({"male", "female", "other", "unknown"}),
    ("Encounter", "status"): frozenset(
        {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error"}
        | {"unknown"}
    ),
    ("Coverage", "status"): frozenset({"active", "cancelled", "draft", "entered-in-error"}),
}

# Identifier formats a VN Core-aware HIS checks (the FHIR library cannot know them).
_IDENTIFIER_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    CCCD_SYSTEM: (re.compile(r"^\d{12}$"), "a CCCD number has 12 digits"),
    BHYT_SYSTEM: (
        re.compile(r"^(\d{10}|\d{12}|[A-Z]{2}\d{13})$"),
        "a BHYT card code is 10 or 12 digits, or 2 letters and 13 digits",
    ),
}

# Which element each reference search parameter looks at.
_REFERENCE_PARAMS: dict[str, dict[str, str]] = {
    "Patient": {},
    "Encounter": {"subject": "subject", "patient": "subject"},
    "Coverage": {"beneficiary": "beneficiary", "patient": "beneficiary"},
}
# References a resource must make to a patient this HIS knows.
_REQUIRED_PATIENT_REFERENCE = {"Encounter": "subject", "Coverage": "beneficiary"}

# Synthetic people: the numbers follow the real formats but belong to nobody.
SEED_PATIENTS: tuple[dict[str, Any], ...] = (
    {
        "resourceType": "Patient",
        "id": "seed-1",
        "identifier": [{"system": CCCD_SYSTEM, "value": "079090000001"}],
        "name": [{"use": "official", "text": "Trần Thị Mẫu", "family": "Trần", "given": ["Thị", "Mẫu"]}],
        "gender": "female",
        "birthDate": "1990-04-12",
    },
    {
        "resourceType": "Patient",
        "id": "seed-2",
        "identifier": [
            {"system": CCCD_SYSTEM, "value": "001055000002"},
            {"system": BHYT_SYSTEM, "value": "HT2010120000002"},
        ],
        "name": [{"use": "official", "text": "Lê Văn Thử", "family": "Lê", "given": ["Văn", "Thử"]}],
        "gender": "male",
        "birthDate": "1955",
    },
    {
        "resourceType": "Patient",
        "id": "seed-3",
        "identifier": [{"system": BHYT_SYSTEM, "value": "TE1790120000003"}],
        "name": [{"use": "official", "text": "Phạm Minh Khảo", "family": "Phạm", "given": ["Minh", "Khảo"]}],
        "gender": "unknown",
        "birthDate": "2021-09-30",
    },
)


class FhirProblem(Exception):
    """Ends a request with an OperationOutcome."""

    def __init__(self, status: int, code: str, diagnostics: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.headers = headers or {}


# ---------------------------------------------------------------------------------------------
# Search parameters


def _split_unescaped(text: str, separator: str, maxsplit: int = -1) -> list[str]:
    """Split on `separator` except where escaped with a backslash (FHIR search escaping)."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator and maxsplit != 0:
            parts.append("".join(current))
            current = []
            maxsplit -= 1
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    result, escaped = [], False
    for char in text:
        if escaped:
            result.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            result.append(char)
    return "".join(result)


def _token_matches(token: str, identifiers: list[dict[str, Any]]) -> bool:
    parts = _split_unescaped(token, "|", maxsplit=1)
    if len(parts) == 1:
        value = _unescape(parts[0])
        return any(ident.get("value") == value for ident in identifiers)
    system, value = _unescape(parts[0]), _unescape(parts[1])
    for ident in identifiers:
        system_ok = ident.get("system") == system if system else "system" not in ident
        if system_ok and (not value or ident.get("value") == value):
            return True
    return False


def _reference_matches(wanted: str, reference: dict[str, Any] | None, target_type: str = "Patient") -> bool:
    actual = (reference or {}).get("reference", "")
    wanted = _unescape(wanted)
    if "/" not in wanted:
        wanted = f"{target_type}/{wanted}"
    return actual == wanted or actual.endswith("/" + wanted) or wanted.endswith("/" + actual)


def _matches(resource_type: str, resource: dict[str, Any], name: str, value: str) -> bool:
    alternatives = _split_unescaped(value, ",")
    if name == "_id":
        return any(_unescape(alt) == resource.get("id") for alt in alternatives)
    if name == "identifier":
        return any(_token_matches(alt, resource.get("identifier", [])) for alt in alternatives)
    element = _REFERENCE_PARAMS[resource_type][name]
    return any(_reference_matches(alt, resource.get(element)) for alt in alternatives)


def _check_params(resource_type: str, params: list[tuple[str, str]]) -> None:
    supported = {"_id", "identifier", *_REFERENCE_PARAMS[resource_type]}
    for name, value in params:
        # Strict on purpose: silently ignoring an unknown parameter would turn a conditional create
        # into "match everything".
        if name not in supported:
            raise FhirProblem(400, "not-supported", f"search parameter '{name}' is not supported on {resource_type}")
        if not value:
            raise FhirProblem(400, "invalid", f"search parameter '{name}' has no value")


# ---------------------------------------------------------------------------------------------
# Storage


class FhirStore:
    """In-memory resources by type and id. One lock makes search-then-create atomic."""

    def __init__(self, *, seed: bool = True) -> None:
        self._lock = threading.Lock()
        self._resources: dict[str, dict[str, dict[str, Any]]] = {}
        self.reset(seed=seed)

    def reset(self, *, seed: bool = True) -> None:
        with self._lock:
            self._resources = {resource_type: {} for resource_type in MODELS}
            if seed:
                for patient in SEED_PATIENTS:
                    stored = _canonical("Patient", patient)
                    stored["meta"] = {"versionId": "1", "lastUpdated": _now()}
                    self._resources["Patient"][stored["id"]] = stored

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._resources[resource_type].get(resource_id)

    def search(self, resource_type: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        _check_params(resource_type, params)
        with self._lock:
            return self._search_locked(resource_type, params)

    def _search_locked(self, resource_type: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
        return [
            resource
            for resource in self._resources[resource_type].values()
            if all(_matches(resource_type, resource, name, value) for name, value in params)
        ]

    def create(
        self, resource_type: str, resource: dict[str, Any], condition: list[tuple[str, str]] | None
    ) -> tuple[bool, dict[str, Any]]:
        """Store `resource` unless `condition` matches one; (created, stored resource)."""
        if condition is not None:
            _check_params(resource_type, condition)
        with self._lock:
            if condition is not None:
                existing = self._search_locked(resource_type, condition)
                if len(existing) > 1:
                    raise FhirProblem(412, "duplicate", f"If-None-Exist matched {len(existing)} resources")
                if existing:
                    return False, existing[0]
            element = _REQUIRED_PATIENT_REFERENCE.get(resource_type)
            if element:
                self._require_known_patient(resource_type, element, resource)
            stored = dict(resource)
            stored["id"] = str(uuid.uuid4())
            stored["meta"] = {"versionId": "1", "lastUpdated": _now()}
            self._resources[resource_type][stored["id"]] = stored
            return True, stored

    def _require_known_patient(self, resource_type: str, element: str, resource: dict[str, Any]) -> None:
        reference = (resource.get(element) or {}).get("reference", "")
        kind, _, patient_id = reference.rpartition("/")
        if not kind.endswith("Patient") or patient_id not in self._resources["Patient"]:
            raise FhirProblem(422, "processing", f"{resource_type}.{element} must reference a known Patient")

    def stats(self, visit_system: str) -> dict[str, Any]:
        with self._lock:
            by_visit: Counter[str] = Counter()
            for encounter in self._resources["Encounter"].values():
                for ident in encounter.get("identifier", []):
                    if ident.get("system") == visit_system and "value" in ident:
                        by_visit[ident["value"]] += 1
            return {
                "patients": len(self._resources["Patient"]),
                "encounters": len(self._resources["Encounter"]),
                "coverages": len(self._resources["Coverage"]),
                "encounters_by_visit": dict(by_visit),
            }


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _canonical(resource_type: str, data: Any) -> dict[str, Any]:
    """Validate with the FHIR model and return its normalised JSON, or raise a 400 problem."""
    if not isinstance(data, dict):
        raise FhirProblem(400, "structure", "body must be a JSON object")
    if data.get("resourceType") != resource_type:
        raise FhirProblem(400, "invalid", f"resourceType must be {resource_type}")
    try:
        model = MODELS[resource_type].model_validate(data)
    except ValidationError as exc:
        # Locations and error kinds only: pydantic's messages quote input values (personal data).
        problems = sorted(
            {f"{'.'.join(str(p) for p in err['loc'])} ({err['type']})" for err in exc.errors(include_input=False)}
        )
        raise FhirProblem(400, "invalid", f"{resource_type} failed validation at: {', '.join(problems)}") from None
    for (checked_type, element), allowed in _CODE_SETS.items():
        if checked_type == resource_type and element in data and data[element] not in allowed:
            raise FhirProblem(400, "code-invalid", f"{resource_type}.{element} is not in its required value set")
    for ident in data.get("identifier", []):
        rule = _IDENTIFIER_FORMATS.get(ident.get("system"))
        if rule and not rule[0].match(str(ident.get("value", ""))):
            raise FhirProblem(422, "value", f"{resource_type}.identifier: {rule[1]}")
    return model.model_dump(mode="json", exclude_none=True)


# ---------------------------------------------------------------------------------------------
# HTTP


@dataclass
class SimulatorSettings:
    mode: str = "ok"
    latency_ms: int = 0
    slow_ms: int = 5000
    return_minimal: bool = False
    fault_resource: str | None = None  # faults hit only this resource type ("Encounter"); None: all


class HisSimulatorState:
    def __init__(self, *, seed: bool, settings: SimulatorSettings, visit_system: str, auth_token: str | None) -> None:
        self.store = FhirStore(seed=seed)
        self.auth_token = auth_token
        self.settings = settings
        self.default_settings = SimulatorSettings(**asdict(settings))
        self.visit_system = visit_system
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    def snapshot(self) -> SimulatorSettings:
        with self.lock:
            return SimulatorSettings(**asdict(self.settings))


def _fhir_response(body: dict[str, Any] | None, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    response = Response(payload, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _outcome(status: int, code: str, diagnostics: str, headers: dict[str, str] | None = None) -> Response:
    severity = "fatal" if status >= 500 else "error"
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }
    return _fhir_response(body, status, headers)


def _capability_statement() -> dict[str, Any]:
    def resource(resource_type: str, params: dict[str, str]) -> dict[str, Any]:
        return {
            "type": resource_type,
            "interaction": [{"code": "create"}, {"code": "read"}, {"code": "search-type"}],
            "conditionalCreate": True,
            "searchParam": [{"name": name, "type": kind} for name, kind in params.items()],
        }

    tokens = {"_id": "token", "identifier": "token"}
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2024-01-01",
        "publisher": "Tiếp Đón HIS simulator",
        "kind": "instance",
        "software": {"name": "tiepdon-his-simulator"},
        "implementation": {"description": "Simulated hospital information system for demos and tests"},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "resource": [
                    resource("Patient", tokens),
                    resource("Encounter", {**tokens, "subject": "reference", "patient": "reference"}),
                    resource("Coverage", {**tokens, "beneficiary": "reference", "patient": "reference"}),
                ],
            }
        ],
    }
    # Validated so the simulator cannot drift into advertising something malformed.
    return CapabilityStatement.model_validate(statement).model_dump(mode="json", exclude_none=True)


def _require_supported(resource_type: str) -> None:
    if resource_type not in MODELS:
        raise FhirProblem(404, "not-supported", f"resource type '{resource_type}' is not supported")


def _search_bundle(resource_type: str, matches: list[dict[str, Any]]) -> dict[str, Any]:
    base = request.host_url.rstrip("/")
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(matches),
        "entry": [
            {"fullUrl": f"{base}/{resource_type}/{res['id']}", "resource": res, "search": {"mode": "match"}}
            for res in matches
        ],
    }


def create_his_simulator(
    *,
    seed: bool = True,
    mode: str = "ok",
    latency_ms: int = 0,
    slow_ms: int = 5000,
    visit_system: str = VISIT_SYSTEM,
    auth_token: str | None = None,
) -> Flask:
    """A Flask app serving the simulated HIS; its state is `app.extensions["his_simulator"]`.

    With `auth_token`, FHIR requests must carry `Authorization: Bearer <auth_token>` (else 401).
    """
    if mode not in FAULT_MODES:
        raise ValueError(f"mode must be one of {FAULT_MODES}")
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    state = HisSimulatorState(
        seed=seed,
        settings=SimulatorSettings(mode=mode, latency_ms=latency_ms, slow_ms=slow_ms),
        visit_system=visit_system,
        auth_token=auth_token,
    )
    app.extensions["his_simulator"] = state

    # -- faults ---------------------------------------------------------------------------------

    @app.before_request
    def apply_faults() -> Response | None:
        if request.path.startswith("/_sim/"):
            return None
        settings = state.snapshot()
        g.settings = settings
        resource_type = (request.view_args or {}).get("resource_type", "CapabilityStatement")
        with state.lock:
            state.requests[f"{request.endpoint} {resource_type}"] += 1
        if state.auth_token is not None and request.headers.get("Authorization") != f"Bearer {state.auth_token}":
            return _outcome(401, "login", "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"})
        if settings.latency_ms:
            time.sleep(settings.latency_ms / 1000)
        g.faulty = settings.fault_resource in (None, resource_type)
        if not g.faulty:
            return None
        if settings.mode == "down":
            return _outcome(503, "transient", "HIS is down for maintenance", {"Retry-After": "1"})
        if settings.mode == "error500":
            return _outcome(500, "exception", "simulated internal error")
        if settings.mode == "throttle":
            return _outcome(429, "throttled", "too many requests", {"Retry-After": "2"})
        if settings.mode == "slow":
            time.sleep(settings.slow_ms / 1000)
        return None

    @app.after_request
    def lose_reply(response: Response) -> Response:
        settings = g.get("settings")
        if settings is not None and g.get("faulty") and settings.mode == "commit_then_500":
            # The work above is already stored; only the reply is lost.
            return _outcome(500, "exception", "simulated failure after commit")
        return response

    @app.errorhandler(FhirProblem)
    def fhir_problem(problem: FhirProblem) -> Response:
        return _outcome(problem.status, problem.code, problem.diagnostics, problem.headers)

    @app.errorhandler(HTTPException)
    def http_problem(exc: HTTPException) -> Response:
        codes = {404: "not-found", 405: "not-supported", 413: "too-costly", 415: "not-supported"}
        code = codes.get(exc.code or 500, "processing")
        return _outcome(exc.code or 500, code, exc.description or exc.name)

    # -- FHIR -----------------------------------------------------------------------------------

    @app.get("/metadata", endpoint="capabilities")
    def capabilities() -> Response:
        return _fhir_response(_capability_statement())

    @app.post("/<resource_type>", endpoint="create")
    def create(resource_type: str) -> Response:
        _require_supported(resource_type)
        if request.mimetype not in ACCEPTED_BODY_TYPES:
            raise FhirProblem(415, "not-supported", f"Content-Type must be {FHIR_JSON}")
        try:
            data = json.loads(request.get_data())
        except ValueError:
            raise FhirProblem(400, "structure", "body is not JSON") from None
        resource = _canonical(resource_type, data)
        resource.pop("id", None)  # FHIR create: the server assigns the id
        header = request.headers.get("If-None-Exist")
        condition = parse_qsl(header, keep_blank_values=True) if header is not None else None
        if condition is not None and not condition:
            raise FhirProblem(400, "invalid", "If-None-Exist has no search parameters")
        created, stored = state.store.create(resource_type, resource, condition)
        version = stored["meta"]["versionId"]
        location = f"{request.host_url.rstrip('/')}/{resource_type}/{stored['id']}/_history/{version}"
        headers = {"Location": location, "ETag": f'W/"{version}"'}
        minimal = g.settings.return_minimal or request.headers.get("Prefer") == "return=minimal"
        return _fhir_response(None if minimal else stored, 201 if created else 200, headers)

    @app.get("/<resource_type>", endpoint="search")
    def search_get(resource_type: str) -> Response:
        _require_supported(resource_type)
        params = list(request.args.items(multi=True))
        return _fhir_response(_search_bundle(resource_type, state.store.search(resource_type, params)))

    @app.post("/<resource_type>/_search", endpoint="search_post")
    def search_post(resource_type: str) -> Response:
        _require_supported(resource_type)
        if request.mimetype != "application/x-www-form-urlencoded":
            raise FhirProblem(415, "not-supported", "_search takes application/x-www-form-urlencoded")
        params = list(request.args.items(multi=True)) + list(request.form.items(multi=True))
        return _fhir_response(_search_bundle(resource_type, state.store.search(resource_type, params)))

    @app.get("/<resource_type>/<resource_id>", endpoint="read")
    def read(resource_type: str, resource_id: str) -> Response:
        _require_supported(resource_type)
        stored = state.store.read(resource_type, resource_id)
        if stored is None:
            raise FhirProblem(404, "not-found", f"{resource_type}/{resource_id} is not known")
        return _fhir_response(stored, headers={"ETag": f'W/"{stored["meta"]["versionId"]}"'})

    # -- switches -------------------------------------------------------------------------------

    @app.get("/_sim/config")
    def get_config() -> Response:
        return jsonify(asdict(state.snapshot()))

    @app.post("/_sim/config")
    def set_config() -> Response:
        changes = request.get_json(silent=True)
        if not isinstance(changes, dict):
            raise FhirProblem(400, "structure", "body must be a JSON object")
        with state.lock:
            updated = _apply_settings(state.settings, changes)
            state.settings = updated
        return jsonify(asdict(updated))

    @app.get("/_sim/stats")
    def stats() -> Response:
        body = state.store.stats(state.visit_system)
        with state.lock:
            body["requests"] = dict(state.requests)
            body["mode"] = state.settings.mode
        return jsonify(body)

    @app.post("/_sim/reset")
    def reset() -> Response:
        options = request.get_json(silent=True) or {}
        state.store.reset(seed=bool(options.get("seed", True)))
        with state.lock:
            state.settings = SimulatorSettings(**asdict(state.default_settings))
            state.requests.clear()
        return jsonify(asdict(state.snapshot()))

    return app


def _apply_settings(current: SimulatorSettings, changes: dict[str, Any]) -> SimulatorSettings:
    updated = asdict(current)
    for key, value in changes.items():
        if key == "mode":
            if value not in FAULT_MODES:
                raise FhirProblem(400, "invalid", f"mode must be one of {', '.join(FAULT_MODES)}")
        elif key in ("latency_ms", "slow_ms"):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 60_000:
                raise FhirProblem(400, "invalid", f"{key} must be an integer between 0 and 60000")
        elif key == "return_minimal":
            if not isinstance(value, bool):
                raise FhirProblem(400, "invalid", "return_minimal must be true or false")
        elif key == "fault_resource":
            if value is not None and value not in (*MODELS, "CapabilityStatement"):
                raise FhirProblem(400, "invalid", "fault_resource must be a supported resource type or null")
        else:
            raise FhirProblem(400, "not-supported", f"unknown setting '{key}'")
        updated[key] = value
    return SimulatorSettings(**updated)


# ---------------------------------------------------------------------------------------------
# Serving


def make_his_simulator_server(app: Flask, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded werkzeug server for `app`; port 0 picks a free port (see `server.server_port`)."""
    return make_server(host, port, app, threaded=True, request_handler=PathOnlyRequestHandler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m backend.simulators.his", description="Simulated HIS (FHIR R4 subset)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--mode", choices=FAULT_MODES, default="ok")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--no-seed", action="store_true", help="start with no patients")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_his_simulator(seed=not args.no_seed, mode=args.mode, latency_ms=args.latency_ms)
    server = make_his_simulator_server(app, args.host, args.port)
    log.info("HIS simulator on http://%s:%d (FHIR base URL)", args.host, server.server_port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
