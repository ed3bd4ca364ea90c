"""Issue 17 items 7 and 8 in Chromium: the cashier's page lists what patients still owe and takes
cash or the card terminal with the printed receipt's number; the patient's phone then shows the
receipt (amount, method, reference, time), live, in Vietnamese and in English."""
import json
import os
import re
from datetime import datetime, timezone

import requests
from playwright.sync_api import expect

from backend.adapters.payments.vietqr.webhook import sign_webhook_body

from tests.support.app import PASSWORD

from .helpers import CONTRAST_JS, new_page, public, unnamed_controls

LIVE = 15_000


def _signed_transfer(site, reference: str):
    """The bank's webhook in its real format, signed with the server's secret (Site.BANK_SECRET)."""
    raw = json.dumps({"transaction_id": "FT26336VOID000001", "account": "1012345678", "amount": 39_000,
                      "content": reference, "transferred_at": datetime.now(timezone.utc).isoformat(),
                      "bank_bin": "970436", "sender_account": "0123456789", "sender_name": "NGUYEN VAN AN"}).encode()
    return requests.post(site.url + "/api/v1/payments/bank-webhook", data=raw, timeout=10,
                         headers={"Content-Type": "application/json",
                                  "X-Signature": sign_webhook_body(raw, site.bank_secret)})


def _sign_in(page, username: str, lands_on: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(lands_on), timeout=10_000)


def _accessible(page, what: str) -> None:
    count, unnamed = unnamed_controls(page)
    assert unnamed == [] and count > 0, (what, count, unnamed)
    contrast = page.evaluate(CONTRAST_JS, 4.5)
    assert contrast["checked"] > 5 and contrast["failures"] == [], (what, contrast["failures"])


def test_cashier_takes_cash_and_card_and_the_phone_shows_the_receipt(browser, site, page_errors, artifacts):
    first, second = site.issue("KHAM-NOI"), site.issue("KHAM-NGOAI")

    phone = new_page(browser, site, page_errors, 390, 844, mobile=True)
    phone.goto(public(second["track_url"], site))
    expect(phone.locator("#live-status")).to_have_attribute("data-state", "live", timeout=LIVE)
    expect(phone.locator("#invoice-amount")).to_have_text(re.compile(r"39\.000"))
    expect(phone.locator("#invoice-receipt")).to_be_hidden()

    desk = new_page(browser, site, page_errors)
    _sign_in(desk, "thungan", r"/staff/cashier$")  # a cashier lands on the cashier's page
    expect(desk.locator("a[href=\"/staff/cashier\"]")).to_have_attribute("aria-current", "page")
    expect(desk.locator("#live-status")).to_have_attribute("data-state", "live", timeout=LIVE)
    rows = desk.locator("#pending-body tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(first["display_number"])  # oldest first
    expect(rows.nth(0)).to_contain_text("Khám Nội")
    expect(rows.nth(0)).to_contain_text("39.000 ₫")
    expect(rows.nth(1)).to_contain_text(second["display_number"])
    _accessible(desk, "cashier")
    desk.screenshot(path=os.path.join(artifacts, "cashier-1920x1080.png"))

    # An empty receipt number is refused by the form itself; then cash with the number.
    row = rows.nth(0)
    row.get_by_role("button", name=re.compile("Đã thu")).click()
    expect(rows).to_have_count(2)
    row.get_by_label(re.compile("Số biên lai")).fill("BL-000123")
    row.get_by_role("button", name=re.compile("Đã thu")).click()
    expect(desk.locator("#cashier-done")).to_contain_text(
        f"Đã thu 39.000 ₫ của số {first['display_number']} — biên lai BL-000123")
    expect(rows).to_have_count(1)

    # The card terminal for the patient whose phone is watching: the receipt appears there live.
    row = rows.nth(0)
    row.get_by_label(re.compile("Hình thức")).select_option("card")
    row.get_by_label(re.compile("Số biên lai")).fill("POS-7781")
    row.get_by_role("button", name=re.compile("Đã thu")).click()
    expect(desk.locator("#pending-empty")).to_be_visible()
    desk.screenshot(path=os.path.join(artifacts, "cashier-done-1920x1080.png"))
    # A new patient at the kiosk: the list reads again on Refresh (and every 20 s by itself).
    third = site.issue("KHAM-NOI")
    desk.get_by_role("button", name=re.compile("Làm mới")).click()
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text(third["display_number"])

    receipt = phone.locator("#invoice-receipt")
    expect(receipt).to_be_visible()
    expect(phone.locator("#invoice-state")).to_have_text("Đã thanh toán ✓")
    expect(phone.locator("#receipt-number")).to_have_text("POS-7781")
    expect(phone.locator("#receipt-amount")).to_have_text(re.compile(r"39\.000"))
    expect(phone.locator("#receipt-method")).to_have_text("Thẻ tại quầy thu ngân")
    expect(phone.locator("#receipt-ref")).to_have_text(second["invoice"]["reference"])
    expect(phone.locator("#receipt-time")).to_have_text(re.compile(r"\d\d:\d\d"))
    _accessible(phone, "receipt")
    phone.screenshot(path=os.path.join(artifacts, "track-receipt-390x844.png"), full_page=True)
    phone.get_by_role("button", name="Switch to English").click()
    expect(phone.locator("#receipt-method")).to_have_text("Card at the cashier")
    expect(phone.get_by_text("Receipt no.")).to_be_visible()
    phone.screenshot(path=os.path.join(artifacts, "track-receipt-390x844-en.png"), full_page=True)

    # The first patient opens their link after paying: the receipt is there from the start.
    later = new_page(browser, site, page_errors, 390, 844, mobile=True)
    later.goto(public(first["track_url"], site))
    expect(later.locator("#receipt-number")).to_have_text("BL-000123")
    expect(later.locator("#receipt-method")).to_have_text("Tiền mặt tại quầy thu ngân")

    # A patient who left the queue after paying by bank transfer: the desk sees the money to hand back.
    gone = site.issue("KHAM-NOI")
    r = requests.post(site.url + f"/api/v1/tickets/{gone['id']}/cancel", params={"token": gone["track_token"]},
                      timeout=10)
    assert r.status_code == 200
    bank = _signed_transfer(site, gone["invoice"]["reference"])
    assert bank.json()["reason"] == "void", bank.text
    desk.get_by_role("button", name=re.compile("Làm mới")).click()
    expect(desk.locator("#reconcile li[data-category=void]")).to_contain_text("Trả cho số đã huỷ")
    expect(desk.locator("#reconcile li[data-category=void]")).to_contain_text(gone["invoice"]["reference"])
    desk.screenshot(path=os.path.join(artifacts, "cashier-reconcile-1920x1080.png"), full_page=True)

    # A room's doctor has no business at the cash desk: the page says so, the API refuses.
    room = new_page(browser, site, page_errors)
    _sign_in(room, "bs101", r"/staff/points/P101$")
    room.goto("/staff/cashier")
    expect(room.locator("#page-error")).to_contain_text("Bạn không có quyền")
    expect(room.locator("#pending-body tr")).to_have_count(0)

    assert [e for e in page_errors.real() if "403" not in e] == []
    for p in (phone, desk, later, room):
        p.context.close()
