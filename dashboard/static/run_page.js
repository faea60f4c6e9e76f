// A run's page (#/runs/<run>): summary, fitness over rounds, accuracy against cost, candidates.

import { api } from "./api.js";
import { h, notice, route } from "./dom.js";
import { drawFitness, drawFront, resizePlots } from "./plots.js";
import { summaryCard, swapSummary } from "./summary.js";
import { CandidatesTable } from "./table.js";

export function runView(ctx, run) {
  const summaryHolder = h("div", { id: "summary" }, h("p", { class: "loading" }, "Loading\u2026"));
  const fitness = h("div", {
    id: "fitness",
    class: "plot",
    role: "img",
    "aria-label": "fitness of every candidate over rounds",
  });
  const front = h("div", { id: "front", class: "plot", role: "img", "aria-label": "fitness against cost" });
  const frontPanel = h(
    "section",
    { class: "panel", hidden: true },
    h("h2", {}, "Accuracy against cost"),
    h("p", { class: "hint" }, "Diamonds: the non-dominated front (no other candidate is both better and cheaper)."),
    front,
  );
  front.hidden = true;
  const table = new CandidatesTable(run);
  const root = h(
    "section",
    { class: "view run-page" },
    h("nav", { class: "crumbs", "aria-label": "breadcrumbs" }, h("a", { href: "#/" }, "Runs"), " / ", run),
    h(
      "div",
      { class: "page-head" },
      h("h1", { tabindex: -1 }, run),
      h("a", { class: "button", href: route("runs", run, "lineage") }, "Lineage"),
    ),
    summaryHolder,
    h(
      "div",
      { class: "plots" },
      h(
        "section",
        { class: "panel" },
        h("h2", {}, "Fitness over rounds"),
        h("p", { class: "hint" }, "Click a point to open its candidate."),
        fitness,
      ),
      frontPanel,
    ),
    h("section", { class: "panel" }, h("h2", {}, "Candidates"), table.element),
  );

  async function refresh() {
    const [summary, candidates, curve] = await Promise.all([api.summary(run), api.candidates(run), api.curve(run)]);
    ctx.status.noteSummary(summary);
    ctx.live.watch(run, summary.offset);
    const shown = summaryHolder.firstElementChild;
    const fresh = summaryCard(summary, { card: false });
    if (shown?.classList.contains("run-summary")) swapSummary(shown, fresh);
    else summaryHolder.replaceChildren(fresh);
    table.setRows(candidates.candidates);
    // show or hide #front before drawing: plotly sizes a plot from its div once, and the two
    // plots share a row only when both are shown
    const hasCost = Boolean(curve.cost_axis) && candidates.candidates.some((row) => row[curve.cost_axis] !== null);
    const layoutChanged = front.hidden === hasCost;
    frontPanel.hidden = front.hidden = !hasCost;
    if (layoutChanged) resizePlots(root);
    drawFitness(fitness, run, curve);
    if (hasCost) drawFront(front, run, curve, candidates.candidates);
  }

  return {
    root,
    title: run,
    runs: [run],
    load: refresh,
    refresh,
    fail: (error) => summaryHolder.replaceChildren(notice(error.message, "error")),
  };
}
