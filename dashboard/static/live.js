// Live updates: poll each shown run's journal for events after the last offset seen.
//
// One request per run per second, chained with setTimeout rather than setInterval so a slow
// server never has two polls of the same run in flight. The server answers with the new offset;
// a `reset` (the journal was repaired or replaced) or new damaged lines count as a change too.

import { api } from "./api.js";

export const POLL_MS = 1000;

export class LivePoller {
  /** `onChange(run, chunk)` runs when a run's journal grew; `onTick()` after every round of polls. */
  constructor(onChange, onTick = () => {}) {
    this.onChange = onChange;
    this.onTick = onTick;
    this.offsets = new Map();
    this.timer = null;
  }

  /** Follow a run from `offset` (the one its summary was read at); a run already followed keeps its own. */
  watch(run, offset) {
    if (!this.offsets.has(run)) this.offsets.set(run, Number.isInteger(offset) ? offset : 0);
  }

  /** Stop following every run (the page changed). */
  clear() {
    this.offsets.clear();
  }

  start() {
    if (this.timer === null) this.timer = setTimeout(() => this.tick(), POLL_MS);
  }

  async tick() {
    await Promise.all([...this.offsets.keys()].map((run) => this.poll(run)));
    this.onTick();
    this.timer = setTimeout(() => this.tick(), POLL_MS);
  }

  async poll(run) {
    const since = this.offsets.get(run);
    let chunk;
    try {
      chunk = await api.events(run, since);
    } catch {
      return; // reported through the connection listener; the next tick retries
    }
    if (!this.offsets.has(run)) return; // the page stopped showing this run meanwhile
    this.offsets.set(run, chunk.offset);
    const changed = chunk.reset || chunk.events.length > 0 || chunk.damaged.length > 0;
    if (changed) this.onChange(run, chunk);
  }
}

/**
 * Wrap an async refresh so that calls arriving while one runs collapse into a single rerun:
 * a burst of events refreshes a run at most twice, never in parallel.
 */
export function coalesced(refresh) {
  const running = new Map();
  const again = new Set();
  return async function run(key) {
    if (running.has(key)) {
      again.add(key);
      return running.get(key);
    }
    const task = (async () => {
      try {
        do {
          again.delete(key);
          await refresh(key);
        } while (again.has(key));
      } finally {
        running.delete(key);
      }
    })();
    running.set(key, task);
    return task;
  };
}
