"""Issue 17, items 10–15, in a real Chromium against a real `tiepdon serve` (with VNPay configured):
the room page names who walked in, the dashboard explains each exception and acts on it, kiosk
trouble is a banner at the top, the TV captions what it says and answers a recall at once, and the
phone page says "not found" alone and lets a patient pay from the phone itself.

Screenshots go to var/shots/ of the worktree (looked at by a person, not committed)."""
import os
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.support.app import PASSWORD
from tests.support.servers import ServerProcess

from .helpers import Site, login, new_page, prepare_database, public
from .test_pages import expect_live, sentence

SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "var", "shots")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db_url = f"sqlite:///{tmp_path_factory.mktemp('web17') / 'tiepdon.db'}"
    s = Site(db_url, prepare_database(db_url))
    s.server = ServerProcess(db_url, VNPAY_TMN_CODE="TIEPDON1", VNPAY_HASH_SECRET="s" * 32,
                             TIEPDON_KIOSK_HEARTBEAT_S="2")
    s.server.start(timeout=30)
    yield s
    s.server.stop()


def shot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


# --- 14: the lobby TV ---------------------------------------------------------------------------

def test_tv_empty_state_is_words_not_a_bar(browser, site, page_errors):
    tv = new_page(browser, site, page_errors)
    tv.goto("/display/CLS")
    expect_live(tv)
    expect(tv.locator("#latest-number")).to_be_hidden()
    expect(tv.locator("#latest-room")).to_contain_text("Chưa có số nào được gọi")
    assert "—" not in tv.locator("#latest").inner_text()
    shot(tv, "tv-empty")
    assert page_errors.real() == []
    tv.context.close()


def test_tv_shows_the_spoken_caption_and_a_recall_is_said_at_once(browser, site, page_errors):
    tv = new_page(browser, site, page_errors)
    tv.goto("/display/KHU-KHAM")
    expect_live(tv)
    first, other = site.issue("KHAM-NOI"), site.issue("KHAM-NGOAI")
    doctor = site.staff_session("bs101")
    r = doctor.post(site.url + "/api/v1/service-points/P101/call-next", timeout=10)
    assert r.status_code == 200, r.text
    text, _ = sentence(first["display_number"], "Phòng khám 101")
    caption = tv.locator("#caption")
    # The sentence is on screen, not only in an attribute.
    expect(caption).to_have_text(text)
    expect(caption).to_be_visible()
    expect(caption).to_have_attribute("data-state", "speaking")
    shot(tv, "tv-caption")

    # Recalled while it is still being said: cut short and said again now, not queued behind itself.
    assert doctor.post(f"{site.url}/api/v1/tickets/{first['id']}/recall", timeout=10).status_code == 200
    expect(caption).to_have_attribute("data-cuts", "1")
    expect(caption).to_have_attribute("data-count", "2")
    expect(caption).to_have_text(text)

    # Another room's call waits its turn (nobody is cut off), then is said and captioned.
    surgeon = site.staff_session("bs104")
    assert surgeon.post(site.url + "/api/v1/service-points/P104/call-next", timeout=10).status_code == 200
    text2, _ = sentence(other["display_number"], "Phòng khám 104")
    expect(caption).to_have_text(text2, timeout=30_000)
    expect(caption).to_have_attribute("data-count", "3")
    expect(caption).to_have_attribute("data-cuts", "1")
    assert page_errors.real() == []
    tv.context.close()


# --- 15: the phone --------------------------------------------------------------------------------

def test_a_wrong_tracking_token_shows_only_not_found_and_stops_trying(browser, site, page_errors):
    ticket = site.issue("KHAM-MAT")
    phone = new_page(browser, site, page_errors, 390, 844, mobile=True)
    handshakes = []
    phone.on("request", lambda req: handshakes.append(req.url) if "/socket.io/" in req.url else None)
    phone.goto(f"/t/{ticket['id']}?token=not-the-token")
    expect(phone.locator("#status-main")).to_have_text("Không tìm thấy số thứ tự này")
    expect(phone.locator("#live-line")).to_be_hidden()
    expect(phone.locator(".ticket-card")).to_be_hidden()  # no empty number card
    expect(phone.get_by_text("Mất kết nối")).to_have_count(0)
    expect(phone.get_by_text("đang thử lại")).to_have_count(0)
    seen = len(handshakes)
    phone.wait_for_timeout(4500)  # longer than the page's retry delay (3 s)
    assert len(handshakes) == seen, handshakes[seen:]
    expect(phone.locator("#live-line")).to_be_hidden()
    shot(phone, "phone-not-found")
    phone.context.close()


def test_paying_on_the_phone_offers_vnpay_and_copy_buttons(browser, site, page_errors):
    ticket = site.issue("KHAM-TMH")
    assert ticket["invoice"]["status"] == "pending"
    phone = new_page(browser, site, page_errors, 390, 844, mobile=True)
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    phone.goto(public(ticket["track_url"], site))
    expect_live(phone)
    pay = phone.get_by_role("button", name="Thanh toán qua VNPay")
    expect(phone.get_by_role("button", name="Sao chép: Số tài khoản")).to_be_visible()
    expect(pay).to_be_visible()
    # The QR is folded away: this phone cannot scan its own screen.
    expect(phone.locator("#invoice-qr")).to_be_hidden()
    expect(phone.locator("#bank-account")).to_contain_text("1012345678")
    expect(phone.locator("#bank-amount")).to_have_text(re.compile(r"39\.000\s₫"))
    reference = phone.locator("#bank-ref").inner_text().strip()
    assert re.fullmatch(r"TD[0-9A-Z]+", reference), reference
    shot(phone, "phone-pay")

    copies = {"copy-account": "1012345678", "copy-amount": "39000", "copy-ref": reference}
    for button, value in copies.items():
        phone.locator("#" + button).click()
        expect(phone.locator("#copied")).to_contain_text(value)
        assert phone.evaluate("navigator.clipboard.readText()") == value
    shot(phone, "phone-copied")

    # VNPay: the gateway's own page (stubbed here: no Internet in tests), with this invoice's amount.
    phone.route("https://sandbox.vnpayment.vn/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<html><body><h1>VNPAY</h1></body></html>"))
    pay.click()
    phone.wait_for_url(re.compile(r"^https://sandbox\.vnpayment\.vn/"))
    assert "vnp_Amount=3900000" in phone.url and "vnp_BankCode" not in phone.url
    assert page_errors.real() == []
    phone.context.close()


# --- 13: kiosk trouble on the reception dashboard ----------------------------------------------

def test_kiosk_trouble_is_a_banner_at_the_top_and_arrives_without_a_reload(browser, site, page_errors):
    site.heartbeat("ok")
    dash = new_page(browser, site, page_errors, 1366, 768)
    login(dash, "letan")
    expect_live(dash)
    banner = dash.locator("#device-banner")
    expect(banner).to_be_hidden()

    site.heartbeat("paper_out")  # what a kiosk sends the moment its printer runs out
    problem = banner.locator('[data-trouble="paper_out"]')
    expect(problem).to_contain_text("Máy in hết giấy")
    expect(problem).to_contain_text("Printer out of paper")
    expect(problem).to_contain_text("lắp cuộn giấy mới")  # what to do, not only what happened
    box = banner.bounding_box()
    assert box["y"] < 200 and box["y"] + box["height"] < 768, box  # at the top, above the fold
    shot(dash, "dashboard-device-paper-out")

    # The kiosk stops (TIEPDON_KIOSK_HEARTBEAT_S=2 here): after 3 missed beats the banner says so.
    expect(banner.locator('[data-trouble="silent"]')).to_contain_text("Ki-ốt không phản hồi", timeout=30_000)
    expect(dash.locator('#devices [data-device="kiosk-sanh-a-1"]')).to_contain_text("Không phản hồi")
    shot(dash, "dashboard-device-silent")

    site.heartbeat("ok")  # back, with paper
    expect(banner).to_be_hidden()
    assert page_errors.real() == []
    dash.context.close()


# --- 11: exceptions with their meaning and a working action ----------------------------------

def _container(site):
    from backend.bootstrap import build_container  # lazy: only these scene-setting helpers need it
    from backend.settings import Settings
    from tests.support.app import CONFIG, TEST_PII_KEY, TEST_SECRET

    return build_container(Settings.from_env({
        "database_url": site.db_url, "secret_key": TEST_SECRET, "pii_key": TEST_PII_KEY,
        "config_path": CONFIG, "background_workers": False}))


def test_exceptions_say_what_they_mean_and_staff_resolve_them_in_the_page(browser, site, page_errors):
    from datetime import datetime, timezone

    from tests.support.cards import bhyt_qr

    # Two BHYT visits: one whose check got no answer (no BHXH gateway here: pending), one that BHXH
    # answered 130 (a child without a card: staff must look at the birth certificate).
    pending = site.check_in(bhyt_qr("GD4797905000001", "Lê Văn Chờ", "03/03/1980", 1, "01/01/2026",
                                    "31/12/2026"), "KHAM-RHM")
    child = site.check_in(bhyt_qr("TE1797905000002", "Lê Bé Con", "04/04/2024", 1, "01/01/2026",
                                  "31/12/2026"), "KHAM-NHI")
    c = _container(site)
    try:
        with c.deps.uow.write() as uow:
            for check in uow.card_checks.for_visits([child["visit_id"]]):
                uow.card_checks.update(check.id, status="refused", code="130", outcome="child_see_reception",
                                       staff_flag=True, next_attempt_at=None)
            uow.reconciliation.add(id="rec-unmatched-1", source="vietqr", reason="unmatched", amount=50000,
                                   created_at=datetime.now(timezone.utc))
            # The HIS refused the child's registration for good (parked).
            row = uow.his_outbox.get_for_visit(child["visit_id"])
            uow.his_outbox.park(row.id, "HIS 422")
            uow.commit()
    finally:
        c.engine.dispose()

    dash = new_page(browser, site, page_errors, 1366, 900)
    login(dash, "quantri")  # an administrator sees every list, payments included
    expect_live(dash)
    child_row = dash.locator(f'#bhyt li[data-visit="{child["visit_id"]}"]')
    expect(child_row).to_contain_text("Trẻ em chưa có thẻ BHYT")
    expect(child_row).to_contain_text("Child without a health insurance card")
    expect(child_row).to_contain_text("giấy khai sinh")
    pending_row = dash.locator(f'#bhyt li[data-visit="{pending["visit_id"]}"]')
    expect(pending_row).to_contain_text("Cổng BHXH không trả lời")
    expect(pending_row).to_contain_text("hệ thống tự hỏi lại")
    his_row = dash.locator(f'#his li[data-visit="{child["visit_id"]}"]')
    expect(his_row).to_contain_text("HIS từ chối hồ sơ")
    his_pending = dash.locator(f'#his li[data-visit="{pending["visit_id"]}"]')
    expect(his_pending.get_by_role("button", name=re.compile("^Gửi ngay"))).to_be_visible()
    pay_row = dash.locator('#payments li[data-item="rec-unmatched-1"]')
    expect(pay_row).to_contain_text("nội dung chuyển khoản không khớp hoá đơn nào")
    dash.locator("#bhyt").scroll_into_view_if_needed()
    shot(dash, "dashboard-exceptions")

    # Each action works from the page.
    pending_row.get_by_role("button", name=re.compile("^Kiểm tra lại ngay")).click()
    child_row.get_by_role("button", name=re.compile("^Đã xử lý")).click()
    expect(child_row).to_have_count(0)
    his_row.get_by_role("button", name=re.compile("^Gửi lại")).click()
    expect(his_row.locator(".badge")).to_contain_text("Đang thử lại")
    his_pending.get_by_role("button", name=re.compile("^Gửi ngay")).click()
    pay_row.get_by_role("button", name=re.compile("^Bỏ qua")).click()
    expect(pay_row.locator(".exc-error")).to_contain_text("Ghi chú lý do")  # a dismissal needs a reason
    pay_row.get_by_label("Ghi chú").fill("Chuyển nhầm, đã hoàn qua ngân hàng")
    pay_row.get_by_role("button", name=re.compile("^Bỏ qua")).click()
    expect(pay_row).to_have_count(0)
    expect(dash.locator("#page-error")).to_be_empty()

    audit = site.staff_session("quantri").get(site.url + "/api/v1/audit?from=2020-01-01&to=2100-01-01").json()
    actions = {(e["action"], e["subject"]) for e in audit["entries"]}
    assert ("bhyt.recheck", pending["visit_id"]) in actions and ("bhyt.reviewed", child["visit_id"]) in actions
    assert page_errors.real() == []
    dash.context.close()


# --- 10: the room page names who walked in ---------------------------------------------------

def test_the_room_page_shows_who_walked_in_to_the_rooms_own_staff(browser, site, page_errors):
    from backend.services.auth import add_staff
    from tests.support.cards import bhyt_qr

    c = _container(site)
    try:
        add_staff(c.deps, "bs105", "BS. Đỗ Thị Sản", "room", PASSWORD, ["P105"])
    finally:
        c.engine.dispose()
    ticket = site.check_in(bhyt_qr("DN4797905000105", "Phạm Thị Hoa", "10/10/1994", 2, "01/01/2026",
                                   "31/12/2026"), "KHAM-SAN")
    room = new_page(browser, site, page_errors, 1366, 900)
    login(room, "bs105")
    expect(room).to_have_url(re.compile(r"/staff/points/P105$"))
    expect_live(room)
    expect(room.locator("#current-who")).to_be_hidden()
    room.get_by_role("button", name=re.compile("^Gọi tiếp")).click()
    expect(room.locator("#current-number")).to_have_text(ticket["display_number"])
    who = room.locator("#current-who")
    expect(who.locator("#who-name")).to_contain_text("Phạm T. H")
    expect(who.locator("#who-name")).to_contain_text("32 tuổi")
    expect(who.locator("#who-coverage")).to_contain_text("BHYT")
    expect(who.locator("#who-coverage [data-check]")).to_contain_text("Đang chờ BHXH")
    expect(who.locator("#who-payment")).to_contain_text("Không có khoản phải trả")
    assert "Phạm Thị Hoa" not in room.content()
    shot(room, "room-current-patient")

    # Another room's doctor opening this page sees no one's details.
    other = new_page(browser, site, page_errors, 1366, 900)
    login(other, "bs101")
    other.goto("/staff/points/P105")
    expect(other.locator("#not-assigned")).to_be_visible()
    expect(other.locator("#current-who")).to_be_hidden()
    assert page_errors.real() == []
    room.context.close()
    other.context.close()


def test_a_cashier_resolves_unmatched_money_at_the_desk(browser, site, page_errors):
    from datetime import datetime, timezone

    c = _container(site)
    try:
        with c.deps.uow.write() as uow:
            uow.reconciliation.add(id="rec-desk-1", source="vietqr", reason="unmatched", amount=120000,
                                   created_at=datetime.now(timezone.utc))
            uow.commit()
    finally:
        c.engine.dispose()
    desk = new_page(browser, site, page_errors, 1366, 900)
    login(desk, "thungan")
    expect(desk).to_have_url(re.compile(r"/staff/cashier$"))  # a cashier's desk page holds the money to resolve
    item = desk.locator('#reconcile li[data-item="rec-desk-1"]')
    expect(item).to_contain_text("không khớp hoá đơn nào")
    expect(item).to_contain_text("Cần làm")
    item.get_by_label("Ghi chú").fill("Đã trả lại tiền mặt cho người chuyển")
    item.get_by_role("button", name=re.compile("^Đã trả lại tiền")).click()
    expect(item).to_have_count(0)
    items = site.staff_session("thungan").get(site.url + "/api/v1/payments/reconciliation?status=resolved").json()
    assert [(i["id"], i["resolution"]) for i in items["items"] if i["id"] == "rec-desk-1"] == [("rec-desk-1", "returned")]
    assert page_errors.real() == []
    desk.context.close()
