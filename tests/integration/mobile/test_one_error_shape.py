"""One error map for every blueprint: a DomainError becomes the same problem document (RFC 9457
fields, `code`, the same extension members) whichever route raised it."""
import json

from backend.domain.errors import DomainError

ROUTES = ("/api/v1/auth/otp/verify", "/api/v1/appointments", "/api/v1/tickets", "/api/v1/auth/login",
          "/api/v1/kiosk/identify", "/api/v1/invoices")  # blueprints mobile, tickets, auth, identify, payments


def answer(app, path: str, exc: DomainError, lang: str = "vi"):
    with app.test_request_context(path, method="POST", headers={"Accept-Language": lang}):
        assert app.url_map.bind("localhost").match(path, method="POST")  # a real route of its blueprint
        resp = app.handle_user_exception(exc)
        return resp.status_code, resp.mimetype, dict(resp.headers), json.loads(resp.get_data())


def test_every_blueprint_answers_a_domain_error_with_the_same_problem(backend):
    exc = DomainError("OTP_INVALID", attempts_left=2, field="code", retry_after_s=30, phone="0912345678")
    answers = {path: answer(backend.app, path, exc) for path in ROUTES}
    status, mimetype, headers, body = answers[ROUTES[0]]
    assert (status, mimetype, headers["Retry-After"]) == (422, "application/problem+json", "30")
    words = "Mã xác thực không đúng hoặc đã được dùng"
    assert body == {"type": "https://tiepdon.vn/problems/otp-invalid", "title": words, "status": 422,
                    "detail": words, "code": "OTP_INVALID",
                    "attempts_left": 2, "field": "code", "retry_after_s": 30}  # never the rest of the context
    for path, other in answers.items():
        assert (other[0], other[3]) == (status, body), path
    assert answer(backend.app, ROUTES[2], exc, "en")[3]["title"] == "The code is wrong or was already used"


def test_domain_errors_have_one_handler_for_the_whole_app(backend):
    app = backend.app
    handlers = [(blueprint, cls) for blueprint, by_code in app.error_handler_spec.items()
                for cls in by_code.get(None, {}) if issubclass(cls, DomainError)]
    assert handlers == [(None, DomainError)]
