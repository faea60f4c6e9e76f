// The candidates table (table#candidates): sortable by any column, filtered by #filter, rows that
// open the candidate page. Live updates replace only the body, so the reader's sort, filter,
// scroll position and keyboard focus survive them.

import { DASH, formatCount, formatFitness, formatMs, h, replaceChildren, route } from "./dom.js";

const COLUMNS = [
  { key: "id", label: "Candidate", numeric: false },
  { key: "round", label: "Round", numeric: true },
  { key: "status", label: "Status", numeric: false },
  { key: "fitness", label: "Fitness", numeric: true, format: formatFitness },
  { key: "params", label: "Params", numeric: true, format: formatCount },
  { key: "flops", label: "FLOPs", numeric: true, format: formatCount },
  { key: "latency_ms", label: "Latency", numeric: true, format: formatMs },
  { key: "parent", label: "Parent", numeric: false },
  { key: "mutations", label: "Mutations", numeric: false, wrap: true, format: (list) => (list || []).join(", ") },
  { key: "reason", label: "Failure reason", numeric: false, wrap: true },
];

// Sort and filter per run, kept while the reader visits a candidate and comes back.
const savedState = new Map();

export class CandidatesTable {
  constructor(run) {
    this.run = run;
    this.rows = [];
    this.state = savedState.get(run) || { key: "fitness", descending: true, filter: "" };
    savedState.set(run, this.state);
    this.filterInput = h("input", {
      id: "filter",
      type: "search",
      placeholder: "id, status, mutation, reason\u2026",
      value: this.state.filter,
      "aria-controls": "candidates",
      oninput: () => this.setFilter(this.filterInput.value),
    });
    this.countLabel = h("span", { class: "row-count", "aria-live": "polite" });
    this.headerRow = h(
      "tr",
      {},
      COLUMNS.map((column) => this.header(column)),
    );
    this.body = h("tbody", { onclick: (event) => this.openFromEvent(event), onkeydown: (event) => this.onKey(event) });
    this.table = h("table", { id: "candidates", class: "data-table" }, h("thead", {}, this.headerRow), this.body);
    this.element = h(
      "div",
      { class: "candidates" },
      h("div", { class: "table-tools" }, h("label", { for: "filter" }, "Filter"), this.filterInput, this.countLabel),
      h("div", { class: "table-scroll" }, this.table),
    );
  }

  header(column) {
    return h(
      "th",
      { scope: "col", "data-sort": column.key, class: column.numeric ? "numeric" : null },
      h("button", { type: "button", onclick: () => this.sortBy(column.key) }, column.label),
    );
  }

  setRows(rows) {
    this.rows = rows;
    this.render();
  }

  sortBy(key) {
    if (this.state.key === key) this.state.descending = !this.state.descending;
    else Object.assign(this.state, { key, descending: COLUMNS.find((c) => c.key === key).numeric });
    this.render();
  }

  setFilter(text) {
    this.state.filter = text;
    this.render();
  }

  render() {
    const focusedId = this.body.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    const visible = sortRows(this.rows.filter(matcher(this.state.filter)), this.state);
    replaceChildren(
      this.body,
      visible.map((row) => this.rowElement(row)),
    );
    if (visible.length === 0) {
      const text = this.rows.length === 0 ? "No candidates yet." : "No candidate matches the filter.";
      this.body.append(h("tr", { class: "empty" }, h("td", { colspan: COLUMNS.length }, text)));
    }
    this.countLabel.textContent = `${visible.length} of ${this.rows.length} candidates`;
    this.renderSortMarks();
    if (focusedId !== null) this.body.querySelector(`tr[data-id="${CSS.escape(focusedId)}"]`)?.focus();
  }

  renderSortMarks() {
    for (const th of this.headerRow.children) {
      const sorted = th.dataset.sort === this.state.key;
      if (sorted) th.setAttribute("aria-sort", this.state.descending ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    }
  }

  rowElement(row) {
    const cells = COLUMNS.map((column) => {
      const value = row[column.key];
      const text = column.format ? column.format(value) : value === null || value === undefined ? DASH : String(value);
      if (column.key === "status") return h("td", {}, h("span", { class: `badge status-${row.status}` }, text));
      if (column.key === "parent" && row.parent) {
        return h("td", {}, h("a", { href: route("runs", this.run, "candidates", row.parent) }, text));
      }
      return h("td", { class: column.numeric ? "numeric" : column.wrap ? "wrap" : null }, text);
    });
    const label = `candidate ${row.id}, ${row.status}, fitness ${formatFitness(row.fitness)}`;
    return h("tr", { "data-id": row.id, tabindex: 0, class: `row-${row.status}`, "aria-label": label }, cells);
  }

  openFromEvent(event) {
    if (event.target.closest("a")) return; // the parent link opens the parent
    const row = event.target.closest("tr[data-id]");
    if (row) location.hash = route("runs", this.run, "candidates", row.dataset.id);
  }

  onKey(event) {
    const row = event.target.closest("tr[data-id]");
    if (!row) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      location.hash = route("runs", this.run, "candidates", row.dataset.id);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = event.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling;
      next?.focus();
    }
  }
}

/** A row matches when every word of the filter appears in its text (case-insensitive). */
function matcher(filter) {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return () => true;
  return (row) => {
    const text = [row.id, row.status, row.parent, row.reason, `round ${row.round}`, ...(row.mutations || [])]
      .filter((part) => part !== null && part !== undefined)
      .join(" ")
      .toLowerCase();
    return words.every((word) => text.includes(word));
  };
}

/** Sort by the chosen column; rows without a value go last either way, ties keep id order. */
function sortRows(rows, { key, descending }) {
  const column = COLUMNS.find((c) => c.key === key) || COLUMNS[0];
  const value = (row) => (column.key === "mutations" ? (row.mutations || []).join(", ") : row[column.key]);
  const compare = (a, b) => {
    const left = value(a);
    const right = value(b);
    const missingLeft = left === null || left === undefined || left === "";
    const missingRight = right === null || right === undefined || right === "";
    const byId = () => String(a.id).localeCompare(String(b.id), undefined, { numeric: true });
    if (missingLeft || missingRight) return missingLeft - missingRight || byId();
    const order = column.numeric
      ? left - right
      : String(left).localeCompare(String(right), undefined, { numeric: true });
    return (descending ? -order : order) || byId();
  };
  return [...rows].sort(compare);
}
