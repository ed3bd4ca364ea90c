"""Issue 17 in a real Chromium against a real `tiepdon serve`: at a room, "next" pressed twice
never finishes a patient who did not come in (the page asks; a confirmed no-show is shown and can
be undone once), and a patient sent on to the lab sees the new number on the same phone link."""
import os
import re

import requests
from playwright.sync_api import expect

from .helpers import login, new_page, press, public

LIVE = 20_000
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "var", "shots")


def expect_live(page):
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=LIVE)


def status_of(site, t: dict) -> str:
    r = requests.get(f"{site.url}/api/v1/tickets/{t['id']}?token={t['track_token']}", timeout=10)
    return r.json()["status"]


def test_next_twice_asks_and_a_no_show_is_shown_and_undone(browser, site, page_errors):
    os.makedirs(SHOTS, exist_ok=True)
    a, b = site.issue("KHAM-NOI"), site.issue("KHAM-NOI")
    room = new_page(browser, site, page_errors)
    login(room, "bs101")
    expect_live(room)
    expect(room.locator("#waiting .waiting-list li .tnum")).to_have_text([a["display_number"], b["display_number"]])
    phone = new_page(browser, site, page_errors, 390, 844, mobile=True)
    phone.goto(public(a["track_url"], site))
    expect_live(phone)

    press(room, "n")
    expect(room.locator("#current-number")).to_have_text(a["display_number"])
    expect(room.locator("#btn-finish")).to_be_disabled()  # only a patient being served is finished
    press(room, "n")  # a second later
    confirm = room.locator("#confirm-next")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(f"Số {a['display_number']} đã được mời nhưng chưa vào")
    expect(room.locator("#current-number")).to_have_text(a["display_number"])
    assert status_of(site, a) == "called" and status_of(site, b) == "waiting"
    expect(phone.locator("#status")).to_have_attribute("data-status", "called")
    room.screenshot(path=os.path.join(SHOTS, "room-next-asks.png"))
    room.keyboard.press("Escape")
    expect(confirm).to_be_hidden()

    press(room, "n")
    room.get_by_role("button", name=re.compile("^Vắng mặt, gọi số tiếp")).click()
    expect(room.locator("#current-number")).to_have_text(b["display_number"])
    outcome = room.locator("#outcome")
    expect(outcome).to_contain_text(f"Số {a['display_number']}: vắng mặt.")
    expect(room.locator("#skipped li .strong")).to_have_text([a["display_number"]])
    expect(room.locator("#action-msg")).to_contain_text(f"{a['display_number']} vắng mặt · Đã mời số {b['display_number']}")
    expect(phone.locator("#status")).to_have_attribute("data-status", "skipped")
    assert status_of(site, a) == "skipped"
    room.screenshot(path=os.path.join(SHOTS, "room-after-no-show.png"))

    room.get_by_role("button", name=re.compile(f"^Hoàn tác: xếp lại {a['display_number']}")).click()
    expect(room.locator("#waiting .waiting-list li .tnum")).to_have_text([a["display_number"]])
    expect(outcome).to_be_hidden()
    expect(room.locator("#skipped li.empty")).to_be_visible()
    expect(phone.locator("#status")).to_have_attribute("data-status", "waiting")
    expect(phone.locator("#position")).to_have_text("1")

    # Once re-queued, a second no-show is shown without an undo: the rule allows one re-queue.
    press(room, "s")
    expect(room.locator("#current-status")).to_have_attribute("data-status", "serving")
    press(room, "n")  # B was being served: finished, A called again
    expect(room.locator("#current-number")).to_have_text(a["display_number"])
    assert status_of(site, b) == "done"
    press(room, "k")
    expect(outcome).to_contain_text("không thể xếp lại nữa")
    expect(room.locator("#btn-undo-noshow")).to_have_count(0)
    assert page_errors.real() == []
    for p in (room, phone):
        p.context.close()


def test_the_phone_follows_a_transfer_on_the_same_link(browser, site, page_errors):
    os.makedirs(SHOTS, exist_ok=True)
    n = site.issue("KHAM-NGOAI")
    room = new_page(browser, site, page_errors)
    login(room, "bs104")
    expect_live(room)
    phone = new_page(browser, site, page_errors, 390, 844, mobile=True)
    link = public(n["track_url"], site)
    phone.goto(link)
    expect_live(phone)
    expect(phone.locator("#number")).to_have_text(n["display_number"])

    press(room, "n")
    expect(phone.locator("#status")).to_have_attribute("data-status", "called")
    press(room, "s")
    expect(phone.locator("#status")).to_have_attribute("data-status", "serving")
    room.get_by_label(re.compile("^Chuyển")).select_option("XET-NGHIEM")
    room.get_by_role("button", name=re.compile("^Chuyển")).click()
    expect(room.locator("#action-msg")).to_contain_text("→ số mới X")
    new_number = re.search(r"X\d{3}", room.locator("#action-msg").inner_text()).group(0)

    # The phone, untouched, now shows the new ticket: number, queue place, the lab's room.
    expect(phone.locator("#number")).to_have_text(new_number, timeout=LIVE)
    expect(phone.locator("#status")).to_have_attribute("data-status", "waiting")
    expect(phone.locator("#service")).to_have_text("Xét nghiệm – Lấy mẫu")
    expect(phone.locator("#moved")).to_be_visible()
    expect(phone.locator("#moved-main")).to_have_text(f"Bạn đã được chuyển tiếp. Số mới của bạn: {new_number}")
    expect(phone.locator("#moved-sub")).to_contain_text(n["display_number"])
    expect(phone.locator("#position")).to_have_text("1")
    expect(phone.locator("#where-room")).to_contain_text("110")
    expect_live(phone)
    assert phone.url == link  # the same link
    phone.screenshot(path=os.path.join(SHOTS, "phone-after-transfer.png"), full_page=True)

    # The lab calls the new number: the same phone hears it.
    lab = site.staff_session("xetnghiem")
    called = lab.post(site.url + "/api/v1/service-points/XN1/call-next", timeout=10)
    assert called.status_code == 200 and called.json()["display_number"] == new_number
    expect(phone.locator("#status")).to_have_attribute("data-status", "called")
    expect(phone.locator("#status-main")).to_have_text("Mời bạn đến Phòng lấy mẫu 110")

    # Opening the old link later lands on the new ticket at once.
    again = new_page(browser, site, page_errors, 390, 844, mobile=True)
    again.goto(link)
    expect(again.locator("#number")).to_have_text(new_number, timeout=LIVE)
    expect(again.locator("#moved-sub")).to_contain_text(n["display_number"])
    again.get_by_role("button", name="English").click()
    expect(again.locator("#moved-main")).to_have_text(f"You have been sent on. Your new number: {new_number}")
    assert page_errors.real() == []
    for p in (room, phone, again):
        p.context.close()
