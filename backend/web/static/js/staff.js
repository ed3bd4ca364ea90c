// What every staff page shares: the session (or a trip to the sign-in page), the header with the
// navigation this role may use, the hospital's services, and one place to show errors.

import { ApiError, errorText, get, post, setCsrf } from "./api.js";
import { bi, h, replace } from "./dom.js";
import { openLive, showLiveStatus } from "./live.js";

export const ROLES = {
  admin: ["Quản trị", "Administrator"],
  reception: ["Tiếp đón", "Reception"],
  room: ["Phòng khám", "Room"],
  cashier: ["Thu ngân", "Cashier"],
};

/** A ticket's legal priority as a badge; a reason the patient only declared says so until staff confirm it. */
export function priorityBadge(priority) {
  if (!priority) return null;
  const declared = priority.status === "declared";
  return h("span", { class: "badge prio" + (declared ? " declared" : ""), title: priority.label_en, dataset: { priorityStatus: priority.status || "confirmed" } },
    "★ ", bi(priority.label_vi, priority.label_en),
    declared ? [" · ", bi(priority.status_vi, priority.status_en)] : null);
}

/** Confirm / reject buttons for a declared priority (POST /api/v1/tickets/{id}/priority). */
export function priorityActions(t, onDone) {
  if (!t.priority || t.priority.status !== "declared") return [];
  const decide = (confirmed) => async () => {
    showError(null);
    try {
      onDone(await post(`/api/v1/tickets/${encodeURIComponent(t.id)}/priority`, { reason: t.priority.code, confirmed }));
    } catch (e) {
      showError(e);
    }
  };
  return [
    h("button", { type: "button", class: "btn small secondary", dataset: { priorityAction: "confirm" }, onclick: decide(true) },
      bi("Xác nhận ưu tiên", "Confirm priority")),
    h("button", { type: "button", class: "btn small secondary", dataset: { priorityAction: "reject" }, onclick: decide(false) },
      bi("Không ưu tiên", "Reject priority")),
  ];
}

/** Staff who act on every service point; the others only on the points given to them. */
export const seesEverything = (staff) => staff.role === "admin" || staff.role === "reception";

function toLogin() {
  const next = location.pathname + location.search;
  location.assign("/staff/login?next=" + encodeURIComponent(next));
  return new Promise(() => {}); // the page is going away
}

let servicesPromise = null;
/** Services and the hospital's name (public list, asked once per page). */
export function loadServices() {
  servicesPromise = servicesPromise || get("/api/v1/services");
  return servicesPromise;
}

export async function startStaffPage(current) {
  let me;
  try {
    me = await get("/api/v1/auth/me");
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return toLogin();
    showError(e);
    throw e;
  }
  setCsrf(me.csrf_token);
  const staff = me.staff;
  const nav = document.getElementById("nav");
  const links = [];
  if (seesEverything(staff)) {
    links.push(["/staff/", "overview", "Tổng quan", "Overview"]);
    links.push(["/staff/points/" + "Q1", "points", "Quầy / phòng", "Counters & rooms"]);
  } else {
    for (const code of staff.service_points) links.push(["/staff/points/" + code, "point:" + code, code, null]);
  }
  if (staff.role === "cashier" || staff.role === "admin") links.push(["/staff/cashier", "cashier", "Thu ngân", "Cashier"]);
  links.push(["/staff/stats", "stats", "Thống kê", "Statistics"]);
  replace(nav, h("ul", {}, links.map(([href, key, vi, en]) => h("li", {},
    h("a", { href, "aria-current": key === current || (current || "").startsWith(key + ":") ? "page" : null }, bi(vi, en))))));
  const [rvi, ren] = ROLES[staff.role] || [staff.role, staff.role];
  replace(document.getElementById("who"), h("span", { class: "who-name", text: staff.full_name }), " · ", bi(rvi, ren));
  document.getElementById("logout").addEventListener("click", async () => {
    try { await post("/api/v1/auth/logout"); } catch (e) { /* signed out either way */ }
    location.assign("/staff/login");
  });
  if (!seesEverything(staff)) {
    // The session knows point codes only; staff know their rooms by name.
    get("/api/v1/queues").then((q) => {
      for (const row of q.service_points) {
        const link = nav.querySelector(`a[href="/staff/points/${CSS.escape(row.service_point.code)}"]`);
        if (link) replace(link, bi(row.service_point.name_vi, row.service_point.name_en));
      }
    }).catch(() => {});
  }
  loadServices().then((s) => {
    const el = document.getElementById("hospital-name");
    if (el && s.hospital) replace(el, s.hospital.name_vi);
  }).catch(() => {});
  return staff;
}

/** The /staff namespace with the page's handlers; a refused session goes back to sign-in. */
export function openStaffLive({ onState, events, onGap }) {
  return openLive({
    namespace: "/staff",
    stateEvent: "staff.state",
    onState, events, onGap,
    onStatus: showLiveStatus(document.getElementById("live-status")),
    onRefused: (data) => {
      if (data.code === "UNAUTHORIZED") { toLogin(); return false; }
      return true;
    },
  });
}

export function showError(err) {
  const box = document.getElementById("page-error");
  if (!box) return;
  if (!err) { box.replaceChildren(); return; }
  if (err instanceof ApiError && err.status === 401) { toLogin(); return; }
  const [vi, en] = err instanceof ApiError ? errorText(err) : [String(err.message || err), ""];
  replace(box, bi(vi, en));
}

export function nameOf(obj) {
  return obj ? bi(obj.name_vi || obj.code, obj.name_en || "") : "—";
}
