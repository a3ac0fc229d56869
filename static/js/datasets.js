// Dataset thumbnails: one 100×100 canvas per dataset of the current problem type, drawn from
// the server's preview points as 4×4 squares (as the reference does), each captioned with
// the dataset's name from the server's OPTIONS (so similar pictures are told apart).

import { label } from "./labels.js";

const SIZE = 100;

export class DatasetPicker {
  /**
   * @param {HTMLElement} root
   * @param {object} datasetOption OPTIONS.dataset (choices and their problems)
   * @param {(name: string) => void} choose
   */
  constructor(root, datasetOption, choose) {
    this.root = root;
    this.option = datasetOption;
    this.choose = choose;
    this.cache = new Map();
    this.shownKey = null;
  }

  /** Shows the datasets of `problem`, marks `selected`; colours come from `colorOf`. */
  update(problem, selected, numClasses, colorOf) {
    const problems = this.option.problems || {};
    const names = this.option.choices.filter((n) => problems[n] === problem);
    const key = `${problem}|${numClasses}|${names.join(",")}|${colorOf.key}`;
    if (key !== this.shownKey) {
      this.shownKey = key;
      this.root.replaceChildren(...names.map((n) => this.thumbnail(n, problem, numClasses, colorOf)));
    }
    for (const button of this.root.children) {
      const on = button.dataset.dataset === selected;
      button.classList.toggle("selected", on);
      button.setAttribute("aria-checked", String(on));
    }
  }

  thumbnail(name, problem, numClasses, colorOf) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "dataset";
    button.dataset.dataset = name;
    button.setAttribute("role", "radio");
    const text = (this.option.choice_labels || {})[name] || label(name);
    button.setAttribute("aria-label", `Dataset: ${text}`);
    const canvas = document.createElement("canvas");
    canvas.width = SIZE;
    canvas.height = SIZE;
    const caption = document.createElement("span");
    caption.className = "dataset-name";
    caption.textContent = text;
    button.append(canvas, caption);
    button.addEventListener("click", () => this.choose(name));
    this.load(name, numClasses).then((points) => draw(canvas, points, colorOf));
    return button;
  }

  async load(name, numClasses) {
    const key = `${name}|${numClasses}`;
    if (!this.cache.has(key)) {
      const url = `/api/datasets/${encodeURIComponent(name)}/preview?num_classes=${numClasses}`;
      this.cache.set(
        key,
        fetch(url).then((r) => (r.ok ? r.json() : [])).catch(() => []),
      );
    }
    return this.cache.get(key);
  }
}

function draw(canvas, points, colorOf) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, SIZE, SIZE);
  const list = Array.isArray(points) ? points : points.points || [];
  for (const [x1, x2, y] of list) {
    ctx.fillStyle = colorOf(y);
    ctx.fillRect(((x1 + 6) / 12) * SIZE - 2, ((6 - x2) / 12) * SIZE - 2, 4, 4);
  }
}
