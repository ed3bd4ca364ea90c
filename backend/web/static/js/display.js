// The lobby TV of one display area: the number now called at each room, the last calls, the
// newest one large and spoken. Public and read-only: it joins /display with the area's code and
// never sends anything. Numbers and masked names only (Nghị định 13/2023).

import { Announcer } from "./announcer.js";
import { bi, h, replace } from "./dom.js";
import { clock, HOSPITAL_TZ, noteServerTime, serverNow } from "./format.js";
import { openLive, showLiveStatus } from "./live.js";

const AREA = document.body.dataset.area;
const el = (id) => document.getElementById(id);
const RECENT_SHOWN = 6;
// How long the newest call stays marked on its room's tile.
const NEWEST_MS = 30000;

const state = { points: [], recent: [], newest: null, fresh: false, freshTimer: null };

const announcer = new Announcer({
  audioBase: document.body.dataset.audio,
  caption: el("caption"),
  onAudible: (audible) => { el("sound-on").hidden = audible; },
});

function roomOf(call) {
  return call.service_point ? call.service_point.name_vi : "";
}

function renderLatest() {
  const call = state.newest;
  const box = el("latest");
  box.dataset.empty = call ? "false" : "true";
  // Nothing called yet: words, not a giant dash (which a TV across the hall shows as a white bar).
  el("latest-number").hidden = !call;
  if (!call) {
    el("latest-number").textContent = "";
    replace(el("latest-room"), bi("Chưa có số nào được gọi", "No number called yet"));
    return;
  }
  el("latest-number").textContent = call.display_number;
  replace(el("latest-room"),
    h("span", { lang: "vi", text: "Mời đến " + call.service_point.name_vi }),
    h("span", { class: "en", lang: "en", text: "Please go to " + call.service_point.name_en }),
    call.name_masked ? h("span", { class: "room-name-masked", text: call.name_masked }) : null);
}

function renderRecent() {
  replace(el("recent"), state.recent.slice(0, RECENT_SHOWN).map((c) => h("li", {},
    h("span", { class: "rnum", text: c.display_number }),
    h("span", { class: "rroom" }, bi(c.service_point.name_vi, c.service_point.name_en)),
    h("span", { class: "rtime", text: clock(c.at) }))));
}

function renderRooms() {
  const n = state.points.length;
  // As many columns as keep every tile readable on a 16:9 screen.
  el("rooms").style.setProperty("--cols", String(n <= 4 ? 2 : n <= 9 ? 3 : 4));
  replace(el("rooms"), state.points.map((p) => {
    const sp = p.service_point;
    const t = p.current;
    const newest = state.fresh && t && state.newest.service_point.code === sp.code && state.newest.display_number === t.display_number;
    return h("li", { class: "room" + (newest ? " newest" : ""), dataset: { point: sp.code, status: t ? t.status : "idle" } },
      h("div", { class: "room-name" }, bi(sp.name_vi, sp.name_en)),
      t ? h("div", { class: "room-number", text: t.display_number }) : h("div", { class: "room-number none" }, bi("Chưa gọi", "Not calling")),
      t && t.name_masked ? h("div", { class: "room-name-masked", text: t.name_masked }) : null,
      t ? h("div", { class: "room-state" }, t.status === "serving" ? bi("Đang khám", "In consultation") : bi("Mời vào", "Please come in")) : null);
  }));
}

function renderAll() {
  renderLatest();
  renderRecent();
  renderRooms();
}

function markNewest(call) {
  state.newest = call;
  state.fresh = true;
  clearTimeout(state.freshTimer);
  state.freshTimer = setTimeout(() => { state.fresh = false; renderRooms(); }, NEWEST_MS);
}

function onState(s) {
  noteServerTime(s.at);
  tick();
  if (s.display) {
    replace(el("area-name"), bi(s.display.name_vi, s.display.name_en));
    document.title = `${s.display.name_vi} — Tiếp Đón`;
  }
  state.points = s.points || [];
  state.recent = s.recent || [];
  // After a reconnect the screen shows the truth again, silently: a call is spoken only once.
  state.newest = state.recent[0] || null;
  state.fresh = false;
  renderAll();
}

function onCalled(call) {
  const p = state.points.find((x) => x.service_point.code === call.service_point.code);
  if (p) p.current = { display_number: call.display_number, status: "called", service: call.service, name_masked: call.name_masked, called_at: call.at };
  state.recent = [call, ...state.recent.filter((c) => !(c.display_number === call.display_number && c.service_point.code === call.service_point.code))];
  markNewest(call);
  renderAll();
  announcer.announce(call.display_number, roomOf(call));
}

function onCleared(c) {
  const p = state.points.find((x) => x.service_point.code === c.service_point.code);
  if (p && p.current && p.current.display_number === c.display_number) p.current = null;
  renderRooms();
}

const timeFmt = new Intl.DateTimeFormat("vi-VN", { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: HOSPITAL_TZ });
function tick() { el("clock").textContent = timeFmt.format(new Date(serverNow())); }

async function main() {
  tick();
  setInterval(tick, 10000);
  el("sound-on").addEventListener("click", async () => {
    el("sound-on").hidden = await announcer.unlock();
  });
  renderAll();
  announcer.init();
  fetch("/api/v1/services").then((r) => r.json()).then((s) => {
    if (s.hospital) replace(el("hospital"), bi(s.hospital.name_vi, s.hospital.name_en));
  }).catch(() => {});
  let live = null;
  live = openLive({
    namespace: "/display",
    auth: { display: AREA },
    stateEvent: "display.state",
    onState,
    // There is no REST route for the display: a fresh connection brings the whole state.
    onGap: () => live && live.resync(),
    onStatus: showLiveStatus(el("live-status")),
    events: { "ticket.called": onCalled, "display.cleared": onCleared },
  });
}

main();
