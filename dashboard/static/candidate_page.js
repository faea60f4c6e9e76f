// A candidate's page (#/runs/<run>/candidates/<id>): its drawing, .anet text, diff against its
// parent, learned connection weights and metrics.

import { api } from "./api.js";
import {
  DASH,
  formatCount,
  formatDuration,
  formatFitness,
  formatMs,
  formatValue,
  h,
  notice,
  replaceChildren,
  route,
} from "./dom.js";
import { drawTrainingCurve } from "./plots.js";
import { panZoom, parseSvg } from "./svg.js";

// Why a candidate shows no learned weights, by its status.
const NO_WEIGHTS = {
  evaluated: "This candidate learned no connection weights (its edges are fixed or it has no multi-input block).",
  failed: "The candidate failed before its training finished: it learned no weights.",
  rejected: "The candidate was rejected before training: it learned no weights.",
  pending: "Weights are learned when the candidate is trained.",
};

export function candidateView(ctx, run, id) {
  const facts = h("div", { class: "candidate-facts" }, h("p", { class: "loading" }, "Loading\u2026"));
  const drawing = h("div", { id: "drawing", class: "svg-frame" });
  const weights = h("div", { id: "weights" });
  const text = h("pre", { id: "text", class: "code" });
  const diff = h("pre", { id: "diff", class: "code" });
  const curvePanel = h("section", { class: "panel", hidden: true }, h("h2", {}, "Training curve"));
  const root = h(
    "section",
    { class: "view candidate-page" },
    h(
      "nav",
      { class: "crumbs", "aria-label": "breadcrumbs" },
      h("a", { href: "#/" }, "Runs"),
      " / ",
      h("a", { href: route("runs", run) }, run),
      " / ",
      id,
    ),
    h("h1", { tabindex: -1 }, `Candidate ${id}`),
    facts,
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Drawing"),
      h("p", { class: "hint" }, "Scroll to zoom, drag to pan."),
      drawing,
    ),
    h("section", { class: "panel" }, h("h2", {}, "Learned connection weights"), weights),
    h(
      "div",
      { class: "texts" },
      h("section", { class: "panel" }, h("h2", {}, ".anet text"), text),
      h("section", { class: "panel" }, h("h2", {}, "Diff against the parent"), diff),
    ),
    curvePanel,
  );
  let drawnStatus = null;

  async function refresh() {
    const [summary, detail] = await Promise.all([api.summary(run), api.candidate(run, id)]);
    ctx.status.noteSummary(summary);
    ctx.live.watch(run, summary.offset);
    replaceChildren(facts, factList(run, detail), metricsTable(detail.metrics));
    replaceChildren(
      weights,
      weightBars("Inputs of each block", detail.weights, detail.text),
      weightBars("Peer attention", detail.peer_weights, null),
    );
    if (weights.childElementCount === 0) weights.append(notice(NO_WEIGHTS[detail.status] || NO_WEIGHTS.pending));
    text.textContent = detail.text || "";
    renderDiff(diff, detail.parent_diff);
    renderCurve(detail.curve);
    // the drawing shows learned weights once the candidate is trained: redraw when its status changes
    if (detail.status !== drawnStatus) {
      drawnStatus = detail.status;
      await loadDrawing();
    }
  }

  async function loadDrawing() {
    try {
      const svg = parseSvg(await api.drawing(run, id));
      replaceChildren(drawing, svg);
      panZoom(svg);
    } catch (error) {
      replaceChildren(drawing, notice(`No drawing: ${error.message}`, "error"));
    }
  }

  function renderCurve(curve) {
    curvePanel.hidden = !Array.isArray(curve) || curve.length === 0;
    if (curvePanel.hidden) return;
    let plot = curvePanel.querySelector(".plot");
    if (!plot) curvePanel.append((plot = h("div", { class: "plot" })));
    drawTrainingCurve(plot, curve);
  }

  return {
    root,
    title: `${id} \u00b7 ${run}`,
    runs: [run],
    load: refresh,
    refresh,
    fail: (error) => replaceChildren(facts, notice(error.message, "error")),
  };
}

function factList(run, detail) {
  const parent = detail.parent
    ? h("a", { href: route("runs", run, "candidates", detail.parent) }, detail.parent)
    : "none (a seed)";
  const mutations = (detail.mutations || []).length
    ? h(
        "ul",
        { class: "mutations" },
        detail.mutations.map((m) => h("li", {}, m)),
      )
    : "none";
  const items = [
    ["Status", h("span", { class: `badge status-${detail.status}` }, detail.status)],
    ["Round", detail.round],
    ["Parent", parent],
    ["Fitness", formatFitness(detail.fitness)],
    ["Params", formatCount(detail.params)],
    ["FLOPs", formatCount(detail.flops)],
    ["Latency", formatMs(detail.latency_ms)],
    ["Training time", detail.seconds ? formatDuration(detail.seconds) : DASH],
    ["Mutations", mutations],
    detail.reason ? ["Failure reason", h("span", { class: "reason" }, detail.reason)] : null,
  ].filter(Boolean);
  return h(
    "dl",
    { class: "facts" },
    items.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value ?? DASH))),
  );
}

function metricsTable(metrics) {
  const entries = Object.entries(metrics || {});
  if (entries.length === 0) return null;
  return h(
    "table",
    { id: "metrics", class: "kv" },
    h("caption", {}, "Metrics"),
    h(
      "tbody",
      {},
      entries.map(([name, value]) =>
        h("tr", {}, h("th", { scope: "row" }, name), h("td", { class: "numeric" }, formatValue(value))),
      ),
    ),
  );
}

/** Colour a unified diff line by line: + added, - removed, @@ hunk headers. */
function renderDiff(pre, diffText) {
  if (diffText === null || diffText === undefined) {
    replaceChildren(pre, h("span", { class: "diff-none" }, "No parent: this candidate is a seed of the search."));
    return;
  }
  const lines = diffText.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) lines.push(" (the same text as the parent)");
  replaceChildren(
    pre,
    lines.map((line) => h("span", { class: diffClass(line) }, line, "\n")),
  );
}

function diffClass(line) {
  if (line.startsWith("+++") || line.startsWith("---")) return "diff-file";
  if (line.startsWith("@@")) return "diff-hunk";
  if (line.startsWith("+")) return "diff-add";
  if (line.startsWith("-")) return "diff-del";
  return "diff-same";
}

/**
 * A block's learned weights as bars, one per input. The weights come in the order of the block's
 * inputs in the .anet text (`in=[a, b@0.3]`), so the names are read from there when they line up.
 */
function weightBars(title, weights, anetText) {
  const blocks = Object.entries(weights || {});
  if (blocks.length === 0) return null;
  const inputs = anetText ? inputNames(anetText) : new Map();
  return h(
    "div",
    { class: "weights-group" },
    h("h3", {}, title),
    h(
      "table",
      { class: "weights" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Block"),
          h("th", { scope: "col" }, "Input"),
          h("th", { scope: "col" }, "Weight"),
        ),
      ),
      h(
        "tbody",
        {},
        blocks.flatMap(([block, values]) => blockRows(block, values, inputs.get(block))),
      ),
    ),
  );
}

function blockRows(block, values, names) {
  const labels = names && names.length === values.length ? names : values.map((_, index) => `input ${index + 1}`);
  return values.map((value, index) =>
    h(
      "tr",
      { class: index === 0 ? "block-start" : null },
      index === 0 ? h("th", { scope: "row", rowspan: values.length }, block) : null,
      h("td", {}, labels[index]),
      h(
        "td",
        { class: "bar-cell" },
        h(
          "span",
          { class: "bar-track" },
          h("span", { class: "bar", style: `width: ${Math.max(0, Math.min(1, value)) * 100}%` }),
        ),
        h("span", { class: "bar-value" }, Number(value).toFixed(3)),
      ),
    ),
  );
}

/** Block name -> its input names, read from `stem|block NAME ... in=[...]` lines. */
function inputNames(anetText) {
  const names = new Map();
  for (const line of anetText.split("\n")) {
    const match = /^\s*(?:block|stem)\s+(\S+)\s.*?\bin=\[([^\]]*)\]/.exec(line);
    if (!match) continue;
    const inputs = match[2]
      .split(",")
      .map((part) => part.trim().split("@")[0].trim())
      .filter(Boolean);
    names.set(match[1], inputs);
  }
  return names;
}
