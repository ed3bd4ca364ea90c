"""Issue 15 §4: hostile JSON (deep nesting, huge numbers) and out-of-range numbers anywhere in a
request are clear 4xx problems, never a 500 or a logged traceback."""
import json
import logging

import pytest

from backend.adapters.payments.vietqr.webhook import sign_webhook_body
from tests.support.app import make_backend

WEBHOOK_SECRET = "w" * 32
DEEP = "[" * 20_000 + "]" * 20_000
DEEP_OBJECT = "{\"a\":" * 10_000 + "1" + "}" * 10_000  # under the 64 KiB body limit
HUGE = "9" * 5_000
BIG = 10**19  # above PostgreSQL bigint and SQLite INTEGER
QUERY_NUMBERS = (HUGE, str(BIG), "-" + str(BIG), "1e19", "NaN", "Infinity")


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('bad-input') / 'tiepdon.db'}"
    b = make_backend(url, rate_login=(1e6, 1_000_000), rate_otp=(1e6, 1_000_000), rate_account=(1e6, 1_000_000),
                     payments={"vnpay_tmn_code": "TIEPDON1", "vnpay_hash_secret": "s" * 32,
                               "bank_webhook_secret": WEBHOOK_SECRET})
    b.add_staff("admin", "admin")
    b.admin = b.login("admin")
    b.spec = b.client().get("/api/v1/openapi.json").get_json()
    yield b
    b.app.extensions["tiepdon"].engine.dispose()


def _operations(spec, want):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete") and want(op):
                yield method, path, op


def _concrete(path: str) -> str:
    return path.replace("{", "x").replace("}", "")


def _clients(rig):
    return [("kiosk", rig.client(), rig.kiosk_headers()), ("admin", rig.admin, {})]


def _no_traceback(caplog):
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, '{"username": ' + HUGE + ', "password": "x"}',
                                  '{"username": "a", "password": 1e999999}', '{"a": NaN}'],
                         ids=["deep-array", "deep-object", "huge-int", "huge-float", "nan"])
def test_hostile_json_to_every_json_route_is_a_4xx(rig, caplog, body):
    caplog.set_level("INFO")
    routes = list(_operations(rig.spec, lambda op: "application/json" in op.get("requestBody", {}).get("content", {})))
    assert any(p == "/api/v1/auth/login" for _m, p, _o in routes)
    for method, path, _op in routes:
        for who, client, headers in _clients(rig):
            r = getattr(client, method)(_concrete(path), data=body,
                                        headers={"Content-Type": "application/json", **headers})
            assert 400 <= r.status_code < 500, (who, method, path, r.status_code, r.get_data(as_text=True)[:300])
            assert r.mimetype == "application/problem+json", (who, method, path)
    _no_traceback(caplog)


def test_login_answers_deep_json_with_a_clear_problem(rig):
    r = rig.client().post("/api/v1/auth/login", data=DEEP, headers={"Content-Type": "application/json",
                                                                     "Accept-Language": "en"})
    assert r.status_code == 400 and r.get_json()["code"] == "INVALID_JSON"


def test_out_of_range_numbers_in_query_strings_are_a_4xx(rig, caplog):
    caplog.set_level("INFO")
    routes = list(_operations(rig.spec, lambda op: any(p.get("in") == "query" for p in op.get("parameters", []))))
    assert routes
    for method, path, op in routes:
        names = [p["name"] for p in op["parameters"] if p.get("in") == "query"]
        for value in QUERY_NUMBERS:
            query = "&".join(f"{n}={value}" for n in names)
            for who, client, headers in _clients(rig):
                r = getattr(client, method)(f"{_concrete(path)}?{query}", headers=headers)
                assert r.status_code < 500, (who, method, path, value, r.status_code, r.get_data(as_text=True)[:300])
    _no_traceback(caplog)


def _webhook(rig, body: bytes):
    return rig.client().post("/api/v1/payments/bank-webhook", data=body, headers={
        "Content-Type": "application/json", "X-Signature": sign_webhook_body(body, WEBHOOK_SECRET)})


@pytest.mark.parametrize("amount", [BIG, "10000000000000000000", HUGE, 2**63, 2**63 - 1],
                         ids=["1e19", "1e19-text", "5000-digits", "2^63", "2^63-1"])
def test_a_signed_bank_webhook_with_an_impossible_amount_is_a_4xx(rig, caplog, amount):
    caplog.set_level("INFO")
    raw = ('{"transaction_id": "FT-BIG-%s", "account": "1012345678", "amount": %s, "content": "x", '
           '"transferred_at": "2026-11-23T09:05:00+07:00"}' % (len(str(amount)), json.dumps(amount))).encode()
    r = _webhook(rig, raw)
    assert r.status_code == 400 and r.get_json()["code"] == "PAYMENT_WEBHOOK_MALFORMED", r.get_data(as_text=True)[:300]
    _no_traceback(caplog)


@pytest.mark.parametrize("body", [DEEP.encode(), DEEP_OBJECT.encode()], ids=["deep-array", "deep-object"])
def test_a_signed_bank_webhook_nested_deep_is_a_4xx(rig, caplog, body):
    caplog.set_level("INFO")
    r = _webhook(rig, body)
    assert r.status_code == 400 and r.get_json()["code"] == "PAYMENT_WEBHOOK_MALFORMED"
    _no_traceback(caplog)


@pytest.mark.parametrize("auth", ["[" * 20_000 + "]" * 20_000, '{"token": ' + HUGE + "}", '{"token": 1e999}',
                                  '{"token": nope'],
                         ids=["deep", "huge-int", "huge-float", "not-json"])
def test_a_hostile_socketio_connect_payload_is_refused_quietly(rig, caplog, auth):
    caplog.set_level("INFO")
    c = rig.client()
    handshake = c.get("/socket.io/?EIO=4&transport=polling")
    sid = json.loads(handshake.data[1:])["sid"]
    sent = c.post(f"/socket.io/?EIO=4&transport=polling&sid={sid}", data="40/kiosk," + auth,
                  headers={"Content-Type": "text/plain"})
    assert sent.status_code == 200
    answer = c.get(f"/socket.io/?EIO=4&transport=polling&sid={sid}").get_data(as_text=True)
    assert answer.startswith("44/kiosk,") and "UNAUTHORIZED" in answer, answer[:200]
    _no_traceback(caplog)


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00",
                                "9999-12-31T23:59:59"])
def test_a_signed_bank_webhook_with_an_impossible_time_is_a_4xx(rig, caplog, at):
    caplog.set_level("INFO")
    raw = json.dumps({"transaction_id": f"FT-AT-{abs(hash(at))}", "account": "1012345678", "amount": 5000,
                      "content": "x", "transferred_at": at}).encode()
    r = _webhook(rig, raw)
    assert r.status_code == 400 and r.get_json()["code"] == "PAYMENT_WEBHOOK_MALFORMED", r.get_data(as_text=True)[:300]
    _no_traceback(caplog)


@pytest.mark.parametrize("token", ["é" * 40, "\u0000", "9" * 5000], ids=["non-ascii", "nul", "long"])
def test_a_strange_csrf_header_is_a_403_not_a_500(rig, token):
    r = rig.admin.post("/api/v1/service-points/P101/call-next", headers={"X-CSRF-Token": token})
    assert r.status_code == 403 and r.get_json()["code"] == "CSRF_FAILED"
