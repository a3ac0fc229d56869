// Backprop stepped through: one training point's forward pass, loss, backward pass and
// update, step by step, from the server's `trace` message (docs/protocol.md).

const SVG = "http://www.w3.org/2000/svg";
const fmt = (v) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4));

/** The ordered steps of one trace: forward per node, loss, backward per node and link, update. */
export function passSteps(trace) {
  const steps = trace.inputs.map((input, i) => ({
    kind: "input", node: [0, i], text: `input ${input.feature} = ${fmt(input.value)}`,
  }));
  trace.layers.forEach((layer, k) => {
    layer.z.forEach((z, j) => {
      steps.push({ kind: "forward", node: [k + 1, j], text: `forward: z = Σ w·a + b = ${fmt(z)}, a = ${layer.activation}(z) = ${fmt(layer.a[j])}` });
    });
  });
  const out = trace.output;
  steps.push({ kind: "loss", node: [trace.layers.length, 0], text: `loss L = ${fmt(out.loss)} (output ${out.o.map(fmt).join(", ")}, target ${out.target.map(fmt).join(", ")})` });
  for (let k = trace.layers.length - 1; k >= 0; k--) {
    const layer = trace.layers[k];
    layer.dz.forEach((dz, j) => {
      const da = layer.da ? `∂L/∂a = ${fmt(layer.da[j])} (${trace.rules.back}), ` : "";
      steps.push({ kind: "node", node: [k + 1, j], text: `backward: ${da}∂L/∂z = ${fmt(dz)} (${layer.rule})` });
      layer.weights.forEach((row, i) => {
        steps.push({ kind: "link", link: [k, i, j], text: `backward: ∂L/∂w = ${fmt(layer.weights_grad[i][j])} (${trace.rules.link})` });
      });
    });
  }
  trace.layers.forEach((layer, k) => layer.weights.forEach((row, i) => row.forEach((w, j) => {
    const lr = trace.update.learning_rate;
    steps.push({ kind: "update", link: [k, i, j], text: `update: w ← w − lr·∂L/∂w: ${fmt(w)} − ${fmt(lr)}·${fmt(layer.weights_grad[i][j])} → ${fmt(layer.weights_after[i][j])} (${trace.rules.update})` });
  })));
  return steps;
}

export class Backprop {
  /** `root`: the panel's container; `ask(index)` sends `trace`. */
  constructor(root, ask) {
    this.ask = ask;
    this.picking = false;
    this.trace = null;
    this.steps = [];
    this.at = -1;
    this.timer = null;
    root.insertAdjacentHTML("beforeend", `
      <div class="backprop" data-backprop tabindex="0" aria-label="Backprop stepped through">
        <button type="button" data-bp="pick" aria-pressed="false">Backprop: pick a point</button>
        <button type="button" data-bp="back" disabled>◀ Back</button>
        <button type="button" data-bp="forward" disabled>Forward ▶</button>
        <button type="button" data-bp="play" disabled>Play the whole pass</button>
        <p data-bp-readout aria-live="polite">Press "pick a point", then click a training point on the map.</p>
        <svg data-bp-graph width="100%" height="160" role="img" aria-label="The network for the traced point"></svg>
      </div>`);
    this.el = root.querySelector("[data-backprop]");
    this.readout = this.el.querySelector("[data-bp-readout]");
    this.svg = this.el.querySelector("[data-bp-graph]");
    const on = (name, fn) => this.el.querySelector(`[data-bp=${name}]`).addEventListener("click", fn);
    on("pick", () => this.setPicking(!this.picking));
    on("back", () => this.go(this.at - 1));
    on("forward", () => this.go(this.at + 1));
    on("play", () => this.play());
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "ArrowRight") this.go(this.at + 1);
      else if (e.key === "ArrowLeft") this.go(this.at - 1);
      else return;
      e.preventDefault();
    });
  }

  setPicking(on) {
    this.picking = on;
    this.el.querySelector("[data-bp=pick]").setAttribute("aria-pressed", String(on));
    if (on) this.readout.textContent = "Click a training point on the output map.";
  }

  /** A click on the map while picking: the nearest training point of `points`. */
  pick(x1, x2, points) {
    let best = -1;
    let bestD = Infinity;
    points.forEach((p, i) => {
      const d = (p[0] - x1) ** 2 + (p[1] - x2) ** 2;
      if (p[3] === 0 && d < bestD) [best, bestD] = [i, d];
    });
    this.setPicking(false);
    if (best >= 0) this.ask(best);
  }

  received(trace) {
    this.stop();
    this.trace = trace;
    this.steps = passSteps(trace);
    this.draw();
    this.go(0);
  }

  failed(message) {
    this.readout.textContent = message;
  }

  play() {
    this.stop();
    this.timer = setInterval(() => (this.at >= this.steps.length - 1 ? this.stop() : this.go(this.at + 1)), 120);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  go(index) {
    if (!this.steps.length) return;
    this.at = Math.max(0, Math.min(this.steps.length - 1, index));
    const step = this.steps[this.at];
    this.readout.textContent = `Step ${this.at + 1} of ${this.steps.length} · ${step.text}`;
    this.el.dataset.step = step.kind;
    this.el.querySelector("[data-bp=back]").disabled = this.at === 0;
    this.el.querySelector("[data-bp=forward]").disabled = this.at === this.steps.length - 1;
    this.el.querySelector("[data-bp=play]").disabled = false;
    for (const bold of this.svg.querySelectorAll(".bp-current")) bold.classList.remove("bp-current");
    const key = step.link ? `[data-bp-link="${step.link}"]` : `[data-bp-node="${step.node}"]`;
    this.svg.querySelector(key)?.classList.add("bp-current");
    if (step.kind === "update") {
      const [k, i, j] = step.link;
      this.svg.querySelector(key).style.strokeWidth = width(this.trace.layers[k].weights_after[i][j]);
    }
  }

  /** Nodes in columns, links between them; each shows its values on hover and focus. */
  draw() {
    const t = this.trace;
    const sizes = [t.inputs.length, ...t.layers.map((l) => l.z.length)];
    const w = this.svg.clientWidth || 320;
    const h = 160;
    const at = (c, r) => [20 + (c * (w - 40)) / (sizes.length - 1), ((r + 1) * h) / (sizes[c] + 1)];
    const parts = [];
    t.layers.forEach((layer, k) => layer.weights.forEach((row, i) => row.forEach((v, j) => {
      const [x1, y1] = at(k, i);
      const [x2, y2] = at(k + 1, j);
      const tip = `link ${i}→${j} into layer ${k + 1}: w = ${fmt(v)}, ∂L/∂w = ${fmt(layer.weights_grad[i][j])}, after = ${fmt(layer.weights_after[i][j])}`;
      parts.push(`<line data-bp-link="${k},${i},${j}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${v < 0 ? "#f59322" : "#0877bd"}" stroke-width="${width(v)}" tabindex="0"><title>${tip}</title></line>`);
    })));
    sizes.forEach((n, c) => {
      for (let r = 0; r < n; r++) {
        const [x, y] = at(c, r);
        const layer = t.layers[c - 1];
        const tip = c === 0 ? `${t.inputs[r].feature} = ${fmt(t.inputs[r].value)}` : `z = ${fmt(layer.z[r])}, a = ${fmt(layer.a[r])}, ∂L/∂z = ${fmt(layer.dz[r])}${layer.da ? `, ∂L/∂a = ${fmt(layer.da[r])}` : ""}`;
        parts.push(`<circle data-bp-node="${c},${r}" cx="${x}" cy="${y}" r="7" tabindex="0"><title>${tip}</title></circle>`);
      }
    });
    const svg = document.createElementNS(SVG, "g");
    svg.innerHTML = parts.join("");
    this.svg.replaceChildren(svg);
  }
}

const width = (w) => String(Math.min(6, 0.5 + Math.abs(w)));
