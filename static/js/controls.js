// Form controls bound by data attributes: `data-field="<wire name>"` for config fields
// (their choices and bounds come from the server's OPTIONS) and `data-ui="<name>"` for
// page-only settings. Changes are reported as (name, value); the DOM never holds state.

import { label } from "./labels.js";

function parseFor(option, el) {
  if (el.type === "checkbox") return el.checked;
  const text = el.value.trim();
  if (!option) return text;
  if (text === "" && option.nullable) return null; // e.g. num_points: automatic
  if (option.type === "int") return Number.parseInt(text, 10);
  if (option.type === "float") return Number(text);
  if (option.type === "float|list[float]") {
    const items = text.split(",").map(Number);
    return items.length > 1 ? items : items[0];
  }
  return text;
}

const SLIDER_MS = 100;

/**
 * Calls `fn(value)` at most every `ms`, and once more with the last value; `pending()` says
 * whether a last value is still waiting.
 */
function throttle(fn, ms) {
  let last = -Infinity;
  let timer = null;
  const call = (value) => {
    timer = null;
    last = performance.now();
    fn(value);
  };
  const throttled = (value) => {
    const wait = last + ms - performance.now();
    clearTimeout(timer);
    timer = null;
    if (wait <= 0) call(value);
    else timer = setTimeout(() => call(value), wait);
  };
  throttled.pending = () => timer !== null;
  return throttled;
}

function fillSelect(select, values) {
  const current = select.value;
  select.replaceChildren(
    ...values.map(([value, text]) => {
      const option = document.createElement("option");
      option.value = String(value);
      option.textContent = text;
      return option;
    }),
  );
  if (values.some(([v]) => String(v) === current)) select.value = current;
}

export class Controls {
  /**
   * @param {HTMLElement} root where to look for bound elements
   * @param {object} options the server's OPTIONS
   * @param {(name: string, value: any, scope: "config"|"ui") => void} change
   */
  constructor(root, options, change) {
    this.root = root;
    this.options = options;
    this.change = change;
    this.dragging = new Map(); // slider -> whether it still has a value to send
    this.bindAll();
  }

  /** (Re)binds every bound element under root that is not bound yet. */
  bindAll() {
    for (const el of this.root.querySelectorAll("[data-field], [data-ui]")) {
      if (el.dataset.bound) continue;
      el.dataset.bound = "1";
      const name = el.dataset.field || el.dataset.ui;
      const scope = el.dataset.field ? "config" : "ui";
      const option = scope === "config" ? this.options[name] : null;
      if (el.tagName === "SELECT" && option) this.fillChoices(el, option);
      if (el.type === "range" && option && option.min !== undefined) {
        el.min = String(Math.max(Number(el.min), option.min));
      }
      if (el.id === "") el.id = `control-${name}`;
      const report = (value) => {
        if (typeof value === "number" && Number.isNaN(value)) return;
        if (Array.isArray(value) && value.some(Number.isNaN)) return;
        this.change(name, value, scope);
      };
      if (el.type === "range") {
        // Sliders report while dragging, at most every SLIDER_MS and always the final value
        // (each change of a data slider regenerates the data on the server).
        const throttled = throttle(report, SLIDER_MS);
        this.dragging.set(el, throttled.pending);
        el.addEventListener("input", () => {
          this.showValue(name, el.value);
          throttled(parseFor(option, el));
        });
      } else {
        el.addEventListener("change", () => report(parseFor(option, el)));
      }
    }
  }

  fillChoices(select, option) {
    if (select.dataset.presets) {
      const presets = select.dataset.presets.split(",").map(Number);
      const inRange = presets.filter((v) => v >= option.min && v <= option.max);
      fillSelect(select, inRange.map((v) => [v, String(v)]));
    } else if (option.choices) {
      fillSelect(select, option.choices.map((c) => [c, label(c)]));
    } else if (option.type === "int") {
      const values = [];
      for (let v = option.min; v <= option.max; v++) values.push([v, String(v)]);
      fillSelect(select, values);
    }
  }

  /** Offers `values` ([[value, text], ...]) in a page-only select. */
  setChoices(name, values) {
    for (const el of this.root.querySelectorAll(`select[data-ui="${name}"]`)) fillSelect(el, values);
  }

  showValue(name, text) {
    for (const out of this.root.querySelectorAll(`[data-value-for="${name}"]`)) out.textContent = text;
  }

  /**
   * Reflects `values` (config or ui) into the bound elements without reporting changes.
   * A text or number field being typed into is left alone unless `force` is set.
   */
  update(values, scope = "config", force = false) {
    const attr = scope === "config" ? "data-field" : "data-ui";
    for (const [name, value] of Object.entries(values)) {
      for (const el of this.root.querySelectorAll(`[${attr}="${name}"]`)) {
        const typing = el.type === "text" || el.type === "number";
        if (!force && typing && document.activeElement === el) continue;
        // An echo of an earlier value must not pull a slider back while it is dragged.
        if (!force && this.dragging.get(el)?.()) continue;
        this.setElement(el, value);
      }
      const dragged = [...this.dragging].some(([el, pending]) => el.dataset.field === name && pending());
      if (value !== null && value !== undefined && !dragged) this.showValue(name, String(value));
    }
  }

  setElement(el, value) {
    if (el.type === "checkbox") {
      el.checked = Boolean(value);
      return;
    }
    if (value === null || value === undefined) {
      el.value = "";
      return;
    }
    const text = Array.isArray(value) ? value.join(",") : String(value);
    if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === text)) {
      // A value from the URL or the server that no preset offers still shows.
      const option = document.createElement("option");
      option.value = text;
      option.textContent = Array.isArray(value) ? "per layer" : label(text);
      el.append(option);
    }
    if (el.type === "range" && Number(text) > Number(el.max)) el.max = text; // reference: noise 51-80
    el.value = text;
  }
}
