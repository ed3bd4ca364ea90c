// Daily figures from GET /api/v1/stats: tickets per hour, waiting and service time percentiles and
// no-show rate per service, as charts (vendored Chart.js) and as a table, with the CSV export.
// Today's figures follow the live ticket events; a past day never changes.

/* global Chart */

import { get } from "./api.js";
import { bi, h, replace } from "./dom.js";
import { hospitalToday } from "./format.js";
import { loadServices, openStaffLive, showError, startStaffPage } from "./staff.js";

const el = (id) => document.getElementById(id);
const charts = {};
let names = new Map();

function csvHref(date, service) {
  const q = new URLSearchParams({ format: "csv", date });
  if (service) q.set("service", service);
  return "/api/v1/stats?" + q.toString();
}

function chart(id, type, labels, datasets, yTitle, whole = false) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart(el(id), {
    type,
    data: { labels, datasets },
    options: {
      animation: false, // a chart that moves is harder to read and costs CPU on a busy desk PC
      maintainAspectRatio: false,
      plugins: { legend: { labels: { color: "#17202a" } } },
      scales: {
        x: { ticks: { color: "#17202a" }, grid: { color: "#e2e7ee" } },
        y: { beginAtZero: true, ticks: { color: "#17202a", precision: whole ? 0 : undefined }, grid: { color: "#e2e7ee" },
          title: { display: Boolean(yTitle), text: yTitle, color: "#17202a" } },
      },
    },
  });
}

function label(code) {
  const s = names.get(code);
  return s ? s.name_vi : code;
}

function render(data) {
  const rows = data.services;
  replace(el("stats-day"), data.date);
  const done = rows.reduce((a, r) => a + r.done, 0);
  const skipped = rows.reduce((a, r) => a + r.skipped, 0);
  const waiting = rows.reduce((a, r) => a + r.waiting, 0);
  replace(el("totals"),
    h("div", { id: "total-issued" }, h("strong", { text: String(data.total_issued) }), bi("Phiếu đã phát", "Tickets issued")),
    h("div", {}, h("strong", { text: String(done) }), bi("Đã phục vụ xong", "Served")),
    h("div", {}, h("strong", { text: String(skipped) }), bi("Vắng mặt", "No-shows")),
    h("div", {}, h("strong", { text: String(waiting) }), bi("Còn đang chờ", "Still waiting")));

  const hours = [];
  for (let hr = 6; hr <= 18; hr++) hours.push(hr);
  for (const p of data.per_hour) if (!hours.includes(p.hour)) hours.push(p.hour);
  hours.sort((a, b) => a - b);
  const perHour = new Map(data.per_hour.map((p) => [p.hour, p.issued]));
  chart("chart-hour", "bar", hours.map((hr) => `${hr}h`),
    [{ label: "Phiếu / Tickets", data: hours.map((hr) => perHour.get(hr) || 0), backgroundColor: "#0b57a4" }], "Phiếu / Tickets", true);
  const labels = rows.map((r) => label(r.service_code));
  chart("chart-wait", "bar", labels, [
    { label: "p50", data: rows.map((r) => r.wait_p50_min), backgroundColor: "#0b57a4" },
    { label: "p90", data: rows.map((r) => r.wait_p90_min), backgroundColor: "#c98a00" },
  ], "phút / min");
  chart("chart-service", "bar", labels, [
    { label: "p50", data: rows.map((r) => r.service_p50_min), backgroundColor: "#1d6b35" },
    { label: "p90", data: rows.map((r) => r.service_p90_min), backgroundColor: "#7fb38f" },
  ], "phút / min");
  chart("chart-noshow", "bar", labels, [
    { label: "% vắng / % no-show", data: rows.map((r) => Math.round(r.no_show_rate * 1000) / 10), backgroundColor: "#b3261e" },
  ], "%");

  const fmt = (v) => (v === null || v === undefined ? "—" : String(v));
  replace(el("stats-body"), rows.length ? rows.map((r) => {
    const s = names.get(r.service_code);
    return h("tr", { dataset: { service: r.service_code } },
      h("td", {}, s ? bi(s.name_vi, s.name_en) : r.service_code),
      h("td", { class: "num", text: String(r.issued) }),
      h("td", { class: "num", text: String(r.done) }),
      h("td", { class: "num", text: String(r.skipped) }),
      h("td", { class: "num", text: String(r.cancelled) }),
      h("td", { class: "num", text: `${fmt(r.wait_p50_min)} / ${fmt(r.wait_p90_min)}` }),
      h("td", { class: "num", text: `${fmt(r.service_p50_min)} / ${fmt(r.service_p90_min)}` }),
      h("td", { class: "num", text: `${Math.round(r.no_show_rate * 1000) / 10}%` }));
  }) : h("tr", {}, h("td", { colspan: "8", class: "empty" }, bi("Không có phiếu nào trong ngày này", "No tickets on this day"))));
}

async function load() {
  const date = el("stats-date").value || hospitalToday();
  const service = el("stats-service").value;
  el("csv-link").href = csvHref(date, service);
  el("csv-link").setAttribute("download", `tiepdon-${date}.csv`);
  const q = new URLSearchParams({ date });
  if (service) q.set("service", service);
  try {
    render(await get("/api/v1/stats?" + q.toString()));
    showError(null);
  } catch (e) {
    showError(e);
  }
}

async function main() {
  await startStaffPage("stats");
  const params = new URLSearchParams(location.search);
  el("stats-date").value = params.get("date") || hospitalToday();
  el("stats-date").max = hospitalToday();
  try {
    const services = await loadServices();
    names = new Map(services.services.map((s) => [s.code, s]));
    const select = el("stats-service");
    for (const s of services.services) select.append(h("option", { value: s.code, selected: s.code === params.get("service") }, `${s.name_vi} / ${s.name_en}`));
  } catch (e) {
    showError(e);
  }
  Chart.defaults.font.family = '"Noto Sans", "DejaVu Sans", sans-serif';
  Chart.defaults.color = "#17202a";
  el("stats-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams({ date: el("stats-date").value });
    if (el("stats-service").value) q.set("service", el("stats-service").value);
    history.replaceState(null, "", "?" + q.toString());
    load();
  });
  await load();

  // Today's numbers move with the queue: a burst of events is one reload a few seconds later.
  let timer = null;
  const soon = () => {
    if (el("stats-date").value !== hospitalToday()) return;
    clearTimeout(timer);
    timer = setTimeout(load, 3000);
  };
  openStaffLive({ onState: soon, onGap: soon, events: { "ticket.updated": soon } });
}

main();
