// The stage: the playground's own components (network, layer controls, weight card, output
// map, loss chart) showing one run, plus the run's controls. It sends through `send` and
// never touches a socket; who may change the run is set from outside (setEditable).

import { pointCss } from "../colors.js";
import { FrameView } from "../frame-view.js";
import { HeatMap } from "../heatmap.js";
import { HoverCard } from "../hovercard.js";
import { label } from "../labels.js";
import { LayerControls } from "../layer-controls.js";
import { LineChart } from "../linechart.js";
import { Metrics } from "../metrics.js";
import { NetworkView } from "../network-view.js";

// Settings shown as text under the controls, so followers see every value that matters.
const SUMMARY = ["problem", "noise", "train_percent", "batch_size", "features", "regularization",
  "regularization_rate", "optimizer", "loss", "epochs_per_frame"];
const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const VIEW = { palette: "default", discretize: false, classView: "all", selecting: false, full: true };

export function fillSelect(select, values, text = label) {
  select.replaceChildren(
    ...values.map((v) => {
      const o = document.createElement("option");
      o.value = String(v);
      o.textContent = text(v);
      return o;
    }),
  );
}

export class Stage {
  /** @param {HTMLElement} root the [data-stage] element; send(type, data) the run's messages */
  constructor(root, options, send) {
    const $ = (s) => root.querySelector(s);
    this.$ = $;
    this.options = options;
    this.send = send;
    this.config = null;
    this.dataset = null;
    this.state = "paused";
    this.editable = false;
    this.outputs = 1;
    this.pending = null; // latest frame not drawn yet
    this.drawn = 0;
    this.lastEpoch = null;
    this.heatmap = new HeatMap($("[data-map]"), $("[data-points]"));
    this.chart = new LineChart($("[data-linechart]"), [
      { name: "train_loss", color: "#777" },
      { name: "test_loss", color: "#000" },
    ]);
    this.card = new HoverCard($("[data-hovercard]"), (param, value) => this.editParam(param, value));
    this.network = new NetworkView($("[data-network]"), {
      hoverNode: () => {},
      toggleFeature: () => {},
      // Everyone can read a weight; only who may change the run can edit it.
      enterParam: (param, value, event) => this.card.show(param, value, event),
      leaveParam: () => this.card.hide(),
      clickParam: (param, value, event) => this.editable && this.card.open(param, value, event),
    });
    this.layers = new LayerControls($("[data-layer-controls]"), options, {
      hidden: (sizes) => send("configure", this.withLayerLists(sizes)),
      activation: (activation) => send("configure", { activation }),
    });
    this.view = new FrameView({
      heatmap: this.heatmap,
      network: this.network,
      chart: this.chart,
      metrics: new Metrics(root),
    });
    this.bind(root);
  }

  bind(root) {
    const $ = this.$;
    fillSelect($("[data-field=learning_rate]"), LEARNING_RATES, String);
    fillSelect($("[data-field=activation]"), this.options.activation.choices);
    fillSelect($("[data-field=dataset]"), this.options.dataset.choices.filter((d) => d !== "custom"));
    for (const el of root.querySelectorAll("select[data-field]")) {
      el.addEventListener("change", () => {
        const value = el.dataset.field === "learning_rate" ? Number(el.value) : el.value;
        this.send("configure", { [el.dataset.field]: value });
      });
    }
    const actions = {
      play: () => this.send(this.state === "playing" ? "pause" : "play"),
      step: () => this.send("step", { epochs: 1 }),
      reset: () => this.send("reset", { reseed: true }),
      add_layer: () =>
        this.config.hidden.length < this.options.hidden.max_layers &&
        this.send("configure", this.withLayerLists([...this.config.hidden, 2])),
      remove_layer: () => this.send("configure", this.withLayerLists(this.config.hidden.slice(0, -1))),
    };
    for (const el of root.querySelectorAll("[data-stage-controls] [data-action]")) {
      const act = actions[el.dataset.action];
      if (act) el.addEventListener("click", act);
    }
    // A click outside the card closes an open weight editor.
    document.addEventListener("click", (e) => !e.target.closest("[data-hovercard]") && this.card.hide(true));
  }

  setEditable(editable) {
    this.editable = editable;
    for (const el of this.$("[data-stage-controls]").querySelectorAll("button, select")) {
      if (el.dataset.action !== "share") el.disabled = !editable;
    }
  }

  /** A new run is shown (joined, forked, re-followed): its loss curve starts afresh. */
  restart() {
    this.chart.reset();
  }

  setConfig(config, rebuilt, layerSizes) {
    this.config = config;
    if (rebuilt && rebuilt.network) this.chart.reset();
    this.outputs = layerSizes[layerSizes.length - 1];
    const $ = this.$;
    $("[data-field=learning_rate]").value = String(config.learning_rate);
    $("[data-field=activation]").value = Array.isArray(config.activation) ? config.activation[0] : config.activation;
    $("[data-field=dataset]").value = config.dataset;
    $("[data-field-value=hidden]").textContent = config.hidden.length ? config.hidden.join(", ") : "none";
    $("[data-config-summary]").textContent = SUMMARY.filter((k) => k in config)
      .map((k) => `${label(k)}: ${[config[k]].flat().map((v) => label(String(v))).join(", ")}`)
      .join(" · ");
    this.buildNetwork();
  }

  setDataset(data) {
    this.dataset = data;
    const colorOf = (v) => pointCss("default", data.problem, v, data.num_classes);
    this.heatmap.updatePoints(data.points, colorOf, false);
  }

  setStatus(state) {
    this.state = state;
    const play = this.$("[data-action=play]");
    play.setAttribute("aria-pressed", String(state === "playing"));
    play.textContent = state === "playing" ? "Pause" : "Play";
  }

  buildNetwork() {
    const c = this.config;
    const features = this.options.features.choices
      .filter((f) => c.features.includes(f) || ["x1", "x2"].includes(f))
      .map((name) => ({ name, label: label(name) }));
    this.network.build({ features, active: c.features, hidden: c.hidden, outputs: this.outputs });
    this.layers.update(c.hidden, c.activation, this.network.columns());
  }

  /** A hidden-layer change, with per-layer lists (activation, dropout) resized to match. */
  withLayerLists(hidden) {
    const change = { hidden };
    for (const name of ["activation", "dropout"]) {
      const value = this.config[name];
      if (Array.isArray(value)) change[name] = hidden.map((_, i) => value[Math.min(i, value.length - 1)]);
    }
    return change;
  }

  editParam(param, value) {
    if (param.kind === "weight") {
      // The server counts layers of neurons (0 = inputs); param.layer counts weight layers.
      this.send("set_weight", { layer: param.layer + 1, source: param.source, target: param.target, value });
    } else {
      this.send("set_bias", { layer: param.layer + 1, neuron: param.neuron, value });
    }
  }

  /** Queues a frame for the next animation frame (latest wins). */
  frame(frame) {
    // Input maps come only once per rebuild: keep them from a frame that is skipped.
    if (this.pending && this.pending.arrays.inputs && !frame.arrays.inputs) {
      frame.arrays.inputs = this.pending.arrays.inputs;
    }
    const first = this.pending === null;
    this.pending = frame;
    if (first) requestAnimationFrame(() => this.draw());
  }

  draw() {
    const frame = this.pending;
    this.pending = null;
    if (!frame || !this.config) return;
    this.view.draw(frame, VIEW);
    this.last = frame;
    this.drawn += 1;
    this.lastEpoch = frame.epoch;
  }
}
