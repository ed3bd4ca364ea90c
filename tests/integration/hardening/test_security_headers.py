"""Issue 15 §3: every response says nosniff; HTML also refuses framing and has the pages' CSP;
session cookies are Secure when the public address is https."""
import pytest

from backend.web import CSP
from tests.support.app import make_backend


@pytest.fixture
def backend(sqlite_url):
    b = make_backend(sqlite_url, payments={"vnpay_tmn_code": "TIEPDON1", "vnpay_hash_secret": "s" * 32})
    yield b
    b.app.extensions["tiepdon"].engine.dispose()


ANSWERS = [
    ("get", "/api/v1/health"),
    ("get", "/api/v1/services"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/no-such-route"),
    ("delete", "/api/v1/services"),
    ("post", "/api/v1/auth/login"),
    ("get", "/staff/"),
    ("get", "/staff/login"),
    ("get", "/display/NO-SUCH-AREA"),
    ("get", "/web/static/css/base.css"),
    ("get", "/web/static/no-such-file.js"),
    ("get", "/api/v1/payments/vnpay/return"),
    ("get", "/api/v1/payments/vnpay/return?vnp_TxnRef=x&vnp_SecureHash=00"),
    ("get", "/socket.io/?EIO=4&transport=polling"),
    ("get", "/socket.io/?EIO=4&transport=nonsense"),
]


@pytest.mark.parametrize("method,path", ANSWERS)
def test_every_response_says_nosniff_and_html_refuses_frames(backend, method, path):
    r = getattr(backend.client(), method)(path)
    assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.status_code, dict(r.headers))
    if r.mimetype == "text/html":
        assert r.headers.get("X-Frame-Options") == "DENY"
        assert r.headers.get("Content-Security-Policy") == CSP


def test_the_vnpay_return_page_has_the_pages_csp(backend):
    r = backend.client().get("/api/v1/payments/vnpay/return?vnp_TxnRef=x")
    assert r.mimetype == "text/html"
    assert r.headers["Content-Security-Policy"] == CSP and r.headers["X-Frame-Options"] == "DENY"


def _session_cookie(tmp_path, **overrides) -> str:
    b = make_backend(f"sqlite:///{tmp_path / f'{len(list(tmp_path.iterdir()))}.db'}", **overrides)
    b.add_staff("hoa", "reception")
    r = b.client().post("/api/v1/auth/login", json={"username": "hoa", "password": "mat-khau-thu-nghiem"})
    assert r.status_code == 200
    b.app.extensions["tiepdon"].engine.dispose()
    return next(v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("tiepdon_session="))


def test_session_cookie_is_secure_by_default_behind_https(tmp_path):
    assert "; Secure" in _session_cookie(tmp_path, public_url="https://tiepdon.benhvien.vn")


def test_session_cookie_follows_the_public_url_unless_told_otherwise(tmp_path, monkeypatch):
    assert "; Secure" not in _session_cookie(tmp_path, public_url="http://localhost:8000")
    monkeypatch.setenv("TIEPDON_SECURE_COOKIES", "0")
    assert "; Secure" not in _session_cookie(tmp_path, public_url="https://tiepdon.benhvien.vn")
    monkeypatch.setenv("TIEPDON_SECURE_COOKIES", "1")
    assert "; Secure" in _session_cookie(tmp_path, public_url="http://localhost:8000")


def test_the_vnpay_return_page_works_under_its_csp(backend):
    """No inline style or script (the CSP would block it): its stylesheet comes from /web/static."""
    import re

    page = backend.client().get("/api/v1/payments/vnpay/return?vnp_TxnRef=x").get_data(as_text=True)
    assert "<style" not in page and "<script" not in page and " style=" not in page
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    css = backend.client().get(href)
    assert css.status_code == 200 and css.mimetype == "text/css"
