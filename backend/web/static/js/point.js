// One counter or exam room: the patient being served, the buttons (and keys) that move the queue,
// the waiting list. Actions are REST calls; what the page shows changes only when the matching
// Socket.IO event arrives, so two clerks at one point always see the same thing.

import { errorText, get, post } from "./api.js";
import { bi, h, replace } from "./dom.js";
import { clock, minutesSince, noteServerTime, STATUS } from "./format.js";
import { loadServices, openStaffLive, priorityActions, priorityBadge, seesEverything, showError, startStaffPage } from "./staff.js";
import { applyWaiting } from "./waiting.js";
import { showCurrentPatient } from "./current-patient.js";
import { reconciliationItem } from "./reconcile.js";

const CODE = document.body.dataset.point;
const el = (id) => document.getElementById(id);

const state = {
  staff: null,
  allowed: false,
  point: null, // service point row of /api/v1/queues
  details: new Map(), // ticket id → latest staff ticket.updated / ticket JSON
  lastDone: null, // the patient just finished here: may still be sent on (transfer)
  waiting: new Map(), // service code → tickets in call order
  skipped: [],
  services: [], // every service (transfer targets)
  lastNoShow: null, // {id, display_number}: the no-show just made here, offered back (re-queue)
  confirming: null, // {id, display_number}: "next" pressed over a patient only called
};

function serviceCodes() {
  return state.point ? state.point.services : [];
}

function current() {
  const c = state.point && state.point.current;
  if (!c) return null;
  return { ...c, ...(state.details.get(c.id) || {}) };
}

function say(vi, en, isError = false) {
  const msg = el("action-msg");
  msg.classList.toggle("error", isError);
  replace(msg, bi(vi, en));
}

// --- rendering ------------------------------------------------------------------------------

function renderCurrent() {
  const t = current();
  const num = el("current-number");
  if (t) {
    num.className = "big";
    num.textContent = t.display_number;
  } else {
    num.className = "big none";
    replace(num, bi("Chưa mời ai", "Nobody called"));
  }
  const facts = [];
  if (t) {
    const [vi, en, tone] = STATUS[t.status] || [t.status, t.status, "muted"];
    facts.push(h("div", {}, h("span", { class: "badge " + tone, id: "current-status", dataset: { status: t.status } }, bi(vi, en)),
      " ", priorityBadge(t.priority)));
    if (state.allowed) {
      const decide = priorityActions(t, (r) => say(`Đã cập nhật ưu tiên: ${r.display_number}`, `Priority updated: ${r.display_number}`));
      if (decide.length) facts.push(h("div", { class: "priority-actions" }, decide));
    }
    const svc = state.services.find((s) => s.code === (t.service && t.service.code));
    if (svc) facts.push(h("div", {}, bi(svc.name_vi, svc.name_en)));
    facts.push(h("div", {}, bi("Mời lúc " + clock(t.called_at), "Called at " + clock(t.called_at)),
      t.recall_count ? bi(` · đã gọi lại ${t.recall_count} lần`, `recalled ${t.recall_count}×`) : null));
  }
  replace(el("current-facts"), facts);

  const s = t && t.status;
  renderWho(t);
  el("btn-recall").disabled = s !== "called";
  el("btn-start").disabled = s !== "called";
  // Only a patient being served can be finished: one only called comes in (Start) or is a no-show.
  el("btn-finish").disabled = s !== "serving";
  el("btn-skip").disabled = s !== "called";
  renderConfirm();
  renderOutcome();
  renderTransfer();
}

function renderConfirm() {
  const box = el("confirm-next");
  const c = state.confirming;
  const t = current();
  const known = c && (t && t.id === c.id ? t : state.details.get(c.id));
  if (known && known.status !== "called") state.confirming = null; // moved on meanwhile
  box.hidden = !state.confirming;
  if (!state.confirming) return;
  const n = state.confirming.display_number;
  replace(el("confirm-next-text"), bi(
    `Số ${n} đã được mời nhưng chưa vào. Người bệnh đã đến thì bấm Bắt đầu; không đến thì đánh dấu vắng mặt rồi gọi số tiếp.`,
    `${n} was called but has not come in. Press Start if they are here; otherwise mark a no-show and call the next one.`));
}

function renderOutcome() {
  const box = el("outcome");
  const n = state.lastNoShow;
  const t = n && state.details.get(n.id);
  if (!n || (t && t.status !== "skipped")) {
    box.hidden = true;
    replace(box);
    return;
  }
  box.hidden = false;
  const allowed = !t || t.requeue_allowed !== false;
  replace(box, bi(`Số ${n.display_number}: vắng mặt.`, `${n.display_number}: no-show.`),
    allowed ? h("button", { type: "button", class: "btn small secondary", id: "btn-undo-noshow",
      onclick: () => requeue(n) }, bi(`Hoàn tác: xếp lại ${n.display_number}`, `Undo: requeue ${n.display_number}`))
      : h("span", { class: "empty" }, bi("Đã xếp lại một lần, không thể xếp lại nữa", "Already re-queued once: no more re-queues")));
}

function requeue(t) {
  run("requeue:" + t.id, () => post(`/api/v1/tickets/${encodeURIComponent(t.id)}/requeue`), () => {
    if (state.lastNoShow && state.lastNoShow.id === t.id) state.lastNoShow = null;
    renderOutcome();
    say(`Đã xếp lại ${t.display_number} vào hàng chờ`, `${t.display_number} is back in the queue`);
  });
}

// Who walked in: asked once per called ticket (each read is audited) and again when its payment
// or status changes; only this point's own staff may see it.
let whoKey = null;
function renderWho(t) {
  const box = el("current-who");
  const own = state.staff && state.staff.service_points.includes(CODE);
  const key = t && own ? [t.id, t.status, t.paid].join("|") : null;
  if (key === whoKey) return;
  whoKey = key;
  if (!key) { box.hidden = true; return; }
  showCurrentPatient(box, CODE);
}

function transferSource() {
  const t = current();
  if (t && t.status === "serving") return t;
  if (!t && state.lastDone) return state.lastDone;
  return null;
}

function renderTransfer() {
  const source = transferSource();
  el("transfer-which").textContent = source ? source.display_number : "";
  el("btn-transfer").disabled = !source || !el("transfer-target").value;
}

function renderTransferTargets() {
  const groups = [
    ["Cận lâm sàng", "Diagnostics", ["lab", "imaging"]],
    ["Nhà thuốc, thu ngân", "Pharmacy, cashier", ["pharmacy", "cashier"]],
    ["Phòng khám", "Clinics", ["clinic"]],
    ["Tiếp đón", "Reception", ["reception"]],
  ];
  const select = el("transfer-target");
  const options = [h("option", { value: "" }, "— Chọn nơi chuyển / Choose —")];
  for (const [vi, en, kinds] of groups) {
    const members = state.services.filter((s) => kinds.includes(s.kind) && !serviceCodes().includes(s.code));
    if (!members.length) continue;
    options.push(h("optgroup", { label: `${vi} / ${en}` },
      members.map((s) => h("option", { value: s.code }, `${s.name_vi} / ${s.name_en}`))));
  }
  replace(select, options);
}

function renderWaiting() {
  const blocks = [];
  let total = 0;
  for (const code of serviceCodes()) {
    const list = state.waiting.get(code) || [];
    total += list.length;
    const svc = state.services.find((s) => s.code === code);
    if (serviceCodes().length > 1) blocks.push(h("h3", {}, svc ? bi(svc.name_vi, svc.name_en) : code));
    blocks.push(list.length
      ? h("ol", { class: "waiting-list", dataset: { service: code } }, list.map((t) => h("li", { dataset: { ticket: t.id } },
        h("span", { class: "tnum", text: t.display_number }),
        priorityBadge(t.priority),
        t.payment_required && !t.paid ? h("span", { class: "badge warn" }, bi("Chưa thanh toán", "Unpaid")) : null,
        h("span", { class: "empty" }, bi(`chờ ${minutesSince(t.issued_at)} phút`, `waiting ${minutesSince(t.issued_at)} min`)))))
      : h("p", { class: "empty" }, bi("Không có ai đang chờ", "Nobody is waiting")));
  }
  el("waiting-count").textContent = String(total);
  replace(el("waiting"), blocks);
}

function renderSkipped() {
  const list = el("skipped");
  if (!state.skipped.length) {
    replace(list, h("li", { class: "empty" }, bi("Không có", "None")));
    return;
  }
  replace(list, state.skipped.map((t) => h("li", { dataset: { ticket: t.id } },
    h("span", { class: "strong", text: t.display_number }),
    h("span", { class: "empty" }, bi("gọi lúc " + clock(t.called_at), "called " + clock(t.called_at))),
    state.allowed && t.requeue_allowed !== false ? h("button", {
      type: "button", class: "btn small secondary", onclick: () => requeue(t),
    }, bi(`Xếp lại ${t.display_number}`, `Requeue ${t.display_number}`)) : null)));
}

// --- data ----------------------------------------------------------------------------------

function takePoint(rows, at) {
  noteServerTime(at);
  const row = (rows || []).find((r) => r.service_point.code === CODE);
  if (row) state.point = row;
}

async function loadLists() {
  if (!state.allowed) return;
  try {
    for (const code of serviceCodes()) {
      const data = await get(`/api/v1/tickets?service=${encodeURIComponent(code)}&status=waiting`);
      state.waiting.set(code, data.tickets);
    }
    const skipped = [];
    for (const code of serviceCodes()) {
      const data = await get(`/api/v1/tickets?service=${encodeURIComponent(code)}&status=skipped`);
      skipped.push(...data.tickets.filter((t) => !t.service_point || t.service_point.code === CODE));
    }
    state.skipped = skipped;
  } catch (e) {
    showError(e);
  }
  renderWaiting();
  renderSkipped();
}

function onTicket(t) {
  if (!serviceCodes().includes(t.service.code) && !(t.service_point && t.service_point.code === CODE)) return;
  state.details.set(t.id, t);
  if (serviceCodes().includes(t.service.code)) {
    state.waiting.set(t.service.code, applyWaiting(state.waiting.get(t.service.code) || [], t));
    state.skipped = state.skipped.filter((x) => x.id !== t.id);
    if (t.status === "skipped" && t.service_point && t.service_point.code === CODE) state.skipped.push(t);
    renderWaiting();
    renderSkipped();
  }
  if (t.status === "skipped" && t.service_point && t.service_point.code === CODE) {
    state.lastNoShow = { id: t.id, display_number: t.display_number };
  }
  if (t.service_point && t.service_point.code === CODE) {
    if (t.status === "done") state.lastDone = t;
    else if (t.status === "called" || t.status === "serving") state.lastDone = null;
    // The queue row follows in queue.updated; until then the event itself is the news.
    if (state.point && (t.status === "called" || t.status === "serving")) {
      state.point.current = { id: t.id, display_number: t.display_number, status: t.status, service: { code: t.service.code }, called_at: t.called_at, priority: t.priority };
    } else if (state.point && state.point.current && state.point.current.id === t.id) {
      state.point.current = null;
    }
    renderCurrent();
  }
}

// --- actions -------------------------------------------------------------------------------

// Actions run one after another in the order pressed (F then N: finish, then call), but the same
// action pressed again while it is still on its way is dropped: a double press of "call next"
// must not call two patients.
let chain = Promise.resolve();
const pending = new Set();

function run(name, call, done, refused = () => false) {
  if (pending.has(name)) return chain;
  pending.add(name);
  showError(null);
  chain = chain.then(async () => {
    try {
      done(await call());
    } catch (e) {
      if (refused(e)) return;
      const [vi, en] = errorText(e);
      say(vi, en, true);
      if (e.status === 401) showError(e);
    } finally {
      pending.delete(name);
    }
  });
  return chain;
}

function act(action) {
  const t = current();
  if (!t) return;
  const words = {
    recall: ["Đã gọi lại", "Recalled"], start: ["Đang khám", "Started"],
    finish: ["Đã xong", "Finished"], skip: ["Đã đánh dấu vắng mặt", "Marked no-show"],
  }[action];
  state.confirming = null;
  run(action, () => post(`/api/v1/tickets/${encodeURIComponent(t.id)}/${action}`), (r) => {
    if (action === "skip") state.lastNoShow = { id: r.id, display_number: r.display_number };
    say(`${words[0]}: ${r.display_number}`, `${words[1]}: ${r.display_number}`);
    renderCurrent();
  });
}

// "Next" closes the point's patient: one being served is finished; one only called is never
// finished — the page asks (and the API refuses with CURRENT_NOT_SERVED) until staff say they are
// a no-show. A second N a moment after the first therefore only opens the question.
function callNext(noShow = false) {
  const t = current();
  if (!noShow && t && t.status === "called") {
    state.confirming = { id: t.id, display_number: t.display_number };
    renderCurrent();
    el("btn-confirm-back").focus();
    return chain;
  }
  const closing = noShow ? (state.confirming || (t ? { id: t.id, display_number: t.display_number } : null)) : null;
  state.confirming = null;
  renderCurrent();
  return run("next", () => post(`/api/v1/service-points/${encodeURIComponent(CODE)}/call-next`,
    noShow ? { current: "no_show" } : undefined), (r) => {
    if (closing) state.lastNoShow = closing;
    const before = closing ? [`${closing.display_number} vắng mặt · `, `${closing.display_number} no-show · `] : ["", ""];
    if (r === null) say(`${before[0]}Không còn ai đang chờ`, `${before[1]}Nobody is waiting`);
    else say(`${before[0]}Đã mời số ${r.display_number}`, `${before[1]}Called ${r.display_number}`);
    renderCurrent();
  }, (e) => {
    if (e.code !== "CURRENT_NOT_SERVED") return false;
    // Another clerk's call, or a page behind the events: ask about the patient the API named.
    state.confirming = { id: e.problem.ticket_id, display_number: e.problem.display_number };
    renderCurrent();
    return true;
  });
}

function transfer(ev) {
  ev.preventDefault();
  const source = transferSource();
  const target = el("transfer-target").value;
  if (!source || !target) return;
  run("transfer", () => post(`/api/v1/tickets/${encodeURIComponent(source.id)}/transfer`, { service_code: target }), (r) => {
    state.lastDone = null;
    el("transfer-target").value = "";
    renderTransfer();
    say(`Đã chuyển ${r.from_ticket.display_number} → số mới ${r.ticket.display_number} (${r.ticket.service.name_vi})`,
      `Sent on: new ticket ${r.ticket.display_number} (${r.ticket.service.name_en})`);
  });
}

function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
  const tag = (ev.target && ev.target.tagName) || "";
  if (["INPUT", "SELECT", "TEXTAREA"].includes(tag) || (ev.target && ev.target.isContentEditable)) return;
  const key = ev.key.toLowerCase();
  if (key === "escape" && state.confirming) {
    ev.preventDefault();
    state.confirming = null;
    renderCurrent();
    return;
  }
  if (key === "t") {
    // Sending a patient on needs a destination: the key opens the choice instead of guessing one.
    if (!el("transfer-form").hidden) { ev.preventDefault(); el("transfer-target").focus(); }
    return;
  }
  const button = document.querySelector(`#actions button[data-key="${key}"]`);
  if (button && !button.disabled && !el("actions").hidden) {
    ev.preventDefault();
    button.click();
  }
}

// --- payments (cashier desks) ---------------------------------------------------------------

async function loadPayments() {
  const panel = el("payments-panel");
  const cashierDesk = state.services.some((s) => s.kind === "cashier" && serviceCodes().includes(s.code));
  if (!cashierDesk || !["cashier", "admin"].includes(state.staff.role)) return;
  try {
    const data = await get("/api/v1/payments/reconciliation");
    panel.hidden = false;
    // Each item says what it means and resolves here (apply / returned / dismiss with a note).
    replace(el("payments"), data.items.length ? data.items.map((it) => reconciliationItem(it, loadPayments))
      : h("li", { class: "empty" }, bi("Không có khoản nào cần đối soát", "Nothing to reconcile")));
  } catch (e) {
    panel.hidden = true;
  }
}

// --- start ---------------------------------------------------------------------------------

function renderHead(allPoints) {
  const p = state.point && state.point.service_point;
  replace(el("point-title"), p ? bi(p.name_vi, p.name_en) : CODE);
  document.title = `${p ? p.name_vi : CODE} — Tiếp Đón`;
  const names = serviceCodes().map((code) => state.services.find((s) => s.code === code)).filter(Boolean);
  replace(el("point-services"), names.map((s, i) => [i ? ", " : "", bi(s.name_vi, s.name_en)]));
  const choices = seesEverything(state.staff) ? allPoints : allPoints.filter((r) => state.staff.service_points.includes(r.service_point.code));
  if (choices.length > 1) {
    const select = h("select", { id: "point-select", onchange: (e) => location.assign("/staff/points/" + encodeURIComponent(e.target.value)) },
      choices.map((r) => h("option", { value: r.service_point.code, selected: r.service_point.code === CODE }, `${r.service_point.name_vi} / ${r.service_point.name_en}`)));
    replace(el("point-switch"), h("label", { for: "point-select" }, bi("Đổi quầy/phòng", "Switch point"), " "), select);
  }
}

async function main() {
  const staff0 = await startStaffPage("points");
  state.staff = staff0;
  state.allowed = seesEverything(staff0) || staff0.service_points.includes(CODE);
  if (!seesEverything(staff0)) {
    const link = document.querySelector(`#nav a[href="/staff/points/${CSS.escape(CODE)}"]`);
    if (link) link.setAttribute("aria-current", "page");
  }
  let all = [];
  try {
    const [queues, services] = await Promise.all([get("/api/v1/queues"), loadServices()]);
    state.services = services.services;
    all = queues.service_points;
    takePoint(all, queues.at);
  } catch (e) {
    showError(e);
  }
  renderHead(all);
  if (!state.allowed) {
    // The API refuses these actions for this account anyway; the page does not offer them.
    el("not-assigned").hidden = false;
    renderCurrent();
    return;
  }
  el("actions").hidden = false;
  el("transfer-form").hidden = false;
  el("shortcuts").hidden = false;
  renderTransferTargets();
  renderCurrent();
  el("btn-next").addEventListener("click", () => callNext());
  el("btn-confirm-start").addEventListener("click", () => act("start"));
  el("btn-confirm-noshow").addEventListener("click", () => callNext(true));
  el("btn-confirm-back").addEventListener("click", () => { state.confirming = null; renderCurrent(); el("btn-next").focus(); });
  for (const action of ["recall", "start", "finish", "skip"]) el("btn-" + action).addEventListener("click", () => act(action));
  el("transfer-form").addEventListener("submit", transfer);
  el("transfer-target").addEventListener("change", renderTransfer);
  document.addEventListener("keydown", onKey);
  loadPayments();

  const refetch = async () => {
    try {
      const q = await get("/api/v1/queues");
      takePoint(q.service_points, q.at);
      renderCurrent();
    } catch (e) { showError(e); }
    loadLists();
  };
  openStaffLive({
    onState: (s) => {
      takePoint(s.service_points, s.at);
      renderCurrent();
      loadLists();
    },
    onGap: refetch,
    events: {
      "queue.updated": (q) => { takePoint(q.service_points, q.at); renderCurrent(); },
      "ticket.updated": onTicket,
    },
  });
  setInterval(renderWaiting, 30000);
}

main();
