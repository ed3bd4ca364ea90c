// The cashier's desk: today's unpaid invoices (GET /api/v1/cashier/pending, oldest first) and, on
// each, cash or the card terminal with the printed receipt's number (POST /api/v1/invoices/{id}/cash).
// Only cashier and admin accounts get here; the API refuses everyone else as well.

import { get, post } from "./api.js";
import { bi, h, replace } from "./dom.js";
import { clock, minutesSince, vnd } from "./format.js";
import { reconciliationItem } from "./reconcile.js";
import { openStaffLive, showError, startStaffPage } from "./staff.js";

const el = (id) => document.getElementById(id);
const REFRESH_MS = 20_000;

const STATE = {
  pending: ["Chờ thanh toán", "Waiting to pay", "muted"],
  at_cashier: ["Đến quầy thu ngân", "Sent to the cashier", "warn"],
  expired: ["Mã QR đã hết hạn", "QR code expired", "bad"],
};

function stateOf(item) {
  const [vi, en, tone] = item.at_cashier ? STATE.at_cashier : (STATE[item.status] || STATE.pending);
  return h("span", { class: "badge " + tone }, bi(vi, en));
}

function payForm(item) {
  const id = item.invoice_id;
  const number = item.ticket_number || item.reference;
  const method = h("select", { name: "method", id: `method-${id}`, "aria-label": `Hình thức / Method ${number}` },
    h("option", { value: "cash", text: "Tiền mặt / Cash" }),
    h("option", { value: "card", text: "Thẻ (máy POS) / Card terminal" }));
  const receipt = h("input", { name: "receipt_no", id: `receipt-${id}`, required: true, maxlength: "32",
    autocomplete: "off", spellcheck: "false", placeholder: "BL-000123",
    "aria-label": `Số biên lai / Receipt number ${number}` });
  const button = h("button", { type: "submit", class: "btn small" }, bi("Đã thu", "Record payment"));
  const form = h("form", { class: "pay-form", dataset: { invoice: id } }, method, receipt, button);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError(null);
    button.disabled = true;
    try {
      const invoice = await post(`/api/v1/invoices/${encodeURIComponent(id)}/cash`,
        { method: method.value, receipt_no: receipt.value });
      const r = invoice.receipt;
      replace(el("cashier-done"), bi(
        `Đã thu ${vnd(r.amount)} của số ${number} — biên lai ${r.number}`,
        `Took ${vnd(r.amount)} for ${number} — receipt ${r.number}`));
      await load();
    } catch (e) {
      showError(e);
      button.disabled = false;
      receipt.focus();
    }
  });
  return form;
}

function row(item) {
  const svc = item.service;
  const waited = minutesSince(item.since);
  return h("tr", { dataset: { invoice: item.invoice_id } },
    h("td", { class: "num" }, item.ticket_number || "—"),
    h("td", {}, svc ? bi(svc.name_vi, svc.name_en) : bi(item.description, "")),
    h("td", {}, item.name_masked || h("span", { class: "soft" }, bi("Không rõ tên", "No name"))),
    h("td", { class: "money" }, vnd(item.amount)),
    h("td", {}, clock(item.since), " ", h("span", { class: "soft" }, bi(`(${waited} phút)`, `(${waited} min)`))),
    h("td", {}, stateOf(item)),
    h("td", {}, payForm(item)));
}

async function loadReconciliation() {
  const data = await get("/api/v1/payments/reconciliation");
  replace(el("reconcile"), data.items.length ? data.items.map((it) => reconciliationItem(it, loadSoon))
    : h("li", { class: "empty" }, bi("Không có khoản nào cần đối soát", "Nothing to reconcile")));
}

async function load() {
  loadReconciliation().catch(showError);
  try {
    const data = await get("/api/v1/cashier/pending");
    replace(el("pending-body"), data.items.map(row));
    el("pending-empty").hidden = data.items.length > 0;
    replace(el("pending-at"), bi(`Cập nhật lúc ${clock(new Date().toISOString())}`, ""));
  } catch (e) {
    showError(e);
  }
}

// A form being filled in is never replaced under the cashier's fingers.
const typing = () => document.activeElement && document.activeElement.closest("form.pay-form, .exc-note");
let soon = null;
function loadSoon() {
  clearTimeout(soon);
  soon = setTimeout(() => { if (!typing()) load(); }, 500);
}

async function main() {
  await startStaffPage("cashier");
  el("pending-refresh").addEventListener("click", load);
  await load();
  // Tickets issued, cancelled or paid move the list: read it again (events carry deltas only).
  openStaffLive({ onState: loadSoon, onGap: loadSoon, events: { "ticket.updated": loadSoon, "queue.updated": loadSoon } });
  setInterval(() => { if (!typing()) load(); }, REFRESH_MS);
}

main();
