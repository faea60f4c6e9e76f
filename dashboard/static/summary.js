// A run's summary: the overview's .run-card and the run page's #summary show the same facts.

import { DASH, formatDuration, formatFitness, formatValue, h, route } from "./dom.js";

/** The card of one run: state, best candidate, counts, progress, timing and (folded) settings. */
export function summaryCard(summary, { card }) {
  const state = summary.finished ? "finished" : "live";
  const title = card
    ? h("h2", {}, h("a", { href: route("runs", summary.name) }, summary.name))
    : h("h2", { class: "visually-hidden" }, "Summary");
  return h(
    "article",
    { class: card ? "run-card" : "run-summary", "data-run": summary.name },
    h("header", { class: "card-head" }, title, h("span", { class: `badge state-${state}` }, state)),
    bestLine(summary),
    countsLine(summary),
    facts(summary),
    h("footer", { class: "card-foot" }, card ? links(summary.name) : null, settingsBlock(summary.settings)),
  );
}

function bestLine(summary) {
  if (!summary.best) return h("p", { class: "best" }, "No candidate trained yet.");
  return h(
    "p",
    { class: "best" },
    "Best ",
    h("a", { href: route("runs", summary.name, "candidates", summary.best.id) }, summary.best.id),
    " with fitness ",
    h("strong", {}, formatFitness(summary.best.fitness)),
  );
}

function countsLine(summary) {
  const counts = summary.candidates || {};
  const part = (key, label) =>
    h("span", { class: `count count-${key}` }, h("strong", {}, String(counts[key] ?? 0)), ` ${label}`);
  return h(
    "p",
    { class: "counts" },
    part("total", "candidates"),
    ": ",
    part("trained", "trained"),
    " \u00b7 ",
    part("failed", "failed"),
    " \u00b7 ",
    part("pending", "pending"),
    counts.rejected ? [" \u00b7 ", part("rejected", "rejected")] : null,
  );
}

function facts(summary) {
  const rounds = summary.rounds || {};
  const items = [
    ["Strategy", summary.strategy],
    ["Objective", summary.objective],
    ["Population", summary.population],
    ["Rounds", roundsText(rounds)],
    ["Workers", `${summary.busy ?? 0} of ${summary.workers ?? DASH} busy`],
    ["Time", timeText(summary)],
  ];
  return h(
    "dl",
    { class: "facts" },
    items.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value ?? DASH))),
  );
}

/** "5 of 12 done, 7 to go" */
function roundsText({ done, total }) {
  if (!Number.isInteger(done) || !Number.isInteger(total)) return `${done ?? DASH} done`;
  const toGo = Math.max(0, total - done);
  return toGo === 0 ? `${done} of ${total} done` : `${done} of ${total} done, ${toGo} to go`;
}

/** Elapsed time and the estimate of what is left: "12 min 03 s, about 4 min 10 s to go". */
function timeText(summary) {
  const elapsed = formatDuration(summary.elapsed_s);
  if (summary.finished) return `${elapsed}, done`;
  if (summary.eta_s === null || summary.eta_s === undefined) return `${elapsed}, no estimate yet`;
  return `${elapsed}, about ${formatDuration(summary.eta_s)} to go`;
}

/** The run's EvolutionConfig, nested settings flattened to dotted names. */
function settingsBlock(settings) {
  if (!settings || Object.keys(settings).length === 0) return null;
  const rows = flatten(settings).map(([name, value]) =>
    h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, formatValue(value))),
  );
  return h(
    "details",
    { class: "settings" },
    h("summary", {}, "Settings"),
    h("table", { class: "kv" }, h("tbody", {}, rows)),
  );
}

function flatten(object, prefix = "") {
  return Object.entries(object).flatMap(([key, value]) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? flatten(value, `${prefix}${key}.`)
      : [[`${prefix}${key}`, value]],
  );
}

function links(run) {
  return h(
    "span",
    { class: "card-links" },
    h("a", { href: route("runs", run) }, "Candidates and plots"),
    h("a", { href: route("runs", run, "lineage") }, "Lineage"),
  );
}

/** Swap a shown summary for a fresh one, keeping the settings folded or open as the reader left them. */
export function swapSummary(shown, fresh) {
  const wasOpen = shown.querySelector("details.settings")?.open;
  if (wasOpen) fresh.querySelector("details.settings")?.setAttribute("open", "");
  shown.replaceWith(fresh);
  return fresh;
}
