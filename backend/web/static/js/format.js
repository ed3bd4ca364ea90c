// Times and labels shared by the pages. Times are shown in the hospital's zone whatever the
// browser's own zone is (a TV or a phone may be set to anything).

export const HOSPITAL_TZ = "Asia/Ho_Chi_Minh";

const timeFmt = new Intl.DateTimeFormat("vi-VN", { hour: "2-digit", minute: "2-digit", timeZone: HOSPITAL_TZ, hour12: false });
const dayFmt = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: HOSPITAL_TZ });

const stampFmt = new Intl.DateTimeFormat("vi-VN", { hour: "2-digit", minute: "2-digit", day: "2-digit", month: "2-digit", year: "numeric", timeZone: HOSPITAL_TZ, hour12: false });

/** Date and time in the hospital's zone, e.g. on a receipt: "14:05 23/11/2026". */
export function stamp(iso) {
  if (!iso) return "—";
  return stampFmt.format(new Date(iso));
}

export function clock(iso) {
  if (!iso) return "—";
  return timeFmt.format(new Date(iso));
}

/** Today's date in the hospital, yyyy-mm-dd (the form the API's ?date= takes). */
export function hospitalToday(now = new Date()) {
  return dayFmt.format(now);
}

// A ward PC or a TV may have its clock minutes off. "Waited 12 min" and the TV's clock are worked
// out against the server's time, learnt from the `at` of every state the server sends.
let skewMs = 0;

export function noteServerTime(iso) {
  const t = Date.parse(iso || "");
  if (!Number.isNaN(t)) skewMs = Date.now() - t;
}

export function serverNow() {
  return Date.now() - skewMs;
}

export function minutesSince(iso, now = serverNow()) {
  if (!iso) return null;
  return Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
}

export const STATUS = {
  waiting: ["Đang chờ", "Waiting", "muted"],
  called: ["Đang mời", "Called", "warn"],
  serving: ["Đang phục vụ", "Being served", "ok"],
  done: ["Đã xong", "Done", "muted"],
  skipped: ["Vắng mặt", "No-show", "bad"],
  cancelled: ["Đã huỷ", "Cancelled", "muted"],
};

export const PRINTER = {
  ok: ["Bình thường", "OK", "ok"],
  paper_low: ["Sắp hết giấy", "Paper low", "warn"],
  paper_out: ["Hết giấy", "Paper out", "bad"],
  cover_open: ["Mở nắp", "Cover open", "bad"],
  offline: ["Mất kết nối", "Offline", "bad"],
};

export function vnd(amount) {
  return new Intl.NumberFormat("vi-VN").format(amount) + " ₫";
}
