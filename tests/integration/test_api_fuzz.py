"""Schemathesis against the generated OpenAPI document of the whole v1 API, through the Flask app
(WSGI, no network): no 500s, and every answer matches what the document says.

Each operation is called with the credentials its `security` names: a patient account token from a
real OTP sign-in, a kiosk device token, or an admin's staff session (cookie + CSRF header). Findings
are collected over every operation and reported together, one line per operation and kind.
"""
import re

import pytest
import schemathesis
# Imported at collection, not lazily mid-run: CPython 3.11.7 can raise "AST constructor recursion
# depth mismatch" when pytest rewrites a module after an earlier test hit deep recursion.
import schemathesis.specs.openapi.schemas  # noqa: E402,F401
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error  # noqa: F401  (loads the check registry)
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.adapters.bhxh.client import BhxhClient
from backend.adapters.notify import DevSmsSink
from backend.simulators.bhxh import create_bhxh_simulator, start_in_thread
from backend.simulators.bhxh_data import DEFAULT_ACCOUNT, DEFAULT_STAFF_CCCD, DEFAULT_STAFF_NAME
from tests.support.app import make_backend

FAST = (100000.0, 100000)
EXAMPLES = 10  # per operation: the whole API in well under a minute

# Findings (prefixes) in routes other engineers own, reported to the lead rather than changed here.
# Anything else fails the test; delete a line here once its fix is in.
KNOWN: set[str] = set()  # findings in others' routes that are reported but not yet fixed


@pytest.fixture(scope="module")
def fuzz_backend(tmp_path_factory):
    sim = start_in_thread(create_bhxh_simulator())
    sms = DevSmsSink(echo=False)
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'tiepdon.db'}"
    checker = BhxhClient(sim.url, DEFAULT_ACCOUNT.username, DEFAULT_ACCOUNT.password, DEFAULT_STAFF_NAME,
                         DEFAULT_STAFF_CCCD, read_timeout=2.0)
    # Every adapter configured, so "not configured" (503) answers do not hide the real paths.
    b = make_backend(url, notifier=sms, card_checker=checker, rate_otp=FAST, rate_account=FAST,
                     rate_login=FAST, rate_login_ip=FAST,
                     payments={"vnpay_tmn_code": "TIEPDON1", "vnpay_hash_secret": "s" * 32,
                               "bank_webhook_secret": "w" * 32})
    b.add_staff("admin", "admin")
    staff = b.login("admin")
    cookie = staff.get_cookie("tiepdon_session").value
    csrf = staff.environ_base["HTTP_X_CSRF_TOKEN"]
    c = b.client()
    c.post("/api/v1/auth/otp", json={"phone": "0912345678"})
    code = re.search(r"\b(\d{6})\b", sms.messages()[-1].text).group(1)
    token = c.post("/api/v1/auth/otp/verify", json={"phone": "0912345678", "code": code}).get_json()["token"]
    b.credentials = {
        "device": {"Authorization": f"Bearer {b.device_token}"},
        "staffSession": {"X-CSRF-Token": csrf},
        "patientAccount": {"Authorization": f"Bearer {token}"},
    }
    b.staff_cookies = {"tiepdon_session": cookie}
    yield b
    b.app.extensions["tiepdon"].engine.dispose()
    sim.stop()


def credentials_for(operation, backend) -> tuple[dict, dict]:
    """(headers, cookies) for the operation's first usable security scheme."""
    security = operation.definition.raw.get("security") or []
    names = [name for requirement in security for name in requirement]
    for preferred in ("patientAccount", "device", "staffSession"):
        if preferred in names:
            cookies = backend.staff_cookies if preferred == "staffSession" else {}
            return backend.credentials[preferred], cookies
    # Staff routes without a declared scheme still get the session (their guard decides).
    return {}, backend.staff_cookies


class ServerError(AssertionError):
    pass


def no_server_error(ctx, response, case):
    """500 is a bug. 502/503 are the designed answers when a gateway (BHXH, VNPay, SMS) is down."""
    if response.status_code >= 500 and response.status_code not in (502, 503):
        raise ServerError(f"{response.status_code}: {response.text[:300]}")
    return None


def error_content_type(ctx, response, case):
    """Content type as documented: errors are RFC 9457 application/problem+json."""
    return content_type_conformance(ctx, response, case)


# positive_data_acceptance is left out on purpose: a schema-valid body may still break a hospital
# rule (CARD_REQUIRED, SLOT_NOT_AVAILABLE …) and must say so with a 4xx.
CHECKS = [no_server_error, status_code_conformance, error_content_type, response_headers_conformance,
          response_schema_conformance]


def _kinds(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [k for e in exc.exceptions for k in _kinds(e)]
    title = getattr(exc, "title", None) or type(exc).__name__
    text = (getattr(exc, "message", None) or str(exc)).strip()
    return [f"{title}: {text.splitlines()[0][:200]}" if text else title]


def fuzz(operation, backend, findings: dict) -> None:
    auth, cookies = credentials_for(operation, backend)

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              phases=[Phase.explicit, Phase.generate], derandomize=True)
    @given(case=operation.as_strategy())
    def run(case):
        try:
            case.call_and_validate(headers={**(case.headers or {}), **auth}, cookies=cookies, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # keep going: report every operation at once
            for kind in _kinds(exc):
                findings.setdefault(f"{operation.label} — {kind}", case.as_curl_command())

    run()


def test_every_operation_answers_as_documented(fuzz_backend):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_backend.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {op.label for op in operations}
    assert {"POST /api/v1/appointments", "POST /api/v1/auth/otp/verify", "GET /api/v1/me/tickets",
            "POST /api/v1/tickets", "POST /api/v1/kiosk/identify"} <= labels
    findings: dict[str, str] = {}
    # Signing out ends the credentials every other operation uses: those two go last.
    operations.sort(key=lambda op: op.label.endswith("/logout"))
    for operation in operations:
        fuzz(operation, fuzz_backend, findings)
    new = {k: v for k, v in findings.items() if not any(k.startswith(known) for known in KNOWN)}
    report = "\n".join(f"- {finding}\n    {example[:300]}" for finding, example in sorted(new.items()))
    assert not new, f"{len(new)} new finding(s):\n{report}"
    seen = sorted(k for k in findings if k not in new)
    if seen:  # shown with -rP / on failure: still open in others' routes
        print("known findings still present:\n" + "\n".join(seen))
