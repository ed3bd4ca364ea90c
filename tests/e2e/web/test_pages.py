"""The staff dashboard, the lobby display and the patient's tracking page in a real Chromium,
against a real `tiepdon serve`: live updates between separate browsers, what a room operator may
do, a server restart under open pages, accessibility, and screenshots for a person to look at.

Each test works on its own services and rooms (config/hospital.toml), so the module's one server
never mixes their tickets."""
import json
import os
import re
import time

from playwright.sync_api import expect

from backend import create_app
from backend.services.ports.realtime import RecordingPublisher
from tests.support.app import CONFIG, PASSWORD, TEST_PII_KEY, TEST_SECRET
from tests.support.cards import bhyt_qr

from .helpers import CONTRAST_JS, WATCH_JS, login, new_page, press, public, run_node, unnamed_controls

LIVE = 20_000  # ms: generous bound for anything that has to cross a reconnect


def sentence(display_number: str, room: str) -> str:
    url = "file://" + os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                                   "backend", "web", "static", "js", "vi-words.js"))
    script = (f"const m = await import({json.dumps(url)});"
              f"console.log(JSON.stringify([m.callSentence({json.dumps(display_number)}, {json.dumps(room)}),"
              f" m.callTokens({json.dumps(display_number)}, {json.dumps(room)})]));")
    return json.loads(run_node(script))


def expect_live(page):
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=LIVE)


def test_ticket_flows_live_from_kiosk_to_room_to_display_and_phone(browser, site, page_errors):
    dash = new_page(browser, site, page_errors)
    login(dash, "letan")
    expect(dash).to_have_url(re.compile(r"/staff/$"))
    expect_live(dash)
    room = new_page(browser, site, page_errors)
    login(room, "bs101")
    expect(room).to_have_url(re.compile(r"/staff/points/P101$"))
    expect_live(room)
    noi = dash.locator('tr[data-service="KHAM-NOI"] td.waiting')
    expect(noi).to_have_text("0")

    # A kiosk issues a ticket: it shows up on the dashboard and in the room's waiting list.
    ticket = site.issue("KHAM-NOI")
    number = ticket["display_number"]
    expect(noi).to_have_text("1")
    expect(room.locator("#waiting .waiting-list li .tnum")).to_have_text([number])

    tv = new_page(browser, site, page_errors)
    sockets = []
    tv.on("websocket", lambda ws: sockets.append(ws.url))
    clips = []
    tv.on("response", lambda r: clips.append((r.url.rsplit("/", 1)[-1].split("?")[0], r.status))
          if "/audio/vi/" in r.url and r.url.endswith(".wav") else None)
    tv.goto("/display/KHU-KHAM")
    expect_live(tv)
    expect(tv.locator("#area-name")).to_contain_text("Khu khám bệnh tầng 1–2")
    # Upgraded to a websocket (the page's Content-Security-Policy allows it), not stuck polling;
    # the upgrade follows the first poll, so give it a moment.
    for _ in range(50):
        if any("/socket.io/" in u and "transport=websocket" in u for u in sockets):
            break
        tv.wait_for_timeout(100)
    assert any("/socket.io/" in u and "transport=websocket" in u for u in sockets), sockets
    phone = new_page(browser, site, page_errors, 390, 844, mobile=True)
    phone.goto(public(ticket["track_url"], site))
    expect_live(phone)
    expect(phone.locator("#number")).to_have_text(number)
    expect(phone.locator("#status")).to_have_attribute("data-status", "waiting")
    expect(phone.locator("#position")).to_have_text("1")

    # The doctor calls next: the TV and the phone change within a second, each in its own browser.
    tv.evaluate(WATCH_JS, ["#latest-number", number, "tv"])
    phone.evaluate(WATCH_JS, ["#status-main", "Phòng khám 101", "phone"])
    clicked_ms = time.time() * 1000
    room.get_by_role("button", name=re.compile("^Gọi tiếp")).click()
    expect(tv.locator("#latest-number")).to_have_text(number)
    expect(tv.locator('.room[data-point="P101"] .room-number')).to_have_text(number)
    expect(phone.locator("#status-main")).to_have_text("Mời bạn đến Phòng khám 101")
    tv_ms = tv.evaluate("window.__seen.tv") - clicked_ms
    phone_ms = phone.evaluate("window.__seen.phone") - clicked_ms
    assert tv_ms < 1000 and phone_ms < 1000, (tv_ms, phone_ms)
    expect(room.locator("#current-number")).to_have_text(number)
    expect(room.locator("#waiting .waiting-list")).to_have_count(0)
    expect(dash.locator('.point-card[data-point="P101"] .pnum')).to_have_text(number)

    # …and the TV says it: chime, then the Vietnamese sentence from the shipped clips.
    text, tokens = sentence(number, "Phòng khám 101")
    caption = tv.locator("#caption")
    expect(caption).to_have_attribute("data-text", text)
    expect(caption).to_have_attribute("data-mode", "clips")
    expect(caption).to_have_attribute("data-clips", str(len(tokens)))
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "backend", "web", "static",
                           "audio", "vi", "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)["clips"]
    assert {name for name, status in clips if status == 200} == {manifest[t] for t in tokens}

    # Start, then send the patient on to the lab: a new ticket on the same visit, in the lab's queue.
    room.get_by_role("button", name=re.compile("^Bắt đầu")).click()
    expect(room.locator("#current-status")).to_have_attribute("data-status", "serving")
    expect(phone.locator("#status")).to_have_attribute("data-status", "serving")
    room.get_by_label(re.compile("^Chuyển")).select_option("XET-NGHIEM")
    room.get_by_role("button", name=re.compile("^Chuyển")).click()
    expect(room.locator("#action-msg")).to_contain_text("X001")
    # The phone follows the visit to the new ticket on the same link (issue 17).
    expect(phone.locator("#number")).to_have_text("X001", timeout=LIVE)
    expect(phone.locator("#status")).to_have_attribute("data-status", "waiting")
    expect(dash.locator('tr[data-service="XET-NGHIEM"] td.waiting')).to_have_text("1")
    lab = new_page(browser, site, page_errors)
    login(lab, "xetnghiem")
    expect(lab).to_have_url(re.compile(r"/staff/points/XN1$"))
    expect(lab.locator("#waiting .waiting-list li .tnum")).to_have_text(["X001"])
    found = site.staff_session("letan").get(site.url + "/api/v1/tickets?number=x1").json()["tickets"]
    assert [(t["transferred_from"], t["visit_id"]) for t in found] == [(ticket["id"], ticket["visit_id"])]

    # Reception finds the first ticket by its number.
    dash.get_by_label("Số trên phiếu").fill(number.lower())
    dash.get_by_role("button", name=re.compile("^Tìm")).click()
    expect(dash.locator("#search-results .ticket-row .tnum")).to_have_text([number])
    expect(dash.locator("#search-results .ticket-row")).to_contain_text("Đã xong")

    assert page_errors.real() == []
    for p in (dash, room, tv, phone, lab):
        p.context.close()


def test_room_operator_cannot_act_on_another_room(browser, site, page_errors):
    reception = site.staff_session("letan")
    ticket = site.issue("KHAM-SAN")
    called = reception.post(site.url + "/api/v1/service-points/P105/call-next").json()
    assert called["id"] == ticket["id"]

    page = new_page(browser, site, page_errors)
    login(page, "bs101")
    # The navigation offers only the operator's own room…
    expect(page.locator("#nav a")).to_have_text([re.compile("^Phòng khám 101"), re.compile("^Thống kê")])
    page.goto("/staff/points/P105")
    expect(page.locator("#point-title")).to_contain_text("Phòng khám 105")
    # …and another room's page shows no controls at all.
    expect(page.locator("#not-assigned")).to_be_visible()
    expect(page.locator("#actions")).to_be_hidden()
    expect(page.locator("#transfer-form")).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile("^Gọi tiếp"))).to_have_count(0)

    # The API refuses it too, with the operator's own session and CSRF token.
    csrf = page.request.get("/api/v1/auth/me").json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    r = page.request.post("/api/v1/service-points/P105/call-next", headers=headers)
    assert r.status == 403 and r.json()["code"] == "FORBIDDEN"
    r = page.request.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=headers)
    assert r.status == 403 and r.json()["code"] == "FORBIDDEN"
    r = page.request.post(f"/api/v1/tickets/{ticket['id']}/transfer", headers=headers,
                          data={"service_code": "DUOC"})
    assert r.status == 403
    r = page.request.get("/api/v1/tickets?service=KHAM-SAN")
    assert r.status == 403
    after = reception.get(site.url + f"/api/v1/tickets/{ticket['id']}").json()
    assert after["status"] == "called" and after["service_point"]["code"] == "P105"
    # Its own room works, so the refusals above were about the room, not the account.
    r = page.request.post("/api/v1/service-points/P101/call-next", headers=headers)
    assert r.status in (200, 204)
    page.context.close()

    # Unmatched payments are for cashiers and admins: reception's overview does not offer them.
    reception_page = new_page(browser, site, page_errors)
    login(reception_page, "letan")
    expect_live(reception_page)
    expect(reception_page.locator("#devices li").first).to_be_visible()
    expect(reception_page.locator("#payments-panel")).to_be_hidden()
    admin = new_page(browser, site, page_errors)
    login(admin, "quantri")
    expect(admin.locator("#payments-panel")).to_be_visible()
    expect(admin.locator("#payments")).to_contain_text("Không có khoản nào cần đối soát")
    assert page_errors.real() == []
    reception_page.context.close()
    admin.context.close()


def _change_while_the_server_is_down(site, point: str) -> dict:
    """Another process acts on the database while the pages' server is dead (a second backend
    behind the balancer, say): nothing is published to the pages, they must catch up alone."""
    app = create_app({"database_url": site.db_url, "secret_key": TEST_SECRET, "pii_key": TEST_PII_KEY,
                      "config_path": CONFIG, "background_workers": False, "ignore_opening_hours": True,
                      "dev_sms": True}, publisher=RecordingPublisher())
    try:
        c = app.test_client()
        r = c.post("/api/v1/auth/login", json={"username": "letan", "password": PASSWORD})
        # The point's patient was only called: they did not come in (a no-show), the next one is called.
        r = c.post(f"/api/v1/service-points/{point}/call-next", json={"current": "no_show"},
                   headers={"X-CSRF-Token": r.get_json()["csrf_token"]})
        assert r.status_code == 200, r.get_json()
        return r.get_json()
    finally:
        app.extensions["tiepdon"].engine.dispose()


def test_pages_reconnect_and_show_the_right_state_after_a_backend_restart(browser, site, page_errors):
    first = site.issue("KHAM-NGOAI")
    second = site.issue("KHAM-NGOAI")
    dash = new_page(browser, site, page_errors)
    login(dash, "letan")
    room = new_page(browser, site, page_errors)
    login(room, "bs104")
    tv = new_page(browser, site, page_errors)
    tv.goto("/display/KHU-KHAM")
    phone = new_page(browser, site, page_errors, 390, 844, mobile=True)
    phone.goto(public(second["track_url"], site))
    pages = (dash, room, tv, phone)
    for p in pages:
        expect_live(p)
    room.get_by_role("button", name=re.compile("^Gọi tiếp")).click()
    expect(tv.locator('.room[data-point="P104"] .room-number')).to_have_text(first["display_number"])
    expect(phone.locator("#position")).to_have_text("1")

    site.server.kill()
    for p in pages:
        expect(p.locator("#live-status")).not_to_have_attribute("data-state", "live", timeout=LIVE)
    called = _change_while_the_server_is_down(site, "P104")
    assert called["id"] == second["id"]
    site.server.start(timeout=30)

    for p in pages:
        expect_live(p)
    n2 = second["display_number"]
    expect(tv.locator('.room[data-point="P104"] .room-number')).to_have_text(n2, timeout=LIVE)
    expect(tv.locator("#recent li .rnum").first).to_have_text(n2, timeout=LIVE)
    expect(phone.locator("#status-main")).to_have_text("Mời bạn đến Phòng khám 104", timeout=LIVE)
    expect(room.locator("#current-number")).to_have_text(n2, timeout=LIVE)
    expect(dash.locator('.point-card[data-point="P104"] .pnum')).to_have_text(n2, timeout=LIVE)
    expect(dash.locator('tr[data-service="KHAM-NGOAI"] td.waiting')).to_have_text("0", timeout=LIVE)
    # A state restored after a reconnect is shown, not announced: only the call made while the
    # TV was listening (the first one) was spoken.
    expect(tv.locator("#caption")).to_have_attribute("data-count", "1")

    # And the events flow again on the new connections.
    third = site.issue("KHAM-NGOAI")
    expect(room.locator("#waiting .waiting-list li .tnum")).to_have_text([third["display_number"]])
    press(room, "n")  # the second patient was only called: the page asks first (issue 17)
    room.get_by_role("button", name=re.compile("^Vắng mặt, gọi số tiếp")).click()
    expect(tv.locator("#latest-number")).to_have_text(third["display_number"])
    assert page_errors.real() == []
    for p in pages:
        p.context.close()


def _check_accessibility(page, what: str, controls: bool = True) -> None:
    count, unnamed = unnamed_controls(page)
    assert unnamed == [] and (count > 0 or not controls), (what, count, unnamed)
    contrast = page.evaluate(CONTRAST_JS, 4.5)
    assert contrast["checked"] > 5 and contrast["failures"] == [], (what, contrast["failures"])


def test_keyboard_accessibility_and_screenshots(browser, site, page_errors, artifacts):
    mat = [site.issue("KHAM-MAT"), site.issue("KHAM-MAT", priority="pregnant"), site.issue("KHAM-MAT")]
    for _ in range(3):
        site.issue("TD-DV")
    site.heartbeat("paper_low")

    page = new_page(browser, site, page_errors)
    page.goto("/staff/login")
    _check_accessibility(page, "login")
    login(page, "letan")
    page.goto("/staff/points/P201")
    expect_live(page)
    expect(page.locator("#waiting .waiting-list li")).to_have_count(3)
    # The legal-priority patient is first in line, and marked.
    expect(page.locator("#waiting .waiting-list li").first).to_contain_text(mat[1]["display_number"])
    expect(page.locator("#waiting .waiting-list li").first.locator(".badge.prio")).to_contain_text("Phụ nữ có thai")

    # Tab from the top of the page reaches "call next"; Enter presses it.
    page.locator("body").focus()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "btn-next":
            break
    assert page.evaluate("document.activeElement.id") == "btn-next"
    page.keyboard.press("Enter")
    expect(page.locator("#current-number")).to_have_text(mat[1]["display_number"])
    # The single-letter shortcuts: recall, start, finish, next, no-show, transfer.
    page.locator("body").focus()
    press(page, "r")
    expect(page.locator("#action-msg")).to_contain_text("Đã gọi lại")
    press(page, "s")
    expect(page.locator("#current-status")).to_have_attribute("data-status", "serving")
    press(page, "f")
    expect(page.locator("#current-number")).to_contain_text("Chưa mời ai")
    press(page, "n")
    expect(page.locator("#current-number")).to_have_text(mat[0]["display_number"])
    press(page, "k")
    expect(page.locator("#skipped li")).to_contain_text(mat[0]["display_number"])
    page.keyboard.press("t")
    assert page.evaluate("document.activeElement.id") == "transfer-target"
    # Letters typed in the destination list choose a destination, not an action: leave it first.
    page.keyboard.press("Tab")
    press(page, "n")
    expect(page.locator("#current-number")).to_have_text(mat[2]["display_number"])
    page.reload()
    expect_live(page)
    expect(page.locator("#current-number")).to_have_text(mat[2]["display_number"])
    _check_accessibility(page, "point")
    page.screenshot(path=os.path.join(artifacts, "point-1920x1080.png"))

    reception = site.staff_session("letan")
    reception.post(site.url + "/api/v1/service-points/Q3/call-next").raise_for_status()
    page.goto("/staff/")
    expect_live(page)
    expect(page.locator('.point-card[data-point="P201"] .pnum')).to_have_text(mat[2]["display_number"])
    expect(page.locator('#devices li[data-device="kiosk-sanh-a-1"]')).to_contain_text("Sắp hết giấy")
    # A kiosk's printer runs out: the dashboard hears it without a reload.
    site.heartbeat("paper_out")
    expect(page.locator('#devices li[data-device="kiosk-sanh-a-1"]')).to_contain_text("Hết giấy")
    # A BHYT card checked in while BHXH cannot be asked: reception sees the visit flagged, with the
    # name masked as on every screen, and never the full name.
    bhyt = site.check_in(bhyt_qr("SV4797905001234", "Trần Thị Mai", "02/02/2005", 2, "01/01/2026",
                                 "31/12/2026"), "TD-BHYT")
    flagged = page.locator("#bhyt li", has_text=bhyt["display_number"])
    expect(flagged).to_contain_text("Trần T. M")
    expect(flagged).to_contain_text("Đang chờ BHXH")
    assert "Trần Thị Mai" not in page.content()
    _check_accessibility(page, "dashboard")
    page.screenshot(path=os.path.join(artifacts, "dashboard-1920x1080.png"))

    page.goto("/staff/stats")
    expect(page.locator("#total-issued strong")).not_to_have_text("0")
    expect(page.locator('#stats-body tr[data-service="KHAM-MAT"] td').nth(1)).to_have_text("3")
    assert "format=csv" in page.locator("#csv-link").get_attribute("href")
    csv = page.request.get(page.locator("#csv-link").get_attribute("href"))
    assert csv.status == 200 and "KHAM-MAT" in csv.text()
    _check_accessibility(page, "stats")
    page.screenshot(path=os.path.join(artifacts, "stats-1920x1080.png"), full_page=True)
    # Any past day: its own figures (none here) and its own CSV.
    page.get_by_role("textbox", name="Ngày / Date").fill("2025-01-06")
    page.get_by_role("button", name=re.compile("^Xem")).click()
    expect(page.locator("#stats-body")).to_contain_text("Không có phiếu nào trong ngày này")
    expect(page.locator("#total-issued strong")).to_have_text("0")
    assert "date=2025-01-06" in page.locator("#csv-link").get_attribute("href")

    tv = new_page(browser, site, page_errors)
    tv.goto("/display/KHU-KHAM")
    expect_live(tv)
    expect(tv.locator('.room[data-point="P201"] .room-number')).to_have_text(mat[2]["display_number"])
    reception.post(site.url + "/api/v1/service-points/P203/call-next")  # nobody waiting: 204
    site.issue("KHAM-RHM")
    reception.post(site.url + "/api/v1/service-points/P203/call-next").raise_for_status()
    expect(tv.locator("#latest-number")).to_have_text("R001")
    expect(tv.locator(".room.newest")).to_have_attribute("data-point", "P203")
    _check_accessibility(tv, "display", controls=False)  # read-only: nothing to press
    tv.screenshot(path=os.path.join(artifacts, "display-1920x1080.png"))
    lobby = new_page(browser, site, page_errors)
    lobby.goto("/display/SANH-A")
    expect_live(lobby)
    expect(lobby.locator('.room[data-point="Q3"] .room-number')).to_have_text("B001")
    lobby.screenshot(path=os.path.join(artifacts, "display-sanh-a-1920x1080.png"))

    waiting = site.issue("KHAM-MAT")
    phone = new_page(browser, site, page_errors, 390, 844, mobile=True)
    phone.goto(public(waiting["track_url"], site))
    expect_live(phone)
    expect(phone.locator("#position")).to_have_text("1")
    expect(phone.locator("#invoice-amount")).to_have_text(re.compile(r"39\.000"))
    _check_accessibility(phone, "tracking")
    phone.screenshot(path=os.path.join(artifacts, "track-390x844.png"))
    phone.screenshot(path=os.path.join(artifacts, "track-390x844-full.png"), full_page=True)
    phone.get_by_role("button", name="Switch to English").click()
    expect(phone.locator("#status-main")).to_have_text("Waiting for your turn")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    _check_accessibility(phone, "tracking (en)")
    reception.post(site.url + "/api/v1/service-points/P201/call-next",
                   json={"current": "no_show"}).raise_for_status()
    expect(phone.locator("#status-main")).to_have_text("Please go to Room 201 now")
    phone.screenshot(path=os.path.join(artifacts, "track-390x844-called-en.png"))

    assert page_errors.real() == []
    unknown = page.goto("/display/KHONG-CO")
    assert unknown.status == 404 and "Không tìm thấy trang" in page.content()
    for p in (page, tv, lobby, phone):
        p.context.close()


def test_a_declared_priority_is_marked_and_staff_confirm_or_reject_it(browser, site, page_errors, artifacts):
    """A reason the patient declared at the kiosk reads "chờ xác nhận" until staff decide: the room
    page confirms the current patient's, the dashboard's search rejects another's."""
    declared = site.issue("KHAM-TMH", priority="pregnant")
    page = new_page(browser, site, page_errors)
    login(page, "letan")
    page.goto("/staff/points/P202")
    expect_live(page)
    badge = page.locator("#waiting .waiting-list li").first.locator(".badge.prio")
    expect(badge).to_have_attribute("data-priority-status", "declared")
    expect(badge).to_contain_text("chờ xác nhận")
    page.locator("#btn-next").click()
    expect(page.locator("#current-number")).to_have_text(declared["display_number"])
    current = page.locator("#current-facts .badge.prio")
    expect(current).to_have_attribute("data-priority-status", "declared")
    page.screenshot(path=os.path.join(artifacts, "point-declared-priority-1920x1080.png"))
    page.locator('#current-facts [data-priority-action="confirm"]').click()
    expect(current).to_have_attribute("data-priority-status", "confirmed", timeout=LIVE)
    expect(page.locator('#current-facts [data-priority-action="confirm"]')).to_have_count(0)
    _check_accessibility(page, "point with a confirmed priority")

    other = site.issue("KHAM-DL", priority="revolutionary_merit")
    page.goto("/staff/")
    expect_live(page)
    page.locator("#search-number").fill(other["display_number"])
    page.locator("#search-number").press("Enter")
    row = page.locator(f'#search-results li[data-ticket="{other["id"]}"]')
    expect(row.locator(".badge.prio")).to_have_attribute("data-priority-status", "declared")
    _check_accessibility(page, "dashboard with a declared priority")
    page.screenshot(path=os.path.join(artifacts, "dashboard-declared-priority-1920x1080.png"))
    row.locator('[data-priority-action="reject"]').click()
    expect(row.locator(".badge.prio")).to_have_count(0)
    assert page_errors.errors == []
