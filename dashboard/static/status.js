// The page header's live state: #status ("live" / "finished" and the last update time),
// #damaged (journal lines that could not be read) and #connection (the server cannot be reached).

import { formatClock, h, replaceChildren } from "./dom.js";

export class StatusBar {
  constructor() {
    this.status = document.getElementById("status");
    this.damaged = document.getElementById("damaged");
    this.connection = document.getElementById("connection");
    this.summaries = new Map();
    this.lastUpdate = null;
    this.offlineSince = null;
  }

  /** The runs the current page shows; their summaries decide the status. */
  show(runs) {
    for (const run of [...this.summaries.keys()]) if (!runs.includes(run)) this.summaries.delete(run);
    this.render();
  }

  /** A run's summary was (re)loaded: its data is as of now. */
  noteSummary(summary) {
    this.summaries.set(summary.name, summary);
    this.lastUpdate = new Date();
    this.render();
  }

  /** The server answered (true) or could not be reached (false). */
  setConnected(connected) {
    if (connected === (this.offlineSince === null)) return;
    this.offlineSince = connected ? null : new Date();
    this.renderConnection();
  }

  render() {
    this.renderStatus();
    this.renderDamaged();
  }

  renderStatus() {
    const summaries = [...this.summaries.values()];
    if (summaries.length === 0) {
      replaceChildren(this.status);
      return;
    }
    const finished = summaries.every((summary) => summary.finished);
    const state = finished ? "finished" : "live";
    this.status.dataset.state = state;
    const updated = this.lastUpdate ? `last update ${formatClock(this.lastUpdate)}` : "";
    replaceChildren(
      this.status,
      h("span", { class: `state state-${state}` }, state),
      " ",
      h("span", { class: "updated" }, updated),
    );
  }

  renderDamaged() {
    const items = [];
    for (const summary of this.summaries.values()) {
      for (const damaged of summary.damaged || []) items.push(damagedItem(summary.name, damaged));
    }
    this.damaged.hidden = items.length === 0;
    if (items.length === 0) {
      replaceChildren(this.damaged);
      return;
    }
    const heading = `${items.length} damaged journal line${items.length === 1 ? "" : "s"} skipped`;
    replaceChildren(this.damaged, h("strong", {}, heading), h("ul", {}, items));
  }

  renderConnection() {
    this.connection.hidden = this.offlineSince === null;
    if (this.offlineSince !== null) {
      const since = formatClock(this.offlineSince);
      replaceChildren(this.connection, `Cannot reach the dashboard server since ${since}; retrying every second.`);
    }
  }
}

/** One damaged line: its number when the server gives one, else the start of its text. */
function damagedItem(run, damaged) {
  const where = typeof damaged.line === "number" ? `line ${damaged.line}` : "line";
  const text = typeof damaged.line === "string" ? damaged.line.slice(0, 120) : null;
  return h(
    "li",
    {},
    h("span", { class: "damaged-run" }, run),
    `, ${where}: `,
    damaged.problem || "unreadable",
    text ? [" ", h("code", {}, text)] : null,
  );
}
