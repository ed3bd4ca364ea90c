"""One format for the actor of every audit entry: `staff:<id>`, `device:<id>`, `account:<id>`, `cli`
or `system`; GET /api/v1/audit shows it, with the username of a staff actor, old rows included."""
import re
from datetime import timedelta

from backend.services.auth import device_for_token
from tests.integration.mobile.conftest import AN
from tests.integration.mobile.test_mobile_accounts import MAI_QR, kiosk_identify

ONE_FORMAT = re.compile(r"(staff|device|account):[A-Za-z0-9_-]+|cli|system")


def audit(backend, admin) -> list[dict]:
    now = backend.clock.now
    r = admin.get("/api/v1/audit", query_string={"from": (now - timedelta(hours=1)).isoformat(),
                                                  "to": (now + timedelta(hours=1)).isoformat()})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["entries"]


def test_staff_kiosk_account_and_cli_actions_name_their_actor_one_way(backend, phone):
    member = backend.add_staff("quantri", "admin")
    first = backend.login("quantri")
    assert first.post("/api/v1/auth/logout").status_code == 204
    admin = backend.login("quantri")
    an = phone("0914000041").sign_in()
    an.link_self(AN)
    kiosk_identify(backend, MAI_QR)  # a record the hospital did not have: created by the kiosk
    device = device_for_token(backend.deps, backend.device_token)
    entries = audit(backend, admin)
    assert [e["actor"] for e in entries if not ONE_FORMAT.fullmatch(e["actor"])] == []
    actors = {}
    for e in entries:
        actors.setdefault(e["action"], set()).add(e["actor"])
    staff = f"staff:{member.id}"
    assert actors["staff.add"] == {"cli"} and actors["device.add"] == {"cli"}
    assert actors["staff.login"] == {staff} and actors["staff.logout"] == {staff}
    assert actors["patient.create"] >= {f"device:{device.id}"}
    assert len(actors["account.login"]) == 1 and actors["link.self"] == actors["account.login"]
    assert all(a.startswith("account:") for a in actors["account.login"])
    names = {e["actor"]: e["actor_name"] for e in entries}
    assert names[staff] == "quantri" and names["cli"] is None and names[f"device:{device.id}"] is None


def test_old_rows_are_shown_in_the_one_format(backend):
    member = backend.add_staff("quantri", "admin")
    with backend.deps.uow.write() as uow:  # as versions before the one format wrote them
        uow.audit.add(backend.clock.now, member.id, "staff.login")
        uow.audit.add(backend.clock.now, "staff:quantri", "invoice.refund", "inv1", "manual")
        uow.audit.add(backend.clock.now, "someone-else", "staff.login")
        uow.commit()
    entries = audit(backend, backend.login("quantri"))
    old = [(e["actor"], e["actor_name"]) for e in entries if e["action"] in ("staff.login", "invoice.refund")]
    assert old[:3] == [(f"staff:{member.id}", "quantri"), (f"staff:{member.id}", "quantri"),
                       ("someone-else", None)]
