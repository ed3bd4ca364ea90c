// What the QR on a printed ticket opens: the patient's place in the queue, live, and the room when
// they are called; the fee with its bank QR while unpaid. The ticket id is in the path and its
// track token in ?token=; the /patient namespace checks the token and sends ticket.updated.
// When staff send the patient on (a transfer), the same link follows the visit: the old ticket's
// event names its replacement, the page reconnects with the same link and the server puts it on
// the visit's current ticket; REST calls then use that ticket's own id and token.

import { ApiError, get, post } from "./api.js";
import { h, replace } from "./dom.js";
import { clock, stamp, vnd } from "./format.js";
import { openLive } from "./live.js";

const TICKET = document.body.dataset.ticket;
const TOKEN = new URLSearchParams(location.search).get("token") || "";
// The ticket this page follows now: the link's, until a transfer gives the visit a new one.
const follow = { id: TICKET, token: TOKEN };
const el = (id) => document.getElementById(id);

const TEXT = {
  your_number: ["Số của bạn", "Your number"],
  loading: ["Đang tải…", "Loading…"],
  position: ["Vị trí", "Position"],
  ahead: ["Trước bạn", "Ahead of you"],
  wait: ["Chờ khoảng", "About"],
  minutes: ["{n} phút", "{n} min"],
  people: ["{n} người", "{n} people"],
  where: ["Nơi khám", "Where to go"],
  payment: ["Thanh toán", "Payment"],
  bank: ["Ngân hàng", "Bank"],
  account: ["Số tài khoản", "Account"],
  reference: ["Nội dung chuyển khoản", "Transfer note"],
  leave: ["Rời hàng chờ", "Leave the queue"],
  leave_confirm: ["Bạn chắc chắn muốn rời hàng chờ? Số này sẽ bị huỷ.", "Leave the queue? This ticket will be cancelled."],
  waiting: ["Đang chờ đến lượt", "Waiting for your turn"],
  waiting_sub: ["Trang này tự cập nhật, bạn không cần tải lại.", "This page updates by itself: no need to reload."],
  called: ["Mời bạn đến {room}", "Please go to {room} now"],
  called_sub: ["Đến lượt của bạn!", "It is your turn!"],
  serving: ["Bạn đang được phục vụ tại {room}", "You are being seen at {room}"],
  done: ["Đã hoàn tất. Cảm ơn bạn!", "All done. Thank you!"],
  done_sub: ["Nếu bạn được chuyển tiếp, hãy theo số mới trên phiếu hoặc hỏi nhân viên.", "If you were sent on, follow the new ticket or ask the staff."],
  skipped: ["Bạn đã bị qua lượt vì vắng mặt", "Your turn passed while you were away"],
  skipped_sub: ["Vui lòng đến quầy tiếp đón để được xếp lại.", "Please ask at the reception desk to be put back in the queue."],
  cancelled: ["Số này đã bị huỷ", "This ticket was cancelled"],
  not_found: ["Không tìm thấy số thứ tự này", "This ticket could not be found"],
  not_found_sub: ["Hãy quét lại mã QR trên phiếu.", "Please scan the QR code on your ticket again."],
  pay_due: ["Vui lòng thanh toán trước khi vào khám", "Please pay before your consultation"],
  pay_scan: ["Chuyển khoản đúng số tiền và giữ nguyên nội dung chuyển khoản.", "Transfer the exact amount and keep the transfer note unchanged."],
  pay_vnpay: ["Thanh toán qua VNPay", "Pay with VNPay"],
  pay_vnpay_failed: ["Chưa mở được VNPay, hãy thử lại hoặc chuyển khoản.", "Could not open VNPay: try again or make a bank transfer."],
  pay_or: ["hoặc chuyển khoản từ ứng dụng ngân hàng:", "or transfer from your banking app:"],
  amount: ["Số tiền", "Amount"],
  copy: ["Sao chép", "Copy"],
  copied: ["Đã sao chép {what}", "Copied: {what}"],
  copy_failed: ["Không sao chép được, hãy chép tay.", "Could not copy: please write it down."],
  qr_other: ["Mã QR (để quét bằng điện thoại khác)", "QR code (to scan with another phone)"],
  pay_cashier: ["Vui lòng thanh toán tại quầy thu ngân.", "Please pay at the cashier desk."],
  paid: ["Đã thanh toán ✓", "Paid ✓"],
  receipt_no: ["Số biên lai", "Receipt no."],
  receipt_amount: ["Số tiền", "Amount"],
  receipt_method: ["Hình thức", "Paid by"],
  receipt_ref: ["Mã giao dịch", "Reference"],
  receipt_time: ["Thời gian", "Time"],
  method_vnpay: ["VNPAY", "VNPAY"],
  method_vietqr: ["Chuyển khoản ngân hàng (VietQR)", "Bank transfer (VietQR)"],
  method_cash: ["Tiền mặt tại quầy thu ngân", "Cash at the cashier"],
  method_card: ["Thẻ tại quầy thu ngân", "Card at the cashier"],
  method_manual: ["Thu ngân ghi nhận", "Recorded by the cashier"],
  pay_at_desk: ["Vui lòng thanh toán tại {where}.", "Please pay at {where}."],
  expired: ["Mã thanh toán đã hết hạn, vui lòng hỏi quầy thu ngân.", "The payment code has expired: please ask the cashier."],
  qr_alt: ["Mã QR chuyển khoản {amount}", "Bank transfer QR code for {amount}"],
  updated: ["Cập nhật lúc {t}", "Updated {t}"],
  live: ["Trực tuyến", "Live"],
  connecting: ["Đang kết nối…", "Connecting…"],
  offline: ["Mất kết nối – đang thử lại", "Offline – retrying"],
  refused: ["", ""],
  toggle: ["English", "Tiếng Việt"],
  moved: ["Bạn đã được chuyển tiếp. Số mới của bạn: {number}", "You have been sent on. Your new number: {number}"],
  moved_sub: ["Số cũ {old} không còn dùng. Trang này theo số mới, bạn không cần quét lại.", "The old number {old} is no longer used. This page follows the new one: no need to scan again."],
  moving: ["Bạn đã được chuyển tiếp sang {service}: số mới {number}. Đang tải…", "You have been sent on to {service}: new number {number}. Loading…"],
};

let lang = localStorage.getItem("tiepdon.lang") === "en" ? "en" : "vi";
let ticket = null;
let liveState = "connecting";
let updatedAt = null;
let refused = false;
let hospital = null;
let live = null;
let moved = null; // {from: old display number, to: new display number, service?: {vi, en}}
const followedTo = new Set(); // replacements already followed: one reconnect each
const vietqr = new Map(); // invoice id → VietQR details, or null when not offered
let methods = []; // GET /services payment_methods: what this hospital takes now

function t(key, vars = {}) {
  const pair = TEXT[key];
  let s = pair ? pair[lang === "vi" ? 0 : 1] : key;
  for (const [k, v] of Object.entries(vars)) s = s.replace("{" + k + "}", v);
  return s;
}

const roomName = (sp) => (sp ? (lang === "vi" ? sp.name_vi : sp.name_en) : "");

function render() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  const toggle = el("lang-toggle");
  toggle.textContent = t("toggle");
  toggle.lang = lang === "vi" ? "en" : "vi";
  toggle.setAttribute("aria-label", lang === "vi" ? "Switch to English" : "Chuyển sang tiếng Việt");
  if (hospital) el("hospital").textContent = lang === "vi" ? hospital.name_vi : hospital.name_en;
  const status = el("status");
  const live = el("live-status");
  live.dataset.state = liveState;
  live.textContent = t(liveState);
  // A ticket that does not exist is not a connection problem: say only that it was not found.
  el("live-line").hidden = refused || liveState === "refused";
  el("updated").textContent = updatedAt ? t("updated", { t: clock(updatedAt) }) : "";
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.setAttribute("aria-label", `${t("copy")}: ${button.closest("div").querySelector("dt").textContent}`);
  }
  // No ticket: no empty number card (a big dash reads as a bar), only the words.
  document.querySelector(".ticket-card").hidden = refused;
  if (refused) {
    status.dataset.status = "error";
    el("status-main").textContent = t("not_found");
    el("status-sub").textContent = t("not_found_sub");
    return;
  }
  renderMoved();
  if (!ticket) return;
  el("number").textContent = ticket.display_number;
  const svc = ticket.service;
  el("service").textContent = svc ? (lang === "vi" ? svc.name_vi : svc.name_en) : "";
  status.dataset.status = ticket.status;
  const room = roomName(ticket.service_point);
  const main = { waiting: "waiting", called: "called", serving: "serving", done: "done", skipped: "skipped", cancelled: "cancelled" }[ticket.status] || "waiting";
  el("status-main").textContent = t(main, { room });
  el("status-sub").textContent = TEXT[main + "_sub"] ? t(main + "_sub") : "";
  const waiting = ticket.status === "waiting";
  el("facts").hidden = !waiting;
  if (waiting) {
    el("position").textContent = ticket.position ?? "—";
    el("ahead").textContent = ticket.people_ahead === null || ticket.people_ahead === undefined ? "—" : t("people", { n: ticket.people_ahead });
    el("wait").textContent = ticket.estimated_wait_min === null || ticket.estimated_wait_min === undefined ? "—" : t("minutes", { n: ticket.estimated_wait_min });
  }
  const where = el("where");
  where.hidden = !(svc && (svc.room_vi || ticket.service_point)) || ["done", "cancelled"].includes(ticket.status);
  if (svc) {
    el("where-room").textContent = ticket.service_point ? room : (lang === "vi" ? svc.room_vi : svc.room_en);
    el("where-directions").textContent = lang === "vi" ? svc.directions_vi : svc.directions_en;
  }
  el("leave").hidden = !waiting;
  renderInvoice();
  document.title = (ticket.status === "called" ? "🔔 " : "") + `${ticket.display_number} — Tiếp Đón`;
}

function renderMoved() {
  const box = el("moved");
  box.hidden = !moved;
  if (!moved) return;
  if (moved.pending) {
    const svc = moved.service ? (lang === "vi" ? moved.service.vi : moved.service.en) : "";
    el("moved-main").textContent = t("moving", { service: svc, number: moved.to });
    el("moved-sub").textContent = "";
    return;
  }
  el("moved-main").textContent = t("moved", { number: moved.to });
  el("moved-sub").textContent = t("moved_sub", { old: moved.from });
}

// A ticket that was sent on: say so at once, then reconnect with the same link; the server sends
// the visit's current ticket as the new state.
function followReplacement(old) {
  const next = old.current || old.replaced_by;
  if (!next || followedTo.has(next.id)) return false;
  followedTo.add(next.id);
  moved = { from: old.display_number, to: next.display_number || next.number, pending: true,
    service: { vi: next.service_name_vi, en: next.service_name_en } };
  render();
  if (live) live.resync();
  return true;
}

function renderInvoice() {
  const inv = ticket && ticket.invoice;
  const box = el("invoice");
  box.hidden = !inv || ["cancelled"].includes(ticket.status) || inv.status === "refunded";
  if (box.hidden) return;
  el("invoice-amount").textContent = vnd(inv.amount);
  const qr = el("invoice-qr");
  const bank = el("invoice-bank");
  const receipt = el("invoice-receipt");
  const pay = el("pay-vnpay");
  for (const node of [el("qr-other"), bank, pay, el("pay-or"), receipt]) node.hidden = true;
  if (inv.status === "paid") {
    el("invoice-state").textContent = t("paid");
    const r = inv.receipt;
    if (r) {
      receipt.hidden = false;
      el("receipt-number").textContent = r.number;
      el("receipt-amount").textContent = vnd(r.amount);
      el("receipt-method").textContent = TEXT["method_" + r.method] ? t("method_" + r.method) : r.method;
      el("receipt-ref").textContent = r.reference;
      el("receipt-time").textContent = stamp(r.paid_at);
    }
    return;
  }
  if (inv.at_cashier && inv.cashier && inv.cashier.allowed) {
    el("invoice-state").textContent = t("pay_at_desk", { where: lang === "vi" ? inv.cashier.where.vi : inv.cashier.where.en });
    return;
  }
  if (inv.status === "expired") {
    el("invoice-state").textContent = t("expired");
    return;
  }
  // On the phone itself a QR cannot be scanned: a link to VNPay, and the transfer details to copy
  // into the banking app. The QR stays, folded away, for someone paying from another phone.
  const vnpay = methods.some((m) => m.method === "vnpay");
  pay.hidden = !vnpay;
  const details = vietqr.get(inv.id);
  if (details === undefined) {
    el("invoice-state").textContent = t("pay_due");
    fetchVietQr(inv.id);
    return;
  }
  if (details === null) {
    el("invoice-state").textContent = vnpay ? t("pay_due") : t("pay_cashier");
    return;
  }
  el("invoice-state").textContent = t("pay_scan");
  el("pay-or").hidden = !vnpay;
  const src = `/api/v1/invoices/${encodeURIComponent(inv.id)}/qr.svg?provider=vietqr&token=${encodeURIComponent(follow.token)}`;
  if (qr.getAttribute("src") !== src) qr.src = src;
  qr.alt = t("qr_alt", { amount: vnd(inv.amount) });
  el("qr-other").hidden = false;
  bank.hidden = false;
  el("bank-name").textContent = details.bank_name || details.bank_bin;
  replace(el("bank-account"), details.account, details.account_name ? h("span", { class: "soft", text: details.account_name }) : null);
  el("bank-amount").textContent = vnd(details.amount ?? inv.amount);
  el("bank-ref").textContent = details.reference;
}

// What each copy button puts on the clipboard: exactly what a banking app's fields take.
function copyValue(what) {
  const inv = ticket && ticket.invoice;
  const details = inv && vietqr.get(inv.id);
  if (!details) return null;
  return { account: details.account, amount: String(details.amount ?? inv.amount), reference: details.reference }[what];
}

async function copy(what, label) {
  const value = copyValue(what);
  if (!value) return;
  let ok = false;
  try {
    await navigator.clipboard.writeText(value);
    ok = true;
  } catch (e) {
    // Older phone browsers, or a page not served over HTTPS: the select-and-copy way.
    const area = h("textarea", { class: "visually-hidden", readonly: true });
    area.value = value;
    document.body.append(area);
    area.select();
    try { ok = document.execCommand("copy"); } catch (e2) { ok = false; }
    area.remove();
  }
  el("copied").textContent = ok ? t("copied", { what: `${label} ${value}` }) : t("copy_failed");
}

async function payVnpay() {
  const inv = ticket && ticket.invoice;
  if (!inv) return;
  const button = el("pay-vnpay");
  button.disabled = true;
  try {
    // No bank chosen here: VNPay's page lets the patient pick their bank or card (a QR would
    // again need a second phone).
    const r = await post(`/api/v1/invoices/${encodeURIComponent(inv.id)}/vnpay?token=${encodeURIComponent(follow.token)}`,
      { bank_code: null, locale: lang === "en" ? "en" : "vn" });
    location.assign(r.payment_url);
  } catch (e) {
    el("copied").textContent = t("pay_vnpay_failed");
  } finally {
    button.disabled = false;
  }
}

async function fetchVietQr(invoiceId) {
  vietqr.set(invoiceId, null); // asked once; a failure means "pay at the cashier"
  try {
    const d = await post(`/api/v1/invoices/${encodeURIComponent(invoiceId)}/vietqr?token=${encodeURIComponent(follow.token)}`);
    vietqr.set(invoiceId, d);
  } catch (e) {
    vietqr.set(invoiceId, null);
  }
  render();
}

function take(update) {
  if (update && update.replaced_by && (!ticket || update.id === ticket.id) && followReplacement(update)) return;
  const before = ticket && ticket.status;
  ticket = { ...(ticket || {}), ...update };
  updatedAt = new Date().toISOString();
  if (ticket.status === "called" && before && before !== "called" && navigator.vibrate) navigator.vibrate([300, 150, 300]);
  render();
}

function takeState(s) {
  refused = false;
  if (s.replaced_by && followReplacement(s)) return; // sent on while this page was away
  if (s.track_token) { follow.id = s.id; follow.token = s.track_token; }
  if (s.followed_from) moved = { from: s.followed_from.display_number, to: s.display_number };
  else if (s.id === TICKET) moved = null;
  ticket = null;
  take(s);
}

async function refetch() {
  try {
    take(await get(`/api/v1/tickets/${encodeURIComponent(follow.id)}?token=${encodeURIComponent(follow.token)}`));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) { refused = true; render(); }
  }
}

function main() {
  el("lang-toggle").addEventListener("click", () => {
    lang = lang === "vi" ? "en" : "vi";
    localStorage.setItem("tiepdon.lang", lang);
    render();
  });
  el("leave").addEventListener("click", async () => {
    if (!window.confirm(t("leave_confirm"))) return;
    try {
      take(await post(`/api/v1/tickets/${encodeURIComponent(follow.id)}/cancel?token=${encodeURIComponent(follow.token)}`));
    } catch (e) {
      replace(el("page-error"), h("span", { text: e.message }));
    }
  });
  el("pay-vnpay").addEventListener("click", payVnpay);
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", () => copy(button.dataset.copy, button.closest("div").querySelector("dt").textContent));
  }
  fetch("/api/v1/services").then((r) => r.json()).then((s) => {
    hospital = s.hospital || null;
    methods = s.payment_methods || [];
    render();
  }).catch(() => {});
  render();
  live = openLive({
    namespace: "/patient",
    auth: { ticket: TICKET, token: TOKEN }, // always the link's: the server resolves transfers
    stateEvent: "patient.state",
    onState: takeState,
    onGap: refetch,
    onStatus: (s) => { liveState = s; render(); },
    onRefused: (data) => {
      if (data.code === "UNAUTHORIZED" || data.code === "TICKET_NOT_FOUND") { refused = true; render(); return false; }
      return true;
    },
    events: {
      "ticket.updated": take,
      "invoice.updated": (inv) => { if (ticket) take({ invoice: { ...(ticket.invoice || {}), ...inv } }); },
    },
  });
}

main();
