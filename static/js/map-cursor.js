// The output map from the keyboard: the map takes focus, arrow keys move a cursor over the
// plane (Shift: in bigger steps), Enter adds a point there (or erases, in Erase mode) and
// Delete erases the points near it, as a click and a shift-click do with the mouse.

import { DOMAIN } from "./heatmap.js";

const STEP = 0.5;
const BIG_STEP = 2;
const MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };

export class MapCursor {
  /**
   * @param {HTMLElement} root the focusable map ([data-heatmap]) holding [data-map-cursor]
   * @param {{edit(x1, x2, erase): string|null, say(text)}} on edit: does what a click (or
   *   with `erase`, a shift-click) at (x1, x2) does: "add", "remove", "locked" (a read-only
   *   run) or null (nothing: Look mode); say: tells a screen reader
   */
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.mark = root.querySelector("[data-map-cursor]");
    this.at = [0, 0];
    root.addEventListener("keydown", (event) => this.key(event));
    root.addEventListener("focus", () => this.show());
    root.addEventListener("blur", () => {
      this.mark.hidden = true;
    });
  }

  /** The cursor's place in words: what arrow keys and Enter report. */
  where() {
    return `Cursor at x1 ${this.at[0]}, x2 ${this.at[1]}`;
  }

  show() {
    const [x1, x2] = this.at;
    this.mark.style.left = `${((x1 + DOMAIN) / (2 * DOMAIN)) * 100}%`;
    this.mark.style.top = `${((DOMAIN - x2) / (2 * DOMAIN)) * 100}%`;
    this.mark.hidden = false;
  }

  key(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const move = MOVES[event.key];
    const erase = event.key === "Delete" || event.key === "Backspace";
    if (!move && event.key !== "Enter" && !erase) return;
    event.preventDefault();
    event.stopPropagation(); // not the page's shortcuts
    if (move) {
      const step = event.shiftKey ? BIG_STEP : STEP;
      this.at = this.at.map((v, i) => Math.max(-DOMAIN, Math.min(DOMAIN, v + move[i] * step)));
      this.show();
      this.on.say(this.where());
      return;
    }
    const done = this.on.edit(this.at[0], this.at[1], erase || event.shiftKey);
    const place = `x1 ${this.at[0]}, x2 ${this.at[1]}`;
    if (done === "add") this.on.say(`Point added at ${place}`);
    else if (done === "remove") this.on.say(`Points erased near ${place}`);
    else if (done === "locked") this.on.say("This run is read-only here: its points cannot change");
    else this.on.say("Choose Add or Erase under Your data first");
  }
}
