"""Kiosk trouble reaches staff promptly, over real websockets on a real `tiepdon serve`:
- a kiosk's status report (a printer out of paper) is pushed to /staff the moment it arrives;
- a kiosk that stops reporting is announced after 3 missed heartbeats (TIEPDON_KIOSK_HEARTBEAT_S,
  the kiosk's period, 30 s by default; 1 s here), and announced again as responding when it is back;
- GET /api/v1/devices says the same (`responding`), so a page opened later shows it too.
"""
from datetime import datetime

import requests

from tests.support.servers import ServerProcess

BEAT_S = 1.0


def _beat(rig, server, status: str) -> dict:
    r = requests.post(server.url + "/api/v1/devices/heartbeat", timeout=10,
                      json={"printer_status": status, "app_version": "1.0.0"},
                      headers={"Authorization": f"Bearer {rig.device_token}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_status_report_is_pushed_at_once_and_a_silent_kiosk_after_three_missed_beats(rig, sqlite_url):
    server = ServerProcess(sqlite_url, TIEPDON_KIOSK_HEARTBEAT_S=BEAT_S, TIEPDON_WORKER_INTERVAL_S=0.2).start()
    rig.servers.append(server)
    staff = rig.http(server).login()
    listener = rig.listen(server, "/staff", headers={"Cookie": staff.cookie()})
    listener.wait("staff.state")

    _beat(rig, server, "paper_out")
    pushed = listener.wait("device.updated", lambda d: d["printer_status"] == "paper_out")
    assert pushed["device"] == "kiosk-live" and pushed["responding"] is True
    assert pushed["heartbeat_s"] == BEAT_S

    # No more heartbeats: the server notices by itself, nobody has to reload a page.
    silent = listener.wait("device.updated", lambda d: d["responding"] is False, timeout=30)
    assert silent["device"] == "kiosk-live" and silent["printer_status"] == "paper_out"
    quiet_for = (datetime.fromisoformat(silent["at"]) - datetime.fromisoformat(silent["last_seen_at"]))
    assert quiet_for.total_seconds() >= 3 * BEAT_S  # three beats missed, not one late beat
    listed = staff.staff.get(server.url + "/api/v1/devices", timeout=10).json()["devices"]
    assert [(d["name"], d["responding"]) for d in listed] == [("kiosk-live", False)]

    _beat(rig, server, "ok")
    back = listener.wait("device.updated", lambda d: d["responding"] is True and d["printer_status"] == "ok")
    assert back["device"] == "kiosk-live"
    listed = staff.staff.get(server.url + "/api/v1/devices", timeout=10).json()["devices"]
    assert [(d["name"], d["responding"], d["printer_status"]) for d in listed] == [("kiosk-live", True, "ok")]
