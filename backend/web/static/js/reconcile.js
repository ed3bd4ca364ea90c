// One reconciliation item (money the system could not apply): what it means, what to do, and the
// buttons that resolve it (POST /api/v1/payments/reconciliation/{id}/resolve). Used wherever
// cashiers or administrators see the list.

import { errorText, post } from "./api.js";
import { bi, h, replace } from "./dom.js";
import { clock, vnd } from "./format.js";

const CATEGORY = {
  unmatched: ["Không khớp hoá đơn", "No matching invoice",
    "Tiền đã về tài khoản nhưng nội dung chuyển khoản không khớp hoá đơn nào.",
    "Money arrived but its transfer note matches no invoice.",
    "Hỏi người chuyển (qua tên, giờ chuyển); trả lại tiền rồi bấm “Đã trả lại tiền”, hoặc ghi chú và bỏ qua nếu là chuyển nhầm đã xử lý.",
    "Find the payer (name, time); hand the money back and press “Money returned”, or dismiss with a note if it was settled otherwise."],
  wrong_amount: ["Sai số tiền", "Wrong amount",
    "Người bệnh chuyển khác số tiền phải trả.", "The patient transferred a different amount than due.",
    "Trả lại khoản đã chuyển và hướng dẫn trả đúng số tiền, rồi bấm “Đã trả lại tiền”.",
    "Hand the transfer back and help them pay the right amount, then press “Money returned”."],
  late: ["Trả sau khi hết hạn", "Paid after expiry",
    "Tiền về sau khi mã thanh toán đã hết hạn.", "The money arrived after the payment code expired.",
    "Nếu người bệnh vẫn khám, bấm “Áp vào hoá đơn”; nếu không, trả lại tiền rồi bấm “Đã trả lại tiền”.",
    "If the patient is still being seen, press “Apply to invoice”; if not, hand it back and press “Money returned”."],
  duplicate: ["Trả hai lần", "Paid twice",
    "Hoá đơn đã được trả, khoản này là tiền trả thêm.", "The invoice was already paid: this is extra money.",
    "Trả lại khoản thừa cho người bệnh, rồi bấm “Đã trả lại tiền”.",
    "Hand the extra money back to the patient, then press “Money returned”."],
  void: ["Trả cho số đã huỷ", "Paid for a cancelled ticket",
    "Tiền về cho một hoá đơn đã huỷ cùng số thứ tự (người bệnh đã rời hàng chờ hoặc hết hạn thanh toán).",
    "Money arrived for an invoice voided with its cancelled ticket (the patient left the queue or the payment timed out).",
    "Trả lại tiền cho người bệnh (hoặc hoàn qua ngân hàng), rồi bấm “Đã trả lại tiền”.",
    "Hand the money back to the patient (or refund it through the bank), then press “Money returned”."],
};

function resolve(item, body, msg, done) {
  return async (ev) => {
    const form = ev.target.closest("li");
    for (const b of form.querySelectorAll("button")) b.disabled = true;
    try {
      await post(`/api/v1/payments/reconciliation/${encodeURIComponent(item.id)}/resolve`, body());
      done();
    } catch (e) {
      const [vi, en] = errorText(e);
      replace(msg, bi(vi, en));
      for (const b of form.querySelectorAll("button")) b.disabled = false;
    }
  };
}

export function reconciliationItem(it, done) {
  const [vi, en, meanVi, meanEn, todoVi, todoEn] = CATEGORY[it.category] || [it.category, it.category, "", "", "", ""];
  const msg = h("p", { class: "exc-error", role: "alert" });
  const noteId = "note-" + it.id;
  const note = h("input", { id: noteId, class: "note-input", maxlength: "500", autocomplete: "off" });
  const actions = [];
  if (it.invoice_id && it.category === "late") {
    actions.push(h("button", { type: "button", class: "btn small", onclick: resolve(it, () => ({ action: "apply" }), msg, done) },
      bi("Áp vào hoá đơn", "Apply to invoice")));
  }
  actions.push(h("button", { type: "button", class: "btn small", onclick: resolve(it, () => ({ action: "returned", note: note.value.trim() || null }), msg, done) },
    bi("Đã trả lại tiền", "Money returned")));
  actions.push(h("button", {
    type: "button", class: "btn small secondary",
    onclick: (ev) => {
      if (!note.value.trim()) { replace(msg, bi("Ghi chú lý do trước khi bỏ qua", "Write why before dismissing")); note.focus(); return; }
      resolve(it, () => ({ action: "dismiss", note: note.value.trim() }), msg, done)(ev);
    },
  }, bi("Bỏ qua (có ghi chú)", "Dismiss (with a note)")));
  return h("li", { class: "exception", dataset: { item: it.id, category: it.category } },
    h("div", { class: "exc-head" },
      h("span", { class: "strong", text: vnd(it.amount) }),
      h("span", { class: "badge warn" }, bi(vi, en)),
      h("span", { text: [it.reference, it.sender_name].filter(Boolean).join(" · ") }),
      h("span", { class: "empty", text: clock(it.transferred_at || it.created_at) })),
    h("div", { class: "exc-meaning" }, bi(meanVi, meanEn),
      it.expected_amount ? bi(` Phải trả ${vnd(it.expected_amount)}.`, ` Due: ${vnd(it.expected_amount)}.`) : null),
    h("div", { class: "exc-todo" }, h("span", { class: "todo-label" }, bi("Cần làm", "To do"), ": "), bi(todoVi, todoEn)),
    h("div", { class: "exc-note" }, h("label", { for: noteId }, bi("Ghi chú", "Note")), note),
    h("div", { class: "exc-actions" }, actions),
    msg);
}
