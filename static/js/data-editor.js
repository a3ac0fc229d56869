// "Your data": whether a click on the output adds or erases points, the class (or value) of
// new points, and the CSV and clear buttons' file handling.

export class DataEditor {
  /** @param {HTMLElement} root the fieldset; `on`: {csv(text), download(), clear()} */
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.mode = "off";
    this.label = 1;
    this.picker = root.querySelector("[data-class-picker]");
    for (const button of root.querySelectorAll("[data-editor-mode]")) {
      button.addEventListener("click", () => this.setMode(button.dataset.editorMode));
    }
    root.querySelector("[data-csv-upload]").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (file) this.on.csv(await file.text());
      event.target.value = "";
    });
  }

  setMode(mode) {
    this.mode = mode;
    for (const button of this.root.querySelectorAll("[data-editor-mode]")) {
      button.setAttribute("aria-pressed", String(button.dataset.editorMode === mode));
    }
  }

  /** Rebuilds the class picker: one swatch per class, or a value slider for regression. */
  update(problem, numClasses, colorOf) {
    const key = `${problem}|${numClasses}|${colorOf.key}`;
    if (key === this.key) return;
    this.key = key;
    if (problem === "regression") {
      const slider = document.createElement("input");
      slider.type = "range";
      slider.min = "-1";
      slider.max = "1";
      slider.step = "0.1";
      slider.value = "1";
      slider.dataset.pointValue = "";
      slider.setAttribute("aria-label", "Value of new points");
      slider.addEventListener("input", () => {
        this.label = Number(slider.value);
      });
      this.label = 1;
      this.picker.replaceChildren(slider);
      return;
    }
    this.label = Math.min(this.label, numClasses - 1);
    const swatches = [];
    for (let k = 0; k < numClasses; k++) {
      const swatch = document.createElement("button");
      swatch.type = "button";
      swatch.className = "swatch";
      swatch.dataset.pointClass = String(k);
      swatch.style.background = colorOf(k);
      swatch.setAttribute("role", "radio");
      swatch.setAttribute("aria-label", `Class ${k + 1}`);
      swatch.setAttribute("aria-checked", String(k === this.label));
      swatch.addEventListener("click", () => {
        this.label = k;
        this.setMode(this.mode === "off" ? "add" : this.mode);
        for (const s of swatches) s.setAttribute("aria-checked", String(s === swatch));
      });
      swatches.push(swatch);
    }
    this.picker.replaceChildren(...swatches);
  }

  /** What a click at data coordinates means: {add: point} / {remove: point} / null. */
  clickAction(x1, x2, shiftKey) {
    if (this.mode === "erase" || (shiftKey && this.mode !== "off")) return { remove: [x1, x2] };
    if (this.mode === "add") return { add: [x1, x2, this.label] };
    return null;
  }
}

/** CSV text of points [[x1, x2, label, ...], ...] with the columns the server reads. */
export function pointsCsv(points) {
  const rows = points.map(([x1, x2, y]) => `${x1.toFixed(4)},${x2.toFixed(4)},${y}`);
  return `x1,x2,label\n${rows.join("\n")}\n`;
}
