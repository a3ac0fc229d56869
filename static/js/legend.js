// The legend under the output map: the -1…1 colour ramp for one output, or one swatch per
// class (the colours of the points, the blended map and the output neurons) for several.

import { classColors } from "./frame-view.js";

export class Legend {
  /** @param {HTMLElement} root the [data-legend] box holding the ramp's text, bar and ticks */
  constructor(root) {
    this.root = root;
    this.ramp = [...root.children];
    this.classes = document.createElement("ul");
    this.classes.className = "legend-classes";
    this.classes.hidden = true;
    root.append(this.classes);
    this.shown = null;
  }

  /** Shows class swatches for `outputs` > 1 class outputs, else the ramp. */
  update(palette, outputs) {
    const key = `${palette}|${outputs}`;
    if (key === this.shown) return;
    this.shown = key;
    const several = outputs > 1;
    for (const el of this.ramp) el.hidden = several;
    this.classes.hidden = !several;
    if (!several) return;
    this.classes.replaceChildren(
      ...classColors(palette, outputs).map((color, k) => {
        const item = document.createElement("li");
        item.dataset.legendClass = String(k);
        const swatch = document.createElement("span");
        swatch.className = "legend-swatch";
        swatch.style.background = color;
        item.append(swatch, `Class ${k + 1}`);
        return item;
      }),
    );
  }
}
