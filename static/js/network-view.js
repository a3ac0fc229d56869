// The network diagram: input, hidden and output nodes with a heatmap thumbnail each, links
// whose colour and thickness follow the weight, and bias squares. The DOM is built once per
// architecture; a frame only updates attributes that changed.

import { weightCss } from "./colors.js";

const SVG = "http://www.w3.org/2000/svg";
const NODE = 30;

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function div(cls, attrs = {}) {
  const el = document.createElement("div");
  el.className = cls;
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/** An event-like position at the centre of `el`, where a card opened from the keyboard goes. */
function centreOf(el) {
  const r = el.getBoundingClientRect();
  return { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, target: el, keyboard: true };
}

/** Words for a screen reader: which weight or bias an element edits. */
function describeParam(param, arch) {
  const layerName = (l) => (l === 0 ? "input" : l === arch.hidden.length + 1 ? "output" : `layer ${l}`);
  if (param.kind === "bias") return `Bias of ${layerName(param.layer + 1)} neuron ${param.neuron + 1}`;
  const feature = arch.features.find((f) => f.name === arch.active[param.source]);
  const from = param.layer === 0 ? feature.label : `${layerName(param.layer)} neuron ${param.source + 1}`;
  return `Weight from ${from} to ${layerName(param.layer + 1)} neuron ${param.target + 1}`;
}

export class NetworkView {
  /**
   * @param {HTMLElement} root container (position: relative)
   * @param {object} on callbacks: hoverNode(layer, neuron) / hoverNode(null),
   *   toggleFeature(name), enterParam(param, event), leaveParam(), clickParam(param, event),
   *   shown(): a thumbnail came on screen and needs the last frame drawn again
   */
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.key = null;
    // The dashes' flow is decoration: still under prefers-reduced-motion (the maps go on),
    // and where the CSS sets --dash-flow: 0 (phones: each step restyles every link).
    this.still = window.matchMedia("(prefers-reduced-motion: reduce)");
    this.flow = true;
    this.lineWeight = 1;
    // While the diagram is scrolled out of the viewport its thumbnails and links are not
    // drawn (on a phone the network is below the map); back on screen, it asks for a redraw
    // (`on.shown`). One target for the whole diagram: the browser checks every observed
    // element on each rendered frame.
    this.onScreen = false;
    this.watcher = new IntersectionObserver((entries) => this.seen(entries));
  }

  seen(entries) {
    const was = this.onScreen;
    for (const e of entries) this.onScreen = e.isIntersecting;
    if (this.onScreen && !was && this.on.shown) this.on.shown();
  }

  /** `list` while the diagram is on screen, else nulls (NetworkView.paint skips them). */
  shownOnly(list) {
    return this.onScreen ? list : list.map(() => null);
  }

  /**
   * Builds the diagram if the architecture changed.
   * arch: {features: [{name, label}], active: [names], hidden: [sizes], outputs: K}
   */
  build(arch) {
    // Fitted to the viewport, the diagram also depends on where it starts on the page.
    const fit = getComputedStyle(this.root).getPropertyValue("--fit-height").trim() === "1";
    const place = fit ? `|${Math.round(this.root.getBoundingClientRect().top)}|${window.innerHeight}` : "";
    const key = JSON.stringify(arch) + place;
    if (key === this.key) return;
    this.key = key;
    this.arch = arch;
    this.root.replaceChildren();
    // Observed again: the first report of a new observation redraws the new diagram.
    this.watcher.disconnect();
    this.onScreen = false;
    const columns = [arch.features.length, ...arch.hidden, arch.outputs];
    const { width, sizes, spacings } = this.measure(columns);
    // Heavier lines where the page asks for more contrast (CSS --link-weight).
    this.lineWeight = parseFloat(getComputedStyle(this.root).getPropertyValue("--link-weight")) || 1;
    this.flow = getComputedStyle(this.root).getPropertyValue("--dash-flow").trim() !== "0";
    this.node = Math.max(...sizes);
    this.sizes = sizes;
    const node = this.node;
    const height = Math.max(...columns.map((count, c) => count * spacings[c])) + 10;
    // The first column leaves room on its left for the feature labels.
    const left = Math.max(70, Math.round(node * 2.2));
    const right = 20;
    const xs = columns.map((_, c) => left + (c * (width - left - right - node)) / (columns.length - 1));
    const ys = (count, c) => {
      const top = (spacings[c] - sizes[c]) / 2;
      return Array.from({ length: count }, (_, i) => top + i * spacings[c]);
    };
    this.root.style.height = `${height}px`;
    // The hover paths are the weights' focusable buttons; the drawn lines are only pictures.
    this.svg = svg("svg", { width, height, class: "links", role: "group", "aria-label": "Weights" });
    this.linkGroup = svg("g", { class: "link-lines", "aria-hidden": "true" });
    this.hoverGroup = svg("g", { class: "link-hovers" });
    this.svg.append(this.linkGroup, this.hoverGroup);
    this.root.append(this.svg);
    this.watcher.observe(this.root);
    this.columnX = xs;

    // Nodes, column by column; protocol layer 0 is the inputs.
    this.inputCanvases = new Map();
    this.neuronCanvases = [];
    this.biases = [];
    const positions = columns.map((count, c) => ys(count, c).map((y) => [xs[c], y]));
    arch.features.forEach((f, i) => {
      const [x, y] = positions[0][i];
      const activeIndex = arch.active.indexOf(f.name);
      const node = this.addNode(x, y, sizes[0], `input ${activeIndex < 0 ? "inactive" : "active"}`);
      node.dataset.feature = f.name;
      node.dataset.active = String(activeIndex >= 0);
      node.setAttribute("role", "switch");
      node.setAttribute("tabindex", "0");
      node.setAttribute("aria-checked", String(activeIndex >= 0));
      node.setAttribute("aria-label", `Feature ${f.label}: ${activeIndex >= 0 ? "on" : "off"}`);
      const label = div("node-label");
      label.textContent = f.label;
      node.append(label);
      node.addEventListener("click", () => this.on.toggleFeature(f.name));
      node.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          e.stopPropagation();
          this.on.toggleFeature(f.name);
        }
      });
      // Every input shows its feature's own map; CSS dims the inactive ones.
      this.inputCanvases.set(f.name, node.querySelector("canvas"));
      if (activeIndex >= 0) this.hoverable(node, 0, activeIndex);
    });
    for (let c = 1; c < columns.length; c++) {
      positions[c].forEach(([x, y], j) => {
        const isOutput = c === columns.length - 1;
        const node = this.addNode(x, y, sizes[c], isOutput ? "neuron output" : "neuron");
        node.dataset.layer = String(c);
        node.dataset.neuron = String(j);
        node.setAttribute("aria-label", `${isOutput ? "Output" : `Layer ${c}`} neuron ${j + 1}`);
        this.neuronCanvases.push(node.querySelector("canvas"));
        this.hoverable(node, c, j);
        const bias = div("bias", { "data-bias": `${c - 1}:${j}` });
        node.append(bias);
        const param = { kind: "bias", layer: c - 1, neuron: j };
        this.paramEvents(bias, param);
        this.biases.push({ el: bias, param, shown: "" });
      });
    }

    // Links: one visible path and one wide invisible hover path per weight.
    this.links = [];
    for (let l = 0; l < columns.length - 1; l++) {
      const from = l === 0 ? arch.active.map((n) => arch.features.findIndex((f) => f.name === n)) : null;
      for (let i = 0; i < columns[l] && (l > 0 || i < arch.active.length); i++) {
        const [x0, y0] = positions[l][from ? from[i] : i];
        for (let j = 0; j < columns[l + 1]; j++) {
          const [x1, y1] = positions[l + 1][j];
          const fan = columns[l] > 1 ? ((i / (columns[l] - 1)) * 2 - 1) * 0.2 * sizes[l + 1] : 0;
          const sx = x0 + sizes[l];
          const sy = y0 + sizes[l] / 2;
          const ex = x1;
          const ey = y1 + sizes[l + 1] / 2 + fan;
          const mx = (sx + ex) / 2;
          const d = `M${sx},${sy}C${mx},${sy} ${mx},${ey} ${ex},${ey}`;
          const line = svg("path", { d, class: "link" });
          const hover = svg("path", { d, class: "link-hover", "data-link": `${l}:${i}:${j}` });
          this.linkGroup.append(line);
          this.hoverGroup.append(hover);
          const param = { kind: "weight", layer: l, source: i, target: j };
          this.paramEvents(hover, param);
          this.links.push({ el: line, param, width: -1, color: "" });
        }
      }
    }
    this.values = null;
  }

  /**
   * Node size and spacing per column: the CSS `--node` size (larger in presentation mode).
   * With `--fit-height: 1` the diagram ends inside the viewport: the neurons keep their
   * size as long as they fit, and the input column alone shrinks to hold every feature.
   */
  measure(columns) {
    const style = getComputedStyle(this.root);
    const fit = style.getPropertyValue("--fit-height").trim() === "1";
    const width = Math.max(fit ? 240 : 360, this.root.clientWidth || 520);
    const node = parseFloat(style.getPropertyValue("--node")) || NODE;
    const tallest = Math.max(...columns);
    const spacing = Math.max(node + 4, Math.min(node * 1.4, (400 * node) / NODE / tallest));
    if (!fit) return { width, sizes: columns.map(() => node), spacings: columns.map(() => spacing) };
    const room = window.innerHeight - this.root.getBoundingClientRect().top - 26;
    const neurons = Math.max(...columns.slice(1));
    const neuronSpacing = Math.max(12, Math.min(node * 1.25, room / neurons));
    const neuronNode = Math.min(node, neuronSpacing - 4);
    const inputSpacing = Math.max(12, Math.min(neuronSpacing, room / columns[0]));
    const inputNode = Math.min(neuronNode, inputSpacing - 4);
    return {
      width,
      sizes: columns.map((_, c) => (c === 0 ? inputNode : neuronNode)),
      spacings: columns.map((_, c) => (c === 0 ? inputSpacing : neuronSpacing)),
    };
  }

  addNode(x, y, size, cls) {
    const node = div(`node ${cls}`);
    node.style.left = `${x}px`;
    node.style.top = `${y}px`;
    node.style.width = `${size}px`;
    node.style.height = `${size}px`;
    const canvas = document.createElement("canvas");
    canvas.width = 1;
    canvas.height = 1;
    node.append(canvas);
    this.root.append(node);
    return node;
  }

  /** Pointer hover, keyboard focus or a tap shows the node's map in the big output. */
  hoverable(node, layer, neuron) {
    const enter = () => {
      node.classList.add("hovered");
      this.on.hoverNode(layer, neuron);
    };
    const leave = () => {
      node.classList.remove("hovered");
      this.on.hoverNode(null);
    };
    if (!node.hasAttribute("tabindex")) node.setAttribute("tabindex", "0");
    node.addEventListener("mouseenter", enter);
    node.addEventListener("mouseleave", leave);
    node.addEventListener("focus", () => {
      enter();
      this.describe(node, layer, neuron);
    });
    node.addEventListener("blur", leave);
    // Touch has no hover: a tap focuses the node (enlarged), a tap elsewhere blurs it, and a
    // second tap on the same node gives the big map back to the output.
    let wasOn = false;
    node.addEventListener("pointerdown", (e) => {
      wasOn = e.pointerType !== "mouse" && node.classList.contains("hovered");
    });
    node.addEventListener("click", () => {
      if (!wasOn) return;
      wasOn = false;
      node.blur();
      leave();
    });
  }

  /** A focused node's map in words, read by a screen reader as the node's description. */
  describe(node, layer, neuron) {
    const text = this.on.describeNode && this.on.describeNode(layer, neuron);
    const target = document.querySelector("[data-node-description]");
    if (!text || !target) return;
    target.textContent = text;
    node.setAttribute("aria-describedby", target.id);
  }

  /** Pointer and keyboard: hover or focus shows the value; click or Enter opens the editor. */
  paramEvents(el, param) {
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "button");
    el.setAttribute("aria-label", describeParam(param, this.arch));
    el.addEventListener("mouseenter", (e) => this.on.enterParam(param, this.paramValue(param), e));
    el.addEventListener("mouseleave", () => this.on.leaveParam());
    el.addEventListener("click", (e) => {
      e.stopPropagation();
      this.on.clickParam(param, this.paramValue(param), e);
    });
    el.addEventListener("focus", () => this.on.enterParam(param, this.paramValue(param), centreOf(el)));
    el.addEventListener("blur", () => this.on.leaveParam());
    el.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
      e.stopPropagation();
      this.on.clickParam(param, this.paramValue(param), centreOf(el));
    });
  }

  /** Offsets of each layer's W and b in the flat weights array (W row-major, then b). */
  layout() {
    const sizes = [this.arch.active.length, ...this.arch.hidden, this.arch.outputs];
    const out = [];
    let offset = 0;
    for (let l = 0; l < sizes.length - 1; l++) {
      out.push({ w: offset, b: offset + sizes[l] * sizes[l + 1], width: sizes[l + 1] });
      offset += (sizes[l] + 1) * sizes[l + 1];
    }
    return out;
  }

  paramValue(param) {
    if (!this.values) return null;
    const at = this.offsets[param.layer];
    return param.kind === "weight"
      ? this.values[at.w + param.source * at.width + param.target]
      : this.values[at.b + param.neuron];
  }

  /** Takes the flat float32 weights (read by paramValue); `restyle()` shows them in `ramp`. */
  updateWeights(values, ramp) {
    this.values = values;
    this.ramp = ramp;
    this.offsets = this.layout();
  }

  /** Restyles links and biases from the last weights; touches only what changed. */
  restyle() {
    // Off screen, restyling every link would still cost style and paint on each frame.
    if (!this.onScreen || !this.values) return;
    const ramp = this.ramp;
    const scale = (this.node / NODE) * this.lineWeight;
    for (const link of this.links) {
      const w = this.paramValue(link.param);
      // Width: |w| in [0, 5] -> [1, 10] px as the reference (scaled with the nodes), in
      // half-pixel steps.
      const width = Math.round(Math.min(10, 1 + (Math.abs(w) / 5) * 9) * scale * 2) / 2;
      const color = weightCss(ramp, w);
      if (width !== link.width) {
        link.width = width;
        link.el.setAttribute("stroke-width", width);
      }
      if (color !== link.color) {
        link.color = color;
        link.el.setAttribute("stroke", color);
      }
    }
    for (const bias of this.biases) {
      const color = weightCss(ramp, this.paramValue(bias.param));
      if (color === bias.shown) continue;
      bias.shown = color;
      bias.el.style.background = color;
    }
  }

  /**
   * Makes the dashes flow with the epoch, as the reference (offset -epoch/3). The offset is
   * set once on the group (the paths inherit it) and only in whole pixels, because every
   * change restyles and repaints all links.
   */
  updateEpoch(epoch) {
    const offset = this.still.matches || !this.flow ? 0 : -(Math.floor(epoch / 3) % 10);
    if (offset === this.dashOffset) return;
    this.dashOffset = offset;
    this.linkGroup.style.strokeDashoffset = `${offset}px`;
  }

  /** Paints thumbnails from (count, t, t) quantised bytes through `lut`. */
  static paint(canvases, bytes, t, lut) {
    const size = t * t;
    let image = null;
    let pixels = null;
    canvases.forEach((canvas, k) => {
      if (!canvas || (k + 1) * size > bytes.length) return;
      if (canvas.width !== t) {
        canvas.width = t;
        canvas.height = t;
      }
      const ctx = canvas.getContext("2d");
      if (!image) {
        image = ctx.createImageData(t, t);
        pixels = new Uint32Array(image.data.buffer);
      }
      for (let p = 0, q = k * size; p < size; p++, q++) pixels[p] = lut[bytes[q]];
      ctx.putImageData(image, 0, 0);
    });
  }

  /**
   * Updates every hidden and output neuron's thumbnail; `outputLuts`, one per output. Maps
   * already on these canvases (a frame carries the last thumbnails received when they barely
   * changed) are not painted again.
   */
  updateNeurons(bytes, t, lut, outputLuts = null) {
    const painted = [this.neuronCanvases, bytes, t, lut, ...(outputLuts || [])];
    const same = this.painted && painted.length === this.painted.length && painted.every((v, i) => v === this.painted[i]);
    if (same && this.onScreen) return;
    this.painted = this.onScreen ? painted : null;
    const canvases = this.shownOnly(this.neuronCanvases);
    if (!outputLuts) {
      NetworkView.paint(canvases, bytes, t, lut);
      return;
    }
    const first = canvases.length - outputLuts.length;
    const only = (from, to) => canvases.map((c, i) => (i >= from && i < to ? c : null));
    NetworkView.paint(only(0, first), bytes, t, lut);
    outputLuts.forEach((each, j) => NetworkView.paint(only(first + j, first + j + 1), bytes, t, each));
  }

  /**
   * Updates the inputs' thumbnails (sent after a rebuild only): map k is feature names[k]
   * (every feature, docs/protocol.md); without names, the active features in order.
   */
  updateInputs(bytes, t, lut, names = this.arch.active) {
    NetworkView.paint(this.shownOnly(names.map((name) => this.inputCanvases.get(name))), bytes, t, lut);
  }

  /** Centre x of each column (for the layer controls above the diagram). */
  columns() {
    return this.columnX.map((x, c) => x + this.sizes[c] / 2);
  }
}
