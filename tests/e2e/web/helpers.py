"""What the web tests share: a real `tiepdon serve` with staff and a kiosk, Chromium pages, Node."""
import os
import re
import subprocess

import requests

from backend.adapters.db.migrate import upgrade
from backend.bootstrap import build_container
from backend.services.auth import add_device, add_staff
from backend.settings import Settings
from tests.support.app import CONFIG, PASSWORD, TEST_PII_KEY, TEST_SECRET
from tests.support.servers import ServerProcess

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "artifacts", "web")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # What a lobby TV is started with (docs/web.md): it must speak without a click.
                 "--autoplay-policy=no-user-gesture-required"]

# Who works where in these tests (config/hospital.toml has the points).
STAFF = {
    "letan": ("Nguyễn Thị Lễ Tân", "reception", []),
    "quantri": ("Trần Văn Quản Trị", "admin", []),
    "bs101": ("BS. Lê Minh Khoa", "room", ["P101"]),
    "bs104": ("BS. Phạm Văn Ngoại", "room", ["P104"]),
    "xetnghiem": ("KTV. Hoàng Thị Mẫu", "room", ["XN1"]),
    "thungan": ("Đỗ Thị Thu Ngân", "cashier", ["TN1"]),
}


class Site:
    """The running server, a kiosk's token and small API helpers for setting the scene."""

    def __init__(self, db_url: str, kiosk_token: str):
        self.db_url = db_url
        self.kiosk_token = kiosk_token
        # The bank webhook is on, so a test can pay (or pay too late) the way a bank does.
        self.bank_secret = "e2e-bank-webhook-secret-0123456789"
        self.server = ServerProcess(db_url, BANK_WEBHOOK_SECRET=self.bank_secret)

    @property
    def url(self) -> str:
        return self.server.url

    def issue(self, service: str, coverage: str = "self_pay", priority: str | None = None) -> dict:
        body = {"service_code": service, "coverage": coverage}
        if priority:
            body["priority_reason"] = priority
        r = requests.post(self.url + "/api/v1/tickets", json=body, timeout=10,
                          headers={"Authorization": f"Bearer {self.kiosk_token}"})
        assert r.status_code == 201, r.text
        return r.json()

    def check_in(self, scan: str, service: str) -> dict:
        """A card scanned at the kiosk, then a BHYT ticket on that visit."""
        kiosk = {"Authorization": f"Bearer {self.kiosk_token}"}
        r = requests.post(self.url + "/api/v1/kiosk/identify", headers=kiosk, timeout=15,
                          json={"scan": scan, "consent": {"accepted": True}})
        assert r.status_code == 200, r.text
        r = requests.post(self.url + "/api/v1/tickets", headers=kiosk, timeout=10, json={
            "identify_token": r.json()["identify_token"], "service_code": service, "coverage": "bhyt"})
        assert r.status_code == 201, r.text
        return r.json()

    def staff_session(self, username: str) -> requests.Session:
        s = requests.Session()
        r = s.post(self.url + "/api/v1/auth/login", json={"username": username, "password": PASSWORD},
                   timeout=10)
        r.raise_for_status()
        s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return s

    def heartbeat(self, status: str) -> None:
        r = requests.post(self.url + "/api/v1/devices/heartbeat", timeout=10,
                          json={"printer_status": status, "app_version": "1.0.0"},
                          headers={"Authorization": f"Bearer {self.kiosk_token}"})
        r.raise_for_status()


def prepare_database(db_url: str) -> str:
    upgrade(db_url)
    container = build_container(Settings.from_env({
        "database_url": db_url, "secret_key": TEST_SECRET, "pii_key": TEST_PII_KEY,
        "config_path": CONFIG}))
    for username, (name, role, points) in STAFF.items():
        add_staff(container.deps, username, name, role, PASSWORD, points)
    _, token = add_device(container.deps, "kiosk-sanh-a-1")
    container.engine.dispose()
    return token


class PageErrors:
    """Every console error and uncaught exception of the pages it watches (CSP refusals too)."""

    def __init__(self):
        self.errors: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def real(self) -> list[str]:
        # A refused connection while the server is down is the expected noise of a restart test.
        return [e for e in self.errors if not re.search(r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|"
                                                         r"ERR_EMPTY_RESPONSE|WebSocket connection to .* failed", e)]


def new_page(browser, site: Site, errors: PageErrors, width: int = 1920, height: int = 1080,
             mobile: bool = False):
    context = browser.new_context(base_url=site.url, viewport={"width": width, "height": height},
                                  device_scale_factor=1, is_mobile=mobile, has_touch=mobile,
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors.watch(page)
    return page


def login(page, username: str) -> None:
    """Through the real sign-in form, as a person would."""
    page.goto("/staff/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/staff/(points/[A-Z0-9-]+|cashier)?$"), timeout=10_000)


def press(page, key: str) -> None:
    """A point page's single-letter shortcut, pressed the way staff do: once its button is enabled.

    The page ignores a key whose button is disabled (its patient has not reached that step on this
    screen yet), so a test that presses before the screen caught up loses the key at random.
    """
    from playwright.sync_api import expect
    expect(page.locator(f'#actions button[data-key="{key}"]')).to_be_enabled()
    page.keyboard.press(key)


def run_node(script: str, timeout: float = 30) -> str:
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout


def public(url: str, site: Site) -> str:
    """A ticket's track_url names the configured public address; the test server has its own."""
    return re.sub(r"^https?://[^/]+", site.url, url)


# WCAG 2.x contrast of every visible piece of text against the background it is drawn on
# (backgrounds are composited up the tree, so text on a translucent or inherited colour counts).
CONTRAST_JS = r"""
(minimum) => {
  const parse = (c) => {
    const m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let acc = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) acc = over(layer, acc);
    return acc;
  };
  const out = { checked: 0, failures: [] };
  for (const el of document.querySelectorAll("body *")) {
    if (["SCRIPT", "STYLE", "OPTION", "CANVAS", "svg"].includes(el.tagName)) continue;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!text) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none" || !el.getClientRects().length) continue;
    if (el.closest("[hidden], [aria-hidden=true]")) continue;
    const bg = background(el);
    const fg = over(parse(style.color), bg);
    const ratio = (Math.max(lum(fg), lum(bg)) + 0.05) / (Math.min(lum(fg), lum(bg)) + 0.05);
    out.checked += 1;
    if (ratio < minimum) out.failures.push({ text: text.slice(0, 40), ratio: Math.round(ratio * 100) / 100, color: style.color });
  }
  return out;
}
"""

CONTROL_ROLES = {"button", "link", "textbox", "searchbox", "combobox", "listbox", "checkbox", "radio",
                 "spinbutton", "slider", "switch", "tab", "menuitem", "img", "Date", "DateTime",
                 "InputTime"}


def unnamed_controls(page) -> tuple[int, list[dict]]:
    """Controls without an accessible name, as Chromium's own accessibility tree computes them."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    controls = [n for n in nodes if not n.get("ignored")
                and n.get("role", {}).get("value") in CONTROL_ROLES]
    bad = [{"role": n["role"]["value"], "id": n.get("backendDOMNodeId")} for n in controls
           if not (n.get("name", {}).get("value") or "").strip()]
    return len(controls), bad


# Records when an element's text first matches: the latency of a live update measured in the
# page itself, not by how often the test happens to look.
WATCH_JS = r"""
([selector, expected, key]) => {
  window.__seen = window.__seen || {};
  const check = () => {
    const el = document.querySelector(selector);
    if (el && el.textContent.includes(expected) && !window.__seen[key]) window.__seen[key] = Date.now();
  };
  new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  check();
}
"""
