// Who walked in: the patient called at this room, as its own staff may see them (masked name, age,
// priority, coverage and BHYT state, payment), from GET /api/v1/service-points/{code}/current.
// Each look is audited on the server, so the page asks once per called ticket, not on a timer.

import { get } from "./api.js";
import { bi, h, replace } from "./dom.js";
import { vnd } from "./format.js";

const GENDER = { male: ["Nam", "Male"], female: ["Nữ", "Female"] };
const CHECK = {
  ok: ["ok", "Thẻ BHYT hợp lệ", "BHYT card valid"],
  flagged: ["warn", "Thẻ hợp lệ – cần xem giấy tờ", "Card valid – check papers"],
  refused: ["bad", "Không dùng được BHYT", "BHYT cannot be used"],
  pending: ["warn", "Đang chờ BHXH kiểm tra thẻ", "Waiting for BHXH to check the card"],
};

function coverage(c) {
  if (c.kind !== "bhyt") return [h("span", { class: "badge muted" }, bi("Tự trả tiền", "Self-pay"))];
  const out = [h("span", { class: "badge info" }, bi("BHYT", "Health insurance"))];
  const check = c.bhyt_check;
  if (check) {
    const [tone, vi, en] = CHECK[check.status] || ["muted", check.status, check.status];
    out.push(" ", h("span", { class: "badge " + tone, dataset: { check: check.status } }, bi(vi, en)));
    if (check.meaning_vi) out.push(" ", h("span", { class: "empty" }, bi(check.meaning_vi, check.meaning_en)));
  }
  return out;
}

function payment(p) {
  if (p.invoice_status === "paid" || (p.required && p.paid)) return h("span", { class: "badge ok", dataset: { payment: "paid" } }, bi("Đã thanh toán", "Paid"));
  if (p.invoice_status === "pending" || (p.required && !p.paid)) {
    return h("span", { class: "badge warn", dataset: { payment: "unpaid" } },
      bi("Chưa thanh toán" + (p.amount ? " " + vnd(p.amount) : ""), "Unpaid" + (p.amount ? " " + vnd(p.amount) : "")));
  }
  if (p.invoice_status === "expired") return h("span", { class: "badge bad", dataset: { payment: "expired" } }, bi("Mã thanh toán hết hạn", "Payment expired"));
  return h("span", { class: "badge muted", dataset: { payment: "none" } }, bi("Không có khoản phải trả", "Nothing to pay"));
}

/** Fills `box` with who is at `point` now (or empties it). Returns the ticket id shown. */
export async function showCurrentPatient(box, point) {
  let data = null;
  try {
    data = await get(`/api/v1/service-points/${encodeURIComponent(point)}/current`);
  } catch (e) {
    box.hidden = true;
    return null;
  }
  if (!data) { box.hidden = true; replace(box); return null; }
  const p = data.patient;
  const rows = [
    h("div", { class: "cw-name", id: "who-name" }, p ? h("span", { text: p.name_masked }) : bi("Chưa xác định danh tính (không quét thẻ)", "Not identified (no card scanned)"),
      p && p.age !== null && p.age !== undefined ? h("span", { class: "cw-age" }, bi(` · ${p.age} tuổi`, `${p.age} y`)) : null,
      p && GENDER[p.gender] ? h("span", { class: "cw-age" }, bi(" · " + GENDER[p.gender][0], GENDER[p.gender][1])) : null),
    h("div", { class: "cw-row", id: "who-coverage" }, h("span", { class: "cw-label" }, bi("Đối tượng", "Coverage"), ": "), coverage(data.coverage)),
    h("div", { class: "cw-row", id: "who-payment" }, h("span", { class: "cw-label" }, bi("Thanh toán", "Payment"), ": "), payment(data.payment)),
  ];
  replace(box, h("p", { class: "cw-title" }, bi("Xác nhận người bệnh", "Confirm the patient"), " ", h("span", { class: "tnum", text: data.ticket.display_number })), rows);
  box.hidden = false;
  return data.ticket.id;
}
