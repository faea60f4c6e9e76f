// A run's lineage (#/runs/<run>/lineage): the renderer's SVG inlined so its <a> nodes open the
// candidates, with wheel zoom and drag pan. Failed candidates are greyed by the renderer itself.

import { api } from "./api.js";
import { h, notice, replaceChildren, route } from "./dom.js";
import { panZoom, parseSvg } from "./svg.js";

export function lineageView(ctx, run) {
  const frame = h(
    "div",
    { id: "lineage", class: "svg-frame lineage-frame" },
    h("p", { class: "loading" }, "Loading\u2026"),
  );
  let view = null;
  let userMoved = false;
  const tool = (label, action) => h("button", { type: "button", onclick: () => view && action(view) }, label);
  const root = h(
    "section",
    { class: "view lineage-page" },
    h(
      "nav",
      { class: "crumbs", "aria-label": "breadcrumbs" },
      h("a", { href: "#/" }, "Runs"),
      " / ",
      h("a", { href: route("runs", run) }, run),
      " / lineage",
    ),
    h("h1", { tabindex: -1 }, `Lineage of ${run}`),
    h(
      "div",
      { class: "toolbar" },
      h("p", { class: "hint" }, "Scroll to zoom, drag to pan, click a candidate to open it. Grey: failed."),
      tool("Zoom in", (v) => ((userMoved = true), v.zoom(0.8))),
      tool("Zoom out", (v) => ((userMoved = true), v.zoom(1.25))),
      tool("Fit", (v) => ((userMoved = false), v.fit())),
    ),
    frame,
  );
  // a zoom or pan by the reader is kept when a live run redraws its lineage
  frame.addEventListener("wheel", () => (userMoved = true), { passive: true });
  frame.addEventListener("pointerdown", () => (userMoved = true));

  async function refresh() {
    const [summary, text] = await Promise.all([api.summary(run), api.lineage(run)]);
    ctx.status.noteSummary(summary);
    ctx.live.watch(run, summary.offset);
    const svg = parseSvg(text);
    const kept = userMoved && view ? view.viewBox() : null;
    replaceChildren(frame, svg);
    view = panZoom(svg);
    if (kept) view.setViewBox(kept);
  }

  return {
    root,
    title: `lineage \u00b7 ${run}`,
    runs: [run],
    load: refresh,
    refresh,
    fail: (error) => replaceChildren(frame, notice(error.message, "error")),
  };
}
