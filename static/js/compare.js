// The compare view: 2-4 variants of the current run side by side (docs/protocol.md, `compare`).
// Each variant gets a small output map with its label and readouts, one loss chart has a line
// per variant (colour, dash pattern and a text label), and K seeds also show their ensemble.
// It never touches the socket: `send(type, data)` is main.js's. The page's own run goes on
// underneath; leaving the view stops the compare.

import { VARIANT_LINES } from "./colors.js";
import { FrameView } from "./frame-view.js";
import { HeatMap } from "./heatmap.js";
import { label } from "./labels.js";
import { LineChart } from "./linechart.js";

const SEEDS = "seed"; // the "vary" choice that means the seeds form
const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 1000) / 10} %`);
const num = (v) => (v === null || v === undefined ? "–" : v.toFixed(3));

/** The config fields the form offers: choices, numbers and switches (not lists). */
export function variableFields(compare, options) {
  return compare.fields.filter((name) => {
    const o = options[name];
    return o && !o.type.startsWith("list") && name !== "stop_at" && name !== "seed";
  });
}

/** A `compare` start message's data from the form's choice: seeds, or a field's values. */
export function startRequest(field, values) {
  if (field === SEEDS) return { action: "start", seeds: values.length };
  return { action: "start", variants: values.map((value) => ({ [field]: value })) };
}

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

export class CompareView {
  /**
   * @param {HTMLElement} root the view's <section data-compare>
   * @param {{compare, options, send, config: () => object, view: () => object}} parts
   *   compare: the bootstrap's `compare` (limits), null on a room's page; config(): the
   *   run's config now;
   *   view(): the map looks ({palette, discretize, classView})
   */
  constructor(root, { compare, options, send, config, view }) {
    Object.assign(this, { root, compare, options, send, config, view });
    this.cards = [];
    // A room's page (compare: null) has no compare: it is for the page's own session.
    document.querySelector("[data-compare-open]").hidden = !compare;
    if (!compare) return;
    this.chart = null;
    this.labels = [];
    this.form = root.querySelector("[data-compare-form]");
    this.status = root.querySelector("[data-compare-status]");
    this.vary = root.querySelector("[data-compare-field]");
    this.count = root.querySelector("[data-compare-count]");
    this.values = root.querySelector("[data-compare-values]");
    this.vary.append(el("option", { value: SEEDS }, "Only the seed (K seeds and their ensemble)"));
    for (const name of variableFields(compare, options)) {
      this.vary.append(el("option", { value: name }, options[name].label || label(name)));
    }
    for (let k = compare.min_variants; k <= compare.max_variants; k++) {
      this.count.append(el("option", { value: String(k) }, String(k)));
    }
    this.count.value = String(compare.max_variants);
    this.vary.addEventListener("change", () => this.renderValues());
    this.count.addEventListener("change", () => this.renderValues());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.start(startRequest(this.vary.value, this.formValues()));
    });
    root.querySelector("[data-compare-leave]").addEventListener("click", () => this.leave());
    root.addEventListener("keydown", (event) => event.key === "Escape" && this.leave());
    document.querySelector("[data-compare-open]").addEventListener("click", () => this.open());
  }

  get isOpen() {
    return document.body.dataset.view === "compare";
  }

  /** Shows the view (its form first); the page's own panels hide while it is open. */
  open() {
    document.body.dataset.view = "compare";
    this.root.hidden = false;
    this.renderValues();
    this.vary.focus();
  }

  /** Stops the compare and goes back to the page's own run. */
  leave() {
    if (!this.isOpen) return;
    this.send("compare", { action: "stop" });
    delete document.body.dataset.view;
    this.root.hidden = true;
    document.querySelector("[data-compare-open]").focus();
  }

  /** Opens the view and starts `request` (a lesson's variants, or the form's). */
  start(request) {
    if (!this.isOpen) this.open();
    this.status.textContent = "Starting…";
    this.send("compare", request);
  }

  /** A lesson with `compare`: its variants, side by side; any other (or null): leave. */
  openLesson(lesson) {
    if (!this.compare) return; // a room's page: the lesson runs as one run
    if (lesson && lesson.compare) this.start({ action: "start", variants: lesson.compare });
    else this.leave();
  }

  /** One value input per variant for the chosen field (none for seeds). */
  renderValues() {
    const field = this.vary.value;
    const k = Number(this.count.value);
    this.values.replaceChildren();
    if (field === SEEDS) return;
    const o = this.options[field];
    const current = this.config()[field];
    for (let i = 0; i < k; i++) {
      const id = `compare-value-${i}`;
      const box = el("label", { for: id }, `Variant ${i + 1}: `);
      let input;
      if (o.choices || o.type === "bool") {
        input = el("select", { id });
        const choices = o.choices || [true, false];
        for (const c of choices) input.append(el("option", { value: JSON.stringify(c) }, String(c)));
        // Distinct starting choices: the run's own value first, then the next ones.
        const start = Math.max(0, choices.indexOf(current));
        input.value = JSON.stringify(choices[(start + i) % choices.length]);
      } else {
        input = el("input", { id, type: "number", min: o.min, max: o.max, step: "any", value: String(current) });
      }
      input.dataset.compareValue = String(i);
      box.append(input);
      this.values.append(box);
    }
  }

  formValues() {
    if (this.vary.value === SEEDS) return Array.from({ length: Number(this.count.value) });
    return [...this.values.querySelectorAll("[data-compare-value]")].map((input) =>
      input.tagName === "SELECT" ? JSON.parse(input.value) : Number(input.value),
    );
  }

  /** The server's `compare` message: a new compare (build its cards) or a new state. */
  received(data) {
    if (data.state === "running") this.build(data.labels, data.seeds);
    const paused = data.stop_at ? `Paused at epoch ${data.stop_at}, the stop_at epoch.` : "Paused: every variant has stopped.";
    const words = { running: "Training side by side.", paused, stopped: "Stopped." };
    this.status.textContent = words[data.state] || data.state;
    this.root.dataset.state = data.state;
  }

  failed(message) {
    this.status.textContent = message;
  }

  /** One card per variant (and the ensemble's), and a chart with a line per variant. */
  build(labels, seeds) {
    if (!this.isOpen) this.open();
    this.labels = labels;
    const maps = this.root.querySelector("[data-compare-maps]");
    maps.replaceChildren();
    this.cards = labels.map((name, i) => this.card(maps, name, VARIANT_LINES[i], i));
    this.ensemble = seeds ? this.card(maps, `Ensemble: the mean of the ${labels.length} seeds`, null, "ensemble") : null;
    const series = labels.map((_, i) => ({ ...VARIANT_LINES[i], name: String(i), label: VARIANT_LINES[i].name }));
    this.root.querySelector("[data-compare-losses]").hidden = false;
    this.chart = new LineChart(this.root.querySelector("[data-compare-chart]"), series);
    const legend = this.root.querySelector("[data-compare-legend]");
    legend.replaceChildren(...labels.map((name, i) => {
      const item = el("li", { "data-compare-line": String(i) });
      item.append(swatch(VARIANT_LINES[i]), document.createTextNode(`${VARIANT_LINES[i].name}: ${name}`));
      return item;
    }));
  }

  card(parent, name, line, key) {
    const figure = el("figure", { class: "compare-card", "data-compare-card": String(key), tabindex: "0" });
    const canvas = el("canvas", { class: "compare-map", role: "img", "aria-label": `Output map: ${name}` });
    const caption = el("figcaption");
    const title = el("span", { class: "compare-label", "data-compare-label": "" }, line ? `${line.name}: ${name}` : name);
    if (line) title.prepend(swatch(line));
    const readout = el("span", { class: "compare-readout", "data-compare-readout": "" });
    caption.append(title, readout);
    figure.append(canvas, caption);
    parent.append(figure);
    return { figure, readout, name, view: new FrameView({ heatmap: new HeatMap(canvas) }) };
  }

  /** A compare frame: every map, readout and chart line. */
  frame(header) {
    if (!this.isOpen || !this.cards.length || header.variants.length !== this.cards.length) return;
    const look = this.view();
    const sample = {};
    header.variants.forEach((row, i) => {
      const card = this.cards[i];
      card.view.drawMap(header.arrays[`map_${i}`], look, true);
      const text = `epoch ${row.epoch} · test loss ${num(row.test_loss)} · train loss ${num(row.train_loss)} · test accuracy ${pct(row.test_accuracy)}${row.status === "ok" ? "" : ` · ${row.status}`}`;
      card.readout.textContent = text;
      card.figure.setAttribute("aria-label", `${card.name}: ${text}`);
      sample[String(i)] = row.test_loss;
    });
    if (this.ensemble && header.arrays.ensemble) {
      this.ensemble.view.drawMap(header.arrays.ensemble, look, true);
      const text = `test accuracy ${pct(header.ensemble.test_accuracy)}`;
      this.ensemble.readout.textContent = text;
      this.ensemble.figure.setAttribute("aria-label", `${this.ensemble.name}: ${text}`);
    }
    this.chart.addDataPoint(header.epoch, sample);
    this.chart.draw();
  }
}

function swatch(line) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "compare-swatch");
  svg.setAttribute("width", "28");
  svg.setAttribute("height", "10");
  svg.setAttribute("aria-hidden", "true");
  svg.innerHTML = `<line x1="1" y1="5" x2="27" y2="5" stroke="${line.color}" stroke-width="3" stroke-dasharray="${line.dash.join(" ")}"/>`;
  return svg;
}
