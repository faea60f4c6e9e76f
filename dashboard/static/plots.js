// The dashboard's plots, drawn with plotly.js (served by the dashboard itself, never a CDN).
//
// Plotly.react redraws in place, and a fixed `uirevision` keeps the reader's zoom and hidden
// traces when a live run brings new points.

import { formatCount, formatMs, notice, plotlyText, replaceChildren, route } from "./dom.js";

const COLORS = ["#2f6db5", "#d0782a", "#3a9a5b", "#b5405a", "#7a5bb5", "#8a7a3a", "#2a9aa5", "#666666"];
const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

const COST_LABELS = {
  latency_ms: { title: "latency (ms)", format: formatMs },
  flops: { title: "FLOPs", format: formatCount },
};

function baseLayout(revision, xTitle, yTitle) {
  return {
    uirevision: revision,
    height: 340,
    margin: { l: 60, r: 20, t: 16, b: 84 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#ffffff",
    font: { family: "system-ui, -apple-system, 'Segoe UI', sans-serif", size: 12, color: "#2b2f36" },
    xaxis: { title: { text: xTitle }, gridcolor: "#e8eaee", zeroline: false },
    yaxis: { title: { text: yTitle }, gridcolor: "#e8eaee", zeroline: false },
    // below the axis title: above the plot it ran under plotly's toolbar on narrow panels
    legend: { orientation: "h", x: 0, y: -0.3, yanchor: "top" },
    hovermode: "closest",
  };
}

/** Draw, or say why not: a page without plotly (a broken install) still shows everything else. */
function draw(div, traces, layout) {
  if (!window.Plotly) {
    replaceChildren(div, notice("Plots are unavailable: /static/plotly.min.js did not load.", "error"));
    return;
  }
  if (!div.isConnected) return; // the page changed while the data was loading
  window.Plotly.react(div, traces, layout, CONFIG);
}

/** Fit the drawn plots under `container` to their divs again (after the layout around them changed). */
export function resizePlots(container) {
  if (!window.Plotly) return;
  for (const plot of container.querySelectorAll(".js-plotly-plot")) window.Plotly.Plots.resize(plot);
}

/** Open a candidate's page when one of its points is clicked. */
function linkPoints(div, run) {
  if (div.dataset.linked || !window.Plotly) return;
  div.dataset.linked = "1";
  div.on?.("plotly_click", (event) => {
    const id = event.points?.[0]?.customdata?.[0];
    if (typeof id === "string") location.hash = route("runs", run, "candidates", id);
  });
}

/** Every candidate as a point, with the top-k mean and best-so-far lines (the run page's #fitness). */
export function drawFitness(div, run, curve) {
  const points = curve.points || [];
  const traces = [
    {
      name: "candidates",
      type: "scatter",
      mode: "markers",
      x: points.map((point) => point.round),
      y: points.map((point) => point.fitness),
      customdata: points.map((point) => [point.id, plotlyText((point.mutations || []).join(", ") || "none")]),
      hovertemplate:
        "<b>%{customdata[0]}</b><br>round %{x}<br>fitness %{y:.4f}<br>mutations: %{customdata[1]}<extra></extra>",
      marker: { color: "rgba(47,109,181,0.55)", size: 8, line: { color: "#2f6db5", width: 1 } },
    },
    line("top-k mean", curve.topk, COLORS[1], "dash"),
    line("best so far", curve.best, COLORS[2], "solid"),
  ];
  draw(div, traces, baseLayout(`fitness-${run}`, "round", "fitness"));
  linkPoints(div, run);
}

function line(name, pairs, color, dash) {
  const values = pairs || [];
  return {
    name,
    type: "scatter",
    mode: "lines+markers",
    x: values.map((pair) => pair[0]),
    y: values.map((pair) => pair[1]),
    line: { color, dash, width: 2, shape: "hv" },
    marker: { size: 5, color },
    hovertemplate: `${name}<br>round %{x}<br>fitness %{y:.4f}<extra></extra>`,
  };
}

/**
 * Accuracy against cost with the non-dominated front marked (the run page's #front).
 * Returns false, drawing nothing, when the run measured no cost.
 */
export function drawFront(div, run, curve, rows) {
  const axis = curve.cost_axis;
  if (!axis || !COST_LABELS[axis]) return false;
  const measured = rows.filter((row) => row.fitness !== null && row[axis] !== null && row[axis] !== undefined);
  if (measured.length === 0) return false;
  const onFront = new Set(curve.front || []);
  const front = measured.filter((row) => onFront.has(row.id)).sort((a, b) => a[axis] - b[axis]);
  const { title, format } = COST_LABELS[axis];
  const traces = [
    costTrace("candidates", measured, axis, format, { color: "rgba(47,109,181,0.45)", size: 8 }, "markers"),
    costTrace(
      "non-dominated front",
      front,
      axis,
      format,
      { color: COLORS[3], size: 10, symbol: "diamond" },
      "lines+markers",
    ),
  ];
  traces[1].line = { color: COLORS[3], width: 2, shape: "hv" };
  draw(div, traces, baseLayout(`front-${run}`, title, "fitness"));
  linkPoints(div, run);
  return true;
}

function costTrace(name, rows, axis, format, marker, mode) {
  return {
    name,
    type: "scatter",
    mode,
    x: rows.map((row) => row[axis]),
    y: rows.map((row) => row.fitness),
    customdata: rows.map((row) => [row.id, format(row[axis])]),
    hovertemplate: "<b>%{customdata[0]}</b><br>fitness %{y:.4f}<br>cost %{customdata[1]}<extra></extra>",
    marker,
  };
}

export const OVERVIEW_MODES = {
  best: { label: "best so far", key: "best" },
  topk: { label: "top-k mean", key: "topk" },
};

/** One trace per run over rounds, best-so-far or top-k mean (Figure 4 of the AssembleNet paper). */
export function drawRunsFitness(div, curves, mode) {
  const key = OVERVIEW_MODES[mode].key;
  const traces = [...curves.entries()].map(([run, curve], index) => {
    const pairs = curve[key] || [];
    const color = COLORS[index % COLORS.length];
    return {
      name: run,
      type: "scatter",
      mode: "lines+markers",
      x: pairs.map((pair) => pair[0]),
      y: pairs.map((pair) => pair[1]),
      line: { color, width: 2 },
      marker: { size: 5, color },
      hovertemplate: `${plotlyText(run)}<br>round %{x}<br>${OVERVIEW_MODES[mode].label} %{y:.4f}<extra></extra>`,
    };
  });
  draw(div, traces, { ...baseLayout("fitness-all", "round", OVERVIEW_MODES[mode].label), height: 300 });
}

/**
 * A candidate's training curve. Its shape is whatever the trainer recorded: a list of numbers or of
 * records; each numeric field of the records becomes a line over "step" (or the record's position).
 */
export function drawTrainingCurve(div, curve) {
  const records = curve.map((entry, index) => (typeof entry === "number" ? { step: index, value: entry } : entry));
  const fields = new Set();
  for (const record of records) {
    for (const [name, value] of Object.entries(record || {})) if (typeof value === "number") fields.add(name);
  }
  const xField = ["step", "iteration", "epoch"].find((name) => fields.has(name));
  fields.delete(xField);
  const traces = [...fields].map((field, index) => ({
    name: field,
    type: "scatter",
    mode: "lines",
    x: records.map((record, position) => (xField ? record[xField] : position)),
    y: records.map((record) => record?.[field] ?? null),
    line: { color: COLORS[index % COLORS.length], width: 2 },
  }));
  draw(div, traces, { ...baseLayout("training", xField || "step", "value"), height: 260 });
}
