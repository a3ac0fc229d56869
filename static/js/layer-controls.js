// Above each hidden layer: + / − neurons, the neuron count and that layer's activation.

import { label } from "./labels.js";

export class LayerControls {
  /**
   * @param {HTMLElement} root positioned over the network diagram
   * @param {object} options the server's OPTIONS (hidden bounds, activation choices)
   * @param {{hidden(sizes), activation(value)}} on
   */
  constructor(root, options, on) {
    this.root = root;
    this.options = options;
    this.on = on;
    this.key = null;
  }

  /** Rebuilds when the layer count, sizes, activations or column positions change. */
  update(hidden, activation, xs) {
    const key = JSON.stringify([hidden, activation, xs]);
    if (key === this.key) return;
    this.key = key;
    const max = this.options.hidden.max;
    const perLayer = Array.isArray(activation) ? activation : hidden.map(() => activation);
    const blocks = hidden.map((size, l) => {
      const block = document.createElement("div");
      block.className = "layer-control";
      block.dataset.control = `neurons_${l}`;
      block.style.left = `${xs[l + 1]}px`;
      const minus = this.button("−", `Remove a neuron from layer ${l + 1}`, size <= 1, () =>
        this.on.hidden(hidden.map((n, i) => (i === l ? n - 1 : n))),
      );
      const plus = this.button("+", `Add a neuron to layer ${l + 1}`, size >= max, () =>
        this.on.hidden(hidden.map((n, i) => (i === l ? n + 1 : n))),
      );
      minus.dataset.action = `remove_neuron_${l}`;
      plus.dataset.action = `add_neuron_${l}`;
      const count = document.createElement("span");
      count.className = "count";
      count.dataset.neurons = String(l);
      count.textContent = `${size} neuron${size === 1 ? "" : "s"}`;
      count.title = `Click to type a number of neurons (1 to ${max})`;
      count.tabIndex = 0;
      const typeCount = () => this.typeCount(count, l, size, max, hidden);
      count.addEventListener("click", typeCount);
      count.addEventListener("keydown", (e) => {
        if (e.key === "Enter") typeCount();
      });
      const select = document.createElement("select");
      select.dataset.layerActivation = String(l);
      select.setAttribute("aria-label", `Activation of layer ${l + 1}`);
      for (const choice of this.options.activation.choices) {
        const option = document.createElement("option");
        option.value = choice;
        option.textContent = label(choice);
        select.append(option);
      }
      select.value = perLayer[l];
      select.addEventListener("change", () => {
        const next = perLayer.map((a, i) => (i === l ? select.value : a));
        this.on.activation(next.every((a) => a === next[0]) ? next[0] : next);
      });
      const buttons = document.createElement("div");
      buttons.className = "buttons";
      buttons.append(plus, minus);
      block.append(buttons, count, select);
      return block;
    });
    this.root.replaceChildren(...blocks);
  }

  /** Swaps the count for a number input; Enter or leaving it applies the typed count. */
  typeCount(count, l, size, max, hidden) {
    const input = document.createElement("input");
    input.type = "number";
    input.min = "1";
    input.max = String(max);
    input.step = "1";
    input.value = String(size);
    input.className = "count-input";
    input.dataset.neuronInput = String(l);
    input.setAttribute("aria-label", `Neurons in layer ${l + 1} (1 to ${max})`);
    let done = false;
    const finish = (apply) => {
      if (done) return;
      done = true;
      const typed = Math.round(Number(input.value));
      input.replaceWith(count);
      if (apply && Number.isFinite(typed) && typed !== size) {
        const n = Math.max(1, Math.min(max, typed));
        this.on.hidden(hidden.map((s, i) => (i === l ? n : s)));
      }
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") finish(true);
      if (e.key === "Escape") finish(false);
    });
    input.addEventListener("blur", () => finish(true));
    count.replaceWith(input);
    input.focus();
    input.select();
  }

  button(text, aria, disabled, click) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "round-button";
    b.textContent = text;
    b.disabled = disabled;
    b.setAttribute("aria-label", aria);
    b.addEventListener("click", click);
    return b;
  }
}
