// Your own points survive a reload: the last custom dataset is kept in this browser's
// localStorage under one key (so it cannot grow past one dataset of MAX_POINTS), and sent
// back as CSV to a new session. When they cannot come back, a note over the map says so.

const KEY = "playground.points";
const MAX_POINTS = 5000;

export class SavedPoints {
  /**
   * @param {Storage|null} storage window.localStorage (null when the browser refuses it)
   * @param {HTMLElement} host where the "not restored" note goes (the map's box)
   */
  constructor(storage, host) {
    this.storage = storage;
    this.note = document.createElement("p");
    this.note.className = "points-note";
    this.note.dataset.pointsNote = "";
    this.note.setAttribute("role", "status");
    this.note.hidden = true;
    this.lost = null; // the note's text, until the empty custom data it explains arrives
    host.append(this.note);
  }

  /** Keeps a `dataset` message's points when the session trains on custom data. */
  save(config, data) {
    const custom = config.dataset === "custom";
    if (custom && !data.points.length && this.lost) {
      // The new session's custom data came back empty: say why instead of a blank map.
      this.note.textContent = this.lost;
      this.note.hidden = false;
      this.lost = null;
    } else if (data.points.length) {
      this.note.hidden = true;
    }
    if (!custom) return;
    if (!this.storage || data.points.length > MAX_POINTS) return;
    try {
      this.storage.setItem(KEY, JSON.stringify({ problem: data.problem, points: data.points }));
    } catch {
      // Storage full or blocked: the next reload says the points could not come back.
    }
  }

  /** CSV of the kept points for `problem` (with their splits); null: the note will show. */
  restore(problem) {
    let kept = null;
    try {
      kept = JSON.parse(this.storage?.getItem(KEY) ?? "null");
    } catch {
      kept = null;
    }
    if (!kept || kept.problem !== problem || !Array.isArray(kept.points) || !kept.points.length) {
      this.lost =
        "Your own points could not be brought back: this browser kept none for this problem type. " +
        "Add them on the map or upload a CSV.";
      return null;
    }
    const target = problem === "regression" ? "target" : "label";
    const rows = kept.points.map(([x1, x2, y, split]) => `${x1},${x2},${y},${split}`);
    return `x1,x2,${target},split\n${rows.join("\n")}\n`;
  }
}

/** localStorage, or null where the browser refuses it (private modes, sandboxed frames). */
export function browserStorage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
