// The overview (#/): one card per run and every run's fitness over rounds on one plot.

import { api } from "./api.js";
import { h, notice, replaceChildren } from "./dom.js";
import { OVERVIEW_MODES, drawRunsFitness } from "./plots.js";
import { summaryCard, swapSummary } from "./summary.js";

export function overviewView(ctx) {
  const cards = h("div", { id: "runs", class: "run-cards" });
  const plot = h("div", {
    id: "fitness-all",
    class: "plot",
    role: "img",
    "aria-label": "fitness of every run over rounds",
  });
  const curves = new Map();
  let mode = "best";
  const modeSelect = h(
    "select",
    { id: "fitness-all-mode", onchange: () => ((mode = modeSelect.value), drawRunsFitness(plot, curves, mode)) },
    Object.entries(OVERVIEW_MODES).map(([value, { label }]) => h("option", { value }, label)),
  );
  const root = h(
    "section",
    { class: "view overview" },
    h("h1", { tabindex: -1 }, "Runs"),
    cards,
    h(
      "section",
      { class: "panel" },
      h("div", { class: "panel-head" }, h("h2", {}, "Fitness over rounds"), h("label", {}, "Show ", modeSelect)),
      plot,
    ),
  );

  async function load() {
    const { runs } = await api.runs();
    cards.replaceChildren(); // a retry after an outage starts again from the server's list
    if (runs.length === 0) cards.append(notice("No runs to show."));
    for (const summary of runs) {
      ctx.status.noteSummary(summary);
      ctx.live.watch(summary.name, summary.offset);
      cards.append(summaryCard(summary, { card: true }));
      curves.set(summary.name, { best: [], topk: [] }); // keeps the command line's order in the legend
    }
    ctx.status.show(runs.map((summary) => summary.name));
    await Promise.all(runs.map((summary) => loadCurve(summary.name)));
  }

  async function loadCurve(run) {
    try {
      curves.set(run, await api.curve(run));
    } catch (error) {
      curves.set(run, { best: [], topk: [] });
      plot.before(notice(`The fitness of ${run} could not be loaded: ${error.message}`, "error"));
    }
    drawRunsFitness(plot, curves, mode);
  }

  async function refresh(run) {
    const summary = await api.summary(run);
    ctx.status.noteSummary(summary);
    const shown = [...cards.querySelectorAll(".run-card")].find((card) => card.dataset.run === run);
    const fresh = summaryCard(summary, { card: true });
    if (shown) swapSummary(shown, fresh);
    else cards.append(fresh);
    curves.set(run, await api.curve(run));
    drawRunsFitness(plot, curves, mode);
  }

  return {
    root,
    title: "Runs",
    load,
    refresh,
    fail: (error) => replaceChildren(cards, notice(error.message, "error")),
  };
}
