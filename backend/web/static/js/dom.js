// Building DOM from data without innerHTML: every name and number on these pages comes from the
// server or the hospital's config, and none of it may ever be read as markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Vietnamese first, English second: <span lang=vi>…</span> <span class=en lang=en>…</span>. */
export function bi(vi, en, extraClass = "") {
  const wrap = h("span", { class: ("bi " + extraClass).trim() });
  wrap.append(h("span", { lang: "vi", text: vi }));
  if (en) {
    wrap.append(" ");
    wrap.append(h("span", { class: "en", lang: "en", text: en }));
  }
  return wrap;
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}
