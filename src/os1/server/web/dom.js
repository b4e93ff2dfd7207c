// Building the page: one element factory and the few formatters every view shares.
// All text goes in through textContent (never innerHTML), so nothing a person, a
// memory or the model writes can ever become markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "text") {
      node.textContent = value;
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** An HTML element: h("button", {class: "x", onclick: fn}, "Label"). */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, same calling shape as h(). */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

export const $ = (selector, root = document) => root.querySelector(selector);

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** A unix time as people say it: "5 minutes ago", "yesterday", or a date. */
export function when(unixSeconds) {
  if (unixSeconds === null || unixSeconds === undefined) return "";
  const seconds = unixSeconds - Date.now() / 1000;
  const size = Math.abs(seconds);
  if (size < 45) return "just now";
  if (size < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (size < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  if (size < 86400 * 7) return relative.format(Math.round(seconds / 86400), "day");
  return dateTime.format(new Date(unixSeconds * 1000));
}

export function exactTime(unixSeconds) {
  return dateTime.format(new Date(unixSeconds * 1000));
}

export function clockTime(unixSeconds) {
  return clock.format(new Date(unixSeconds * 1000));
}

/** A <time> element with the friendly text and the exact moment on hover. */
export function timeEl(unixSeconds) {
  const at = new Date(unixSeconds * 1000);
  return h("time", { datetime: at.toISOString(), title: exactTime(unixSeconds) }, when(unixSeconds));
}

/** 1 → "1st", 2 → "2nd", 11 → "11th". */
export function ordinal(n) {
  const rules = new Intl.PluralRules("en", { type: "ordinal" });
  const suffix = { one: "st", two: "nd", few: "rd", other: "th" }[rules.select(n)];
  return `${n}${suffix}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}
