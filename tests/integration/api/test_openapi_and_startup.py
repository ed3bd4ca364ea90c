"""The published contract and the start-up guards."""
import pytest
from openapi_spec_validator import validate

from backend import create_app
from backend.adapters.db.migrate import DatabaseNotMigrated
from backend.settings import MissingSecret
from tests.support.app import CONFIG, TEST_PII_KEY, TEST_SECRET, make_backend

API_MD_ROUTES = [
    ("get", "/api/v1/health"),
    ("get", "/api/v1/services"),
    ("post", "/api/v1/tickets"),
    ("get", "/api/v1/tickets/{ticket_id}"),
    ("post", "/api/v1/tickets/{ticket_id}/cancel"),
    ("post", "/api/v1/service-points/{point_code}/call-next"),
    ("post", "/api/v1/tickets/{ticket_id}/recall"),
    ("post", "/api/v1/tickets/{ticket_id}/start"),
    ("post", "/api/v1/tickets/{ticket_id}/finish"),
    ("post", "/api/v1/tickets/{ticket_id}/skip"),
    ("post", "/api/v1/tickets/{ticket_id}/requeue"),
    ("post", "/api/v1/tickets/{ticket_id}/transfer"),
    ("get", "/api/v1/queues"),
    ("get", "/api/v1/stats"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/devices/heartbeat"),
]


def test_openapi_document_is_valid_and_covers_the_queue_routes(sqlite_url):
    b = make_backend(sqlite_url)
    spec = b.client().get("/api/v1/openapi.json").get_json()
    validate(spec)
    for method, path in API_MD_ROUTES:
        assert method in spec["paths"].get(path, {}), (method, path)
    create = spec["paths"]["/api/v1/tickets"]["post"]
    assert "201" in create["responses"]
    assert create["requestBody"]["content"]["application/json"]["schema"]
    ticket = spec["components"]["schemas"]["Ticket"]["properties"]
    for field in ("display_number", "position", "people_ahead", "estimated_wait_min", "track_token"):
        assert field in ticket


def test_refuses_to_start_on_an_unmigrated_database(tmp_path):
    with pytest.raises(DatabaseNotMigrated) as exc:
        create_app({"database_url": f"sqlite:///{tmp_path / 'empty.db'}", "secret_key": TEST_SECRET,
                    "pii_key": TEST_PII_KEY, "config_path": CONFIG})
    assert "tiepdon db upgrade" in str(exc.value)


def test_refuses_to_start_without_a_secret(sqlite_url):
    with pytest.raises(MissingSecret):
        create_app({"database_url": sqlite_url, "secret_key": "short", "pii_key": TEST_PII_KEY,
                    "config_path": CONFIG})


def test_rate_limit_answers_429_with_retry_after(sqlite_url):
    b = make_backend(sqlite_url, rate_public=(0.5, 3))
    c = b.client()
    codes = [c.get("/api/v1/services").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    r = c.get("/api/v1/services")
    assert r.get_json()["code"] == "RATE_LIMITED" and int(r.headers["Retry-After"]) >= 1


def test_login_guessing_is_rate_limited(sqlite_url):
    b = make_backend(sqlite_url)
    b.add_staff("hoa", "reception")
    c = b.client()
    codes = [c.post("/api/v1/auth/login", json={"username": "hoa", "password": f"doan-{i}-sai-roi"}).status_code
             for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[-1] == 429
