// The dashboard's entry point: hash routing between the four pages, and the live loop that
// refreshes whatever page is shown when a run's journal grows.
//
//   #/                               overview of every run
//   #/runs/<run>                     a run: summary, plots, candidates table
//   #/runs/<run>/candidates/<id>     a candidate
//   #/runs/<run>/lineage             a run's lineage

import { NetworkError, onConnection } from "./api.js";
import { candidateView } from "./candidate_page.js";
import { h } from "./dom.js";
import { lineageView } from "./lineage_page.js";
import { LivePoller, POLL_MS, coalesced } from "./live.js";
import { overviewView } from "./overview.js";
import { runView } from "./run_page.js";
import { StatusBar } from "./status.js";

const main = document.getElementById("view");
const status = new StatusBar();
const scrollPositions = new Map(); // hash -> scrollY, so "back" returns to where the reader was
let current = null;
let shownHash = null;

const refreshRun = coalesced(async (run) => {
  const view = current;
  if (!view) return;
  try {
    await view.refresh(run);
  } catch (error) {
    // an unreachable server is already reported by the banner and retried by the poller
    if (!(error instanceof NetworkError) && view === current) view.fail(error);
  }
});

const live = new LivePoller((run) => refreshRun(run));
const ctx = { status, live };

let wasConnected = true;
onConnection((connected) => {
  status.setConnected(connected);
  // back after an outage: the server may have restarted or the runs moved on, so reload what is shown
  if (connected && !wasConnected && current) for (const run of current.runs || []) refreshRun(run);
  wasConnected = connected;
});

/** The page a hash names: {page, run, id}; unknown hashes give "missing". */
export function parseRoute(hash) {
  let parts;
  try {
    parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return { page: "missing" };
  }
  if (parts.length === 0) return { page: "overview" };
  if (parts[0] !== "runs" || parts.length < 2) return { page: "missing" };
  const run = parts[1];
  if (parts.length === 2) return { page: "run", run };
  if (parts.length === 3 && parts[2] === "lineage") return { page: "lineage", run };
  if (parts.length === 4 && parts[2] === "candidates") return { page: "candidate", run, id: parts[3] };
  return { page: "missing" };
}

function makeView(where) {
  switch (where.page) {
    case "overview":
      return overviewView(ctx);
    case "run":
      return runView(ctx, where.run);
    case "candidate":
      return candidateView(ctx, where.run, where.id);
    case "lineage":
      return lineageView(ctx, where.run);
    default:
      return missingView();
  }
}

function missingView() {
  const root = h(
    "section",
    { class: "view" },
    h("h1", { tabindex: -1 }, "No such page"),
    h("p", {}, "This address names no page of the dashboard. ", h("a", { href: "#/" }, "Back to the runs.")),
  );
  return { root, title: "No such page", runs: [], load: async () => {}, refresh: async () => {}, fail: () => {} };
}

async function show() {
  if (shownHash !== null) scrollPositions.set(shownHash, window.scrollY);
  shownHash = location.hash || "#/";
  const view = makeView(parseRoute(shownHash));
  releasePlots(main);
  live.clear();
  current = view;
  document.title = `${view.title} \u00b7 anet runs`;
  main.replaceChildren(view.root);
  status.show(view.runs || []);
  view.root.querySelector("h1")?.focus({ preventScroll: true });
  const loaded = await loadWithRetry(view);
  if (loaded && current === view) window.scrollTo(0, scrollPositions.get(shownHash) || 0);
}

/** Load a page; while the server cannot be reached, say so and try again every second. */
async function loadWithRetry(view) {
  for (;;) {
    try {
      await view.load();
      if (view.runs === undefined) view.runs = [...live.offsets.keys()];
      return true;
    } catch (error) {
      if (current !== view) return false;
      view.fail(error);
      if (!(error instanceof NetworkError)) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      if (current !== view) return false;
    }
  }
}

/** Free plotly's listeners and WebGL contexts of the page being left. */
function releasePlots(container) {
  if (!window.Plotly) return;
  for (const plot of container.querySelectorAll(".js-plotly-plot")) window.Plotly.purge(plot);
}

window.addEventListener("hashchange", show);
show();
live.start();
