"""The published contract a mobile team builds against: tag, security scheme, examples."""
import shutil

from openapi_spec_validator import validate

from tests.support.app import make_backend

MOBILE_ROUTES = [
    ("post", "/api/v1/auth/otp"), ("post", "/api/v1/auth/otp/verify"), ("get", "/api/v1/me"),
    ("patch", "/api/v1/me"), ("post", "/api/v1/me/patients"), ("post", "/api/v1/me/family"),
    ("get", "/api/v1/me/tickets"), ("get", "/api/v1/me/invoices"), ("get", "/api/v1/appointments/slots"),
    ("post", "/api/v1/appointments"), ("post", "/api/v1/appointments/{appointment_id}/cancel"),
    ("post", "/api/v1/appointments/{appointment_id}/reschedule"),
    ("get", "/api/v1/appointments/{appointment_id}/qr.png"),
    ("post", "/api/v1/appointments/{appointment_id}/check-in"),
]


def test_mobile_routes_are_documented_for_the_app_team(sqlite_template, tmp_path):
    shutil.copyfile(sqlite_template, tmp_path / "t.db")
    spec = make_backend(f"sqlite:///{tmp_path / 't.db'}").client().get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["components"]["securitySchemes"]["patientAccount"] == {
        "type": "http", "scheme": "bearer",
        "description": "Patient account token from POST /api/v1/auth/otp/verify (starts with pa_)"}
    for method, path in MOBILE_ROUTES:
        operation = spec["paths"][path][method]
        assert operation["tags"] == ["mobile"], path
        assert operation.get("summary"), path
    book = spec["paths"]["/api/v1/appointments"]["post"]
    assert book["security"] == [{"patientAccount": []}]
    assert book["requestBody"]["content"]["application/json"]["example"]["service_code"] == "KHAM-NOI"
    check_in = spec["paths"]["/api/v1/appointments/{appointment_id}/check-in"]["post"]
    assert {"patientAccount": []} in check_in["security"] and {"device": []} in check_in["security"]
    assert len(check_in["requestBody"]["content"]["application/json"]["examples"]) == 3
    conflict = check_in["responses"]["409"]["content"]["application/problem+json"]["schema"]["$ref"]
    assert "ticket" in spec["components"]["schemas"][conflict.rsplit("/", 1)[1]]["properties"]
    slot = spec["components"]["schemas"]["Slot"]["properties"]
    assert slot["start"]["example"] == "2026-11-24T08:00:00+07:00"
    assert "track_token" in spec["components"]["schemas"]["MyTicket"]["properties"]
