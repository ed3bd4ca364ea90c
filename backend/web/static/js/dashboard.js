// Reception and admin overview: every queue and every service point live, with what needs a
// person's attention (long waits, BHYT checks, HIS registrations, unmatched payments, printers).
// The picture comes from staff.state and its deltas; REST is used for actions and for the lists
// that have no events of their own.

import { get, post } from "./api.js";
import { reconciliationItem } from "./reconcile.js";
import { bi, h, replace } from "./dom.js";
import { clock, minutesSince, noteServerTime, PRINTER, serverNow, STATUS } from "./format.js";
import { openStaffLive, priorityActions, priorityBadge, seesEverything, showError, startStaffPage } from "./staff.js";

// A kiosk heartbeats every `heartbeat_s` (30 s); three missed in a row and the server says it is
// not responding (device.updated responding: false). The page checks the same rule between events.
const MISSED_BEATS = 3;
const DEFAULT_HEARTBEAT_S = 30;

// What staff do about each kind of kiosk trouble, shown in the banner at the top of the page.
const TROUBLE = {
  silent: ["bad", "Ki-ốt không phản hồi", "Kiosk not responding",
    "Kiểm tra nguồn điện và dây mạng của ki-ốt; nếu màn hình treo, khởi động lại ki-ốt. Trong lúc chờ, hướng dẫn người bệnh lấy số tại quầy.",
    "Check the kiosk's power and network cable; if its screen is frozen, restart it. Meanwhile, send patients to the desk for a number."],
  paper_out: ["bad", "Máy in hết giấy", "Printer out of paper",
    "Mở nắp máy in, lắp cuộn giấy mới (mặt in hướng lên), đóng nắp. Ki-ốt tự báo lại khi in được.",
    "Open the printer cover, load a new roll (print side up), close the cover. The kiosk reports back once it can print."],
  cover_open: ["bad", "Nắp máy in đang mở", "Printer cover open",
    "Đóng chặt nắp máy in cho đến khi nghe tiếng tách.", "Close the printer cover firmly until it clicks."],
  offline: ["bad", "Máy in mất kết nối", "Printer offline",
    "Kiểm tra dây cáp và công tắc nguồn của máy in; tắt rồi bật lại máy in.",
    "Check the printer's cable and power switch; turn the printer off and on again."],
  paper_low: ["warn", "Máy in sắp hết giấy", "Printer paper low",
    "Chuẩn bị sẵn một cuộn giấy mới cho ki-ốt này.", "Have a new paper roll ready for this kiosk."],
};

const state = {
  at: null,
  services: new Map(), // code → queue row
  points: new Map(), // code → service point row
  alerts: new Map(), // ticket id → long-wait alert
  system: [], // configuration alerts (BHXH account refused…), newest first
  devices: new Map(), // name → device
  search: null, // last search: {number, tickets}
};

const el = (id) => document.getElementById(id);

function statusBadge(status) {
  const [vi, en, tone] = STATUS[status] || [status, status, "muted"];
  return h("span", { class: "badge " + tone }, bi(vi, en));
}

const prioBadge = priorityBadge;

// --- queues ---------------------------------------------------------------------------------

function mergeQueues(payload, replaceAll) {
  if (replaceAll) {
    state.services.clear();
    state.points.clear();
  }
  state.at = payload.at || state.at;
  noteServerTime(payload.at);
  // Each row's waits were true at its own `at`: a partial update leaves older rows older.
  for (const row of payload.services || []) state.services.set(row.service.code, { ...row, at: payload.at });
  for (const row of payload.service_points || []) state.points.set(row.service_point.code, row);
}

function longWaitServices() {
  return new Set([...state.alerts.values()].map((a) => a.service && a.service.code));
}

function renderQueues() {
  const long = longWaitServices();
  const rows = [...state.services.values()].map((row) => {
    const s = row.service;
    const num = (n) => h("td", { class: "num" + (n ? "" : " zero") }, String(n));
    const longest = row.waiting ? row.longest_wait_min + (minutesSince(row.at) || 0) : 0;
    return h("tr", { class: (row.open_now ? "" : "closed ") + (long.has(s.code) ? "long" : ""), dataset: { service: s.code } },
      h("td", {}, h("span", { class: "prefix", text: s.prefix + " · " }), bi(s.name_vi, s.name_en),
        row.open_now ? null : h("span", { class: "badge muted" }, bi("Đóng", "Closed"))),
      h("td", { class: "num waiting" + (row.waiting ? "" : " zero") }, String(row.waiting)),
      h("td", { class: "num" }, row.priority_waiting ? h("span", { class: "badge prio" }, "★ " + row.priority_waiting) : h("span", { class: "zero", text: "0" })),
      num(row.called),
      num(row.serving),
      h("td", { class: "num longest" + (row.waiting ? "" : " zero") }, row.waiting ? `${longest} phút / min` : "—"),
      h("td", { class: "num" + (row.waiting ? "" : " zero") }, row.waiting ? `${row.estimated_wait_min} phút / min` : "—"));
  });
  replace(el("queues-body"), rows);
  replace(el("queues-at"), state.at ? bi("Cập nhật " + clock(state.at), "Updated " + clock(state.at)) : "");
}

function renderPoints() {
  const cards = [...state.points.values()].map((row) => {
    const p = row.service_point;
    const t = row.current;
    return h("li", {},
      h("a", { class: "point-card", href: "/staff/points/" + encodeURIComponent(p.code), dataset: { point: p.code, status: t ? t.status : "idle" } },
        h("div", { class: "pname" }, bi(p.name_vi, p.name_en)),
        t ? h("div", { class: "pnum", text: t.display_number }) : h("div", { class: "pnum none" }, bi("Chưa gọi ai", "Nobody called")),
        t ? h("div", { class: "meta" }, statusBadge(t.status), prioBadge(t.priority), h("span", { text: clock(t.called_at) })) : null));
  });
  replace(el("points"), cards);
}

// --- alerts ---------------------------------------------------------------------------------

function renderAlerts() {
  const items = [...state.alerts.values()].sort((a, b) => b.waited_min - a.waited_min);
  const system = state.system.map((a) => h("li", { class: "alert-item" },
    bi(`Lỗi cấu hình tra cứu BHXH (mã ${a.code || "?"}): báo bộ phận CNTT`,
      `BHXH look-up configuration error (code ${a.code || "?"}): tell IT`)));
  if (!items.length && system.length) { replace(el("alerts"), system); return; }
  if (!items.length) {
    replace(el("alerts"), h("li", { class: "empty" }, bi("Không có ai chờ quá lâu", "Nobody has waited too long")));
    return;
  }
  replace(el("alerts"), system, items.map((a) => h("li", { class: "alert-item", dataset: { ticket: a.ticket_id } },
    h("span", { class: "strong", text: a.display_number }),
    bi(`${a.service.name_vi}: đã chờ ${a.waited_min} phút (ngưỡng ${a.long_wait_min})`,
      `${a.service.name_en}: waited ${a.waited_min} min (limit ${a.long_wait_min})`))));
}

// --- ticket search ------------------------------------------------------------------------

function ticketActions(t) {
  const actions = [];
  if (t.status === "skipped") {
    actions.push(h("button", { type: "button", class: "btn small secondary", onclick: () => act(t, "requeue") },
      bi("Xếp lại hàng", "Requeue")));
  }
  if (t.status === "called" || t.status === "serving") {
    actions.push(h("a", { class: "btn small secondary", href: "/staff/points/" + encodeURIComponent(t.service_point.code) },
      bi("Mở " + t.service_point.name_vi, "Open " + t.service_point.name_en)));
  }
  if (t.status === "waiting") {
    actions.push(h("button", { type: "button", class: "btn small secondary", onclick: () => act(t, "cancel") },
      bi("Huỷ số", "Cancel ticket")));
  }
  actions.push(...priorityActions(t, () => runSearch(state.search.number)));
  return actions;
}

async function act(ticket, action) {
  showError(null);
  try {
    await post(`/api/v1/tickets/${encodeURIComponent(ticket.id)}/${action}`);
    await runSearch(state.search.number);
  } catch (e) {
    showError(e);
  }
}

function renderSearch() {
  const list = el("search-results");
  if (!state.search) { list.replaceChildren(); return; }
  const { tickets, number } = state.search;
  if (!tickets.length) {
    replace(list, h("li", { class: "empty" }, bi(`Không có số ${number} hôm nay`, `No ticket ${number} today`)));
    return;
  }
  replace(list, tickets.map((t) => h("li", { class: "ticket-row", dataset: { ticket: t.id } },
    h("span", { class: "tnum", text: t.display_number }),
    statusBadge(t.status), prioBadge(t.priority),
    h("span", { class: "tmeta" },
      bi(t.service.name_vi, t.service.name_en), " · ",
      t.service_point ? bi(t.service_point.name_vi, t.service_point.name_en) : null,
      t.status === "waiting" ? bi(`vị trí ${t.position}, chờ khoảng ${t.estimated_wait_min} phút`, `position ${t.position}, about ${t.estimated_wait_min} min`) : null,
      " · ", bi("lấy số " + clock(t.issued_at), "issued " + clock(t.issued_at))),
    ticketActions(t))));
}

async function runSearch(number) {
  const data = await get("/api/v1/tickets?number=" + encodeURIComponent(number));
  state.search = { number: number.toUpperCase(), tickets: data.tickets };
  renderSearch();
}

function updateSearchFrom(update) {
  if (!state.search) return;
  const t = state.search.tickets.find((x) => x.id === update.id);
  if (!t) return;
  Object.assign(t, {
    status: update.status, position: update.position, people_ahead: update.people_ahead,
    estimated_wait_min: update.estimated_wait_min, called_at: update.called_at,
    service_point: update.service_point || null, priority: update.priority,
  });
  renderSearch();
}

// --- lists without events ---------------------------------------------------------------

function exceptionAction(labelVi, labelEn, call, reload) {
  return h("button", {
    type: "button", class: "btn small",
    onclick: async (ev) => {
      ev.target.closest("button").disabled = true;
      showError(null);
      try { await call(); } catch (e) { showError(e); }
      reload();
    },
  }, bi(labelVi, labelEn));
}

async function loadBhyt() {
  try {
    const data = await get("/api/v1/visits/bhyt-flagged");
    const items = data.visits;
    replace(el("bhyt"), items.length ? items.map((v) => h("li", { class: "exception", dataset: { visit: v.visit_id, code: v.code } },
      h("div", { class: "exc-head" },
        h("span", { class: "strong", text: v.tickets.join(", ") || "—" }),
        h("span", { text: v.name_masked || "" }),
        h("span", { class: "badge " + (v.status === "pending" ? "warn" : "bad") },
          v.status === "pending" ? bi("Đang chờ BHXH", "Waiting for BHXH") : bi("Cần nhân viên xem", "Needs staff"))),
      h("div", { class: "exc-meaning" }, /^\d+$/.test(v.code || "") ? [h("span", { class: "code", text: v.code }), " "] : null, bi(v.meaning_vi, v.meaning_en)),
      h("div", { class: "exc-todo" }, h("span", { class: "todo-label" }, bi("Cần làm", "To do"), ": "), bi(v.todo_vi, v.todo_en)),
      v.action === "recheck"
        ? exceptionAction("Kiểm tra lại ngay", "Check again now", () => post(`/api/v1/visits/${encodeURIComponent(v.visit_id)}/bhyt-recheck`), loadBhyt)
        : exceptionAction("Đã xử lý", "Done", () => post(`/api/v1/visits/${encodeURIComponent(v.visit_id)}/bhyt-reviewed`), loadBhyt)))
      : h("li", { class: "empty" }, bi("Không có thẻ nào chờ kiểm tra", "No checks pending")));
  } catch (e) {
    replace(el("bhyt"), h("li", { class: "empty" }, bi("Không tải được danh sách", "Could not load the list")));
  }
}

async function loadHis() {
  try {
    const data = await get("/api/v1/visits/not-in-his");
    const items = data.visits;
    replace(el("his"), items.length ? items.map((v) => h("li", { class: "exception", dataset: { visit: v.visit_id } },
      h("div", { class: "exc-head" },
        h("span", { class: "strong", text: v.tickets.join(", ") || "—" }),
        h("span", { text: v.name_masked || "" }),
        h("span", { class: "badge " + (v.status === "parked" ? "bad" : "warn") },
          v.status === "parked" ? bi("HIS từ chối", "Refused by HIS") : bi(`Đang thử lại (${v.attempts})`, `Retrying (${v.attempts})`))),
      v.todo_vi ? h("div", { class: "exc-todo" }, bi(v.todo_vi, v.todo_en)) : null,
      exceptionAction(v.status === "parked" ? "Gửi lại" : "Gửi ngay", v.status === "parked" ? "Send again" : "Send now",
        () => post(`/api/v1/visits/${encodeURIComponent(v.visit_id)}/his-retry`), loadHis)))
      : h("li", { class: "empty" }, bi("Mọi lượt khám đã có trong HIS", "Every visit is in the HIS")));
  } catch (e) {
    replace(el("his"), h("li", { class: "empty" }, bi("Không tải được danh sách", "Could not load the list")));
  }
}

let staffMember = null;

async function loadPayments(staff) {
  staffMember = staff;
  const panel = el("payments-panel");
  if (staff.role !== "admin" && staff.role !== "cashier") { panel.hidden = true; return; }
  try {
    const data = await get("/api/v1/payments/reconciliation");
    panel.hidden = false;
    replace(el("payments"), data.items.length ? data.items.map((it) => reconciliationItem(it, () => loadPayments(staffMember)))
      : h("li", { class: "empty" }, bi("Không có khoản nào cần đối soát", "Nothing to reconcile")));
  } catch (e) {
    panel.hidden = true; // the payments module is off, or this role may not see it
  }
}

// --- devices ------------------------------------------------------------------------------

function isResponding(d) {
  if (!d.last_seen_at) return false;
  const limitS = (d.heartbeat_s || DEFAULT_HEARTBEAT_S) * MISSED_BEATS;
  const quietS = (serverNow() - Date.parse(d.last_seen_at)) / 1000;
  // The server's word counts until the page's own clock says the kiosk went quiet since.
  return d.responding !== false && quietS < limitS;
}

function troubles(d) {
  const out = [];
  if (!isResponding(d)) out.push("silent");
  if (d.printer_status && TROUBLE[d.printer_status]) out.push(d.printer_status);
  return out;
}

function renderBanner(items) {
  const problems = [];
  for (const d of items) {
    for (const kind of troubles(d)) {
      const [tone, vi, en, doVi, doEn] = TROUBLE[kind];
      problems.push(h("li", { class: "device-problem " + tone, dataset: { device: d.name, trouble: kind } },
        h("strong", { text: d.name }), ": ", bi(vi, en),
        h("div", { class: "device-todo" }, h("span", { class: "todo-label" }, bi("Cần làm", "To do"), ": "), bi(doVi, doEn))));
    }
  }
  const banner = el("device-banner");
  banner.hidden = !problems.length;
  banner.classList.toggle("warn-only", problems.length > 0 && problems.every((p) => p.classList.contains("warn")));
  replace(el("device-problems"), problems);
}

function renderDevices() {
  const items = [...state.devices.values()].filter((d) => !d.revoked);
  renderBanner(items);
  if (!items.length) {
    replace(el("devices"), h("li", { class: "empty" }, bi("Chưa có ki-ốt nào", "No kiosks registered")));
    return;
  }
  replace(el("devices"), items.sort((a, b) => a.name.localeCompare(b.name)).map((d) => {
    const silent = !isResponding(d);
    const [vi, en, tone] = PRINTER[d.printer_status] || ["Chưa rõ", "Unknown", "muted"];
    return h("li", { dataset: { device: d.name } },
      h("span", { class: "strong", text: d.name }),
      silent ? h("span", { class: "badge bad" }, bi("Không phản hồi", "Not responding")) : h("span", { class: "badge ok" }, bi("Hoạt động", "Online")),
      h("span", { class: "badge " + tone }, bi("Máy in: " + vi, "Printer: " + en)),
      h("span", { class: "empty" }, bi("Lần cuối " + clock(d.last_seen_at), "Last seen " + clock(d.last_seen_at))));
  }));
}

async function loadDevices() {
  try {
    const data = await get("/api/v1/devices");
    state.devices.clear();
    for (const d of data.devices) state.devices.set(d.name, d);
    renderDevices();
  } catch (e) {
    replace(el("devices"), h("li", { class: "empty" }, bi("Không tải được danh sách", "Could not load the list")));
  }
}

// --- wiring -------------------------------------------------------------------------------

function renderAll() {
  renderQueues();
  renderPoints();
  renderAlerts();
}

let listTimer = null;
function reloadListsSoon() {
  // A burst of new tickets is one reload, not one per ticket.
  clearTimeout(listTimer);
  listTimer = setTimeout(() => { loadBhyt(); loadHis(); }, 1500);
}

async function main() {
  const staff = await startStaffPage("overview");
  if (!seesEverything(staff)) {
    // Room and cashier staff work at their own points: send them there.
    if (staff.service_points.length) location.replace("/staff/points/" + encodeURIComponent(staff.service_points[0]));
    else replace(el("page-error"), bi("Tài khoản chưa được giao quầy/phòng nào: hãy báo quản trị viên",
      "This account has no counter or room yet: ask an administrator"));
    return;
  }
  el("search-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const number = el("search-number").value.trim();
    if (!number) return;
    showError(null);
    try { await runSearch(number); } catch (e) { showError(e); }
  });
  el("refresh-lists").addEventListener("click", () => { loadBhyt(); loadHis(); loadPayments(staff); loadDevices(); });

  const refetch = async () => {
    try {
      mergeQueues(await get("/api/v1/queues"), true);
      renderAll();
    } catch (e) { showError(e); }
    loadBhyt(); loadHis(); loadPayments(staff); loadDevices();
    if (state.search) runSearch(state.search.number).catch(() => {});
  };

  openStaffLive({
    onState: (s) => {
      mergeQueues(s, true);
      state.alerts.clear();
      for (const a of s.long_waits || []) state.alerts.set(a.ticket_id, a);
      renderAll();
      // After a reconnect the lists may be stale too.
      loadBhyt(); loadHis(); loadPayments(staff); loadDevices();
      if (state.search) runSearch(state.search.number).catch(() => {});
    },
    onGap: refetch,
    events: {
      "queue.updated": (q) => { mergeQueues(q, false); renderQueues(); renderPoints(); },
      "ticket.updated": (t) => {
        if (t.status !== "waiting" && state.alerts.delete(t.id)) { renderAlerts(); renderQueues(); }
        updateSearchFrom(t);
        if (t.action === "issue") reloadListsSoon();
      },
      "alert": (a) => {
        if (a.type === "long_wait" && a.ticket_id) { state.alerts.set(a.ticket_id, a); renderAlerts(); renderQueues(); }
        // A BHXH answer arrived for a pending card: the flagged list has changed.
        else if (a.type === "bhyt_checked") reloadListsSoon();
        else if (a.type === "bhxh_configuration") { state.system.unshift(a); state.system.length = Math.min(state.system.length, 3); renderAlerts(); }
      },
      "device.updated": (d) => {
        const prev = state.devices.get(d.device) || { name: d.device, kind: "kiosk", revoked: false };
        state.devices.set(d.device, { ...prev, printer_status: d.printer_status, app_version: d.app_version,
          last_seen_at: d.last_seen_at, responding: d.responding, heartbeat_s: d.heartbeat_s || prev.heartbeat_s });
        renderDevices();
      },
    },
  });
  // Relative times ("waited 12 min", "not responding") age on screen without asking the server.
  setInterval(renderQueues, 30000);
  // Kiosk silence is judged against a heartbeat of seconds: look often (cheap, no request).
  setInterval(renderDevices, 5000);
}

main();
