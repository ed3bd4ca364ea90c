// Staff sign-in: POST /api/v1/auth/login sets the session cookie; then back to the page that sent
// us here (only a page of this site: the ?next= value is never followed elsewhere).

import { errorText, post } from "./api.js";
import { bi, replace } from "./dom.js";

function safeNext() {
  const next = new URLSearchParams(location.search).get("next") || "";
  return next.startsWith("/staff/") && !next.startsWith("//") ? next : "/staff/";
}

const form = document.getElementById("login-form");
const box = document.getElementById("login-error");
const button = document.getElementById("login-submit");

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    replace(box, bi("Hãy nhập tên đăng nhập và mật khẩu", "Enter your username and password"));
    return;
  }
  button.disabled = true;
  box.replaceChildren();
  try {
    const session = await post("/api/v1/auth/login", { username, password });
    const staff = session.staff;
    let target = safeNext();
    if (target === "/staff/" && staff.role === "cashier") {
      target = "/staff/cashier";
    } else if (target === "/staff/" && staff.role !== "admin" && staff.role !== "reception" && staff.service_points.length) {
      target = "/staff/points/" + encodeURIComponent(staff.service_points[0]);
    }
    location.assign(target);
  } catch (e) {
    const [vi, en] = errorText(e);
    replace(box, bi(vi, en));
    button.disabled = false;
    form.password.focus();
  }
});
