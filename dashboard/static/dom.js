// Small DOM and formatting helpers shared by every view.
//
// Every string that reaches the page through `h` becomes a text node: candidate ids, mutations,
// failure reasons and .anet text come from files on disk, so they are never parsed as HTML.

/**
 * Build an element: h("a", {href: "#/", class: "link"}, "text", child, [more]).
 * Attributes named onX with a function value become event listeners; `null`, `undefined` and
 * `false` attribute values are left out; children may be nested arrays, nodes or strings.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Append children (strings become text nodes; null and false are skipped). */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replace an element's children. */
export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** The hash of a page of the dashboard, with each part escaped for the URL. */
export function route(...parts) {
  return "#/" + parts.map((part) => encodeURIComponent(part)).join("/");
}

export const DASH = "\u2014";

export function formatFitness(value) {
  return value === null || value === undefined ? DASH : Number(value).toFixed(4);
}

/** 53309487 -> "53.3 M": parameter and FLOP counts are read at a glance, not digit by digit. */
export function formatCount(value) {
  if (value === null || value === undefined) return DASH;
  const units = [
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [size, unit] of units) {
    if (Math.abs(value) >= size) return `${(value / size).toFixed(1)} ${unit}`;
  }
  return String(value);
}

export function formatMs(value) {
  return value === null || value === undefined ? DASH : `${Number(value).toFixed(1)} ms`;
}

/** Seconds as "42 s", "12 min 03 s" or "2 h 05 min". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return DASH;
  const total = Math.max(0, Math.round(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (hours > 0) return `${hours} h ${pad(minutes)} min`;
  if (minutes > 0) return `${minutes} min ${pad(secs)} s`;
  return `${secs} s`;
}

export function formatClock(date) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** A number in a metrics or settings table: short but exact enough to compare. */
export function formatValue(value) {
  if (typeof value === "number" && !Number.isInteger(value)) return String(Number(value.toPrecision(6)));
  if (value === null || value === undefined) return DASH;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Text for plotly's hover labels. Plotly reads a few HTML tags in its labels, so journal text is
 * escaped first (plotly turns the entities back into the characters).
 */
export function plotlyText(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A message shown in place of content that could not be loaded. */
export function notice(text, kind = "info") {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : null }, text);
}
