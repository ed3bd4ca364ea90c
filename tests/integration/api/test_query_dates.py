"""Dates and times in query strings: GET /api/v1/audit takes plain dates (the hospital's local day,
`to` inclusive of its whole day) and datetimes with or without an offset; anything else is a 422
problem, never a 500. The same kind of parameter everywhere else in the API is fuzzed alike."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.app import FixedClock

AT = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)  # 10:00 on 2 Dec 2026 in Vietnam


@pytest.fixture
def clock():
    return FixedClock(AT)


def _seed(backend):
    """Audit rows at chosen instants: 1 Dec 23:30, 2 Dec 00:10, 2 Dec 23:50, 3 Dec 00:10 (Vietnam)."""
    local = timezone(timedelta(hours=7))
    marks = {"d1-late": datetime(2026, 12, 1, 23, 30, tzinfo=local),
             "d2-early": datetime(2026, 12, 2, 0, 10, tzinfo=local),
             "d2-late": datetime(2026, 12, 2, 23, 50, tzinfo=local),
             "d3-early": datetime(2026, 12, 3, 0, 10, tzinfo=local)}
    with backend.deps.uow.write() as uow:
        for subject, at in marks.items():
            uow.audit.add(at.astimezone(timezone.utc), "system", "test.mark", subject)
        uow.commit()


def _marks(r) -> list[str]:
    assert r.status_code == 200, r.get_json()
    return [e["subject"] for e in r.get_json()["entries"] if e["action"] == "test.mark"]


def test_plain_dates_are_whole_hospital_days_and_to_includes_its_day(backend):
    _seed(backend)
    admin = backend.login(backend.add_staff("quantri", "admin").username)
    assert _marks(admin.get("/api/v1/audit?from=2026-12-02&to=2026-12-02")) == ["d2-early", "d2-late"]
    assert _marks(admin.get("/api/v1/audit?from=2026-12-02&to=2026-12-03")) == ["d2-early", "d2-late", "d3-early"]


def test_datetimes_with_and_without_offset(backend):
    _seed(backend)
    admin = backend.login(backend.add_staff("quantri", "admin").username)
    # Without an offset a time is the hospital's local time.
    assert _marks(admin.get("/api/v1/audit?from=2026-12-02T00:00:00&to=2026-12-02T12:00")) == ["d2-early"]
    assert _marks(admin.get("/api/v1/audit", query_string={
        "from": "2026-12-01T16:45:00Z", "to": "2026-12-02T17:00:00+00:00"})) == ["d2-early", "d2-late"]
    # A date as `from` and a datetime as `to` mix freely.
    assert _marks(admin.get("/api/v1/audit?from=2026-12-01&to=2026-12-02T00:30")) == ["d1-late", "d2-early"]


@pytest.mark.parametrize("start,end", [
    ("x", "2026-12-03"), ("2026-12-02", "y"), ("2026-13-45", "2026-12-03"), ("2026-02-30", "2026-03-01"),
    ("0001-01-01", "2026-12-03"), ("2026-12-02", "9999-12-31"), ("9999-12-31T23:59:59", "9999-12-31"),
    ("2026-12-03", "2026-12-02"), ("", "2026-12-02"), ("2026-12-02T25:00", "2026-12-03"),
    ("2026-12-02\x00", "2026-12-03"), ("20261202", "2026-12-03"), ("2026-12-02T10:00+99:00", "2026-12-03"),
])
def test_bad_dates_are_a_translated_422_and_never_a_500(backend, start, end):
    admin = backend.login(backend.add_staff("quantri", "admin").username)
    r = admin.get("/api/v1/audit", query_string={"from": start, "to": end})
    assert r.status_code == 422, (start, end, r.status_code, r.get_data(as_text=True)[:300])
    body = r.get_json()
    assert r.mimetype == "application/problem+json" and body["code"] == "VALIDATION_ERROR"
    assert body["title"] == "Dữ liệu gửi lên không hợp lệ"
    field_errors = " ".join(m for msgs in body["errors"].values() for m in msgs)
    assert " / " in field_errors, field_errors  # Vietnamese / English words for the field
    en = admin.get("/api/v1/audit", query_string={"from": start, "to": end}, headers={"Accept-Language": "en"})
    assert en.status_code == 422 and en.get_json()["title"] == "The request data is not valid"


BAD_VALUES = ["x", "", "0001-01-01", "9999-12-31", "2026-12-02T10:00:00", "2026-12-02T10:00:00+07:00",
              "20261202", "2026-13-45", "２０２６-12-02", "2026-12-02\x00", "99999-01-01", "-1", "%", "A" * 200,
              "../../etc", "1e9", "null", "[]", "{}"]


def test_every_query_parameter_of_the_api_refuses_bad_formats_without_a_500(backend):
    """Each GET route's query parameters, from the OpenAPI document, with bad and extreme values."""
    admin = backend.login(backend.add_staff("quantri", "admin").username)
    spec = admin.get("/api/v1/openapi.json").get_json()
    checked, failures = 0, []
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if not op or "{" in path:
            continue
        params = [p for p in op.get("parameters", []) if p.get("in") == "query"]
        for p in params:
            others = {q["name"]: (q.get("example") or q.get("schema", {}).get("example") or "KHAM-NOI")
                      for q in params if q["name"] != p["name"] and q.get("required")}
            for value in BAD_VALUES:
                r = admin.get(path, query_string={**others, p["name"]: value})
                checked += 1
                if r.status_code >= 500:
                    failures.append((path, p["name"], value, r.status_code))
    assert checked > 50
    assert failures == []
