// Readouts and the metrics panel: epoch, losses, accuracy, current learning rate,
// per-layer gradient norms, dead-ReLU and zero-weight fractions, confusion matrix.

const PANEL_INTERVAL_MS = 250;

function fmt(v, digits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return Math.abs(v) >= 1000 ? v.toExponential(2) : v.toFixed(digits);
}

function pct(v) {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(v * 100).toFixed(1)}%`;
}

/** The reference's epoch display: six digits, zero padded, with a thousands comma. */
export function epochText(epoch) {
  const s = String(epoch).padStart(6, "0");
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * Sets an element's text, if it changed, by editing its one text node in place: replacing the
 * node (`textContent =`) would also restyle the new node and relayout its line on every frame.
 */
export function setText(el, text) {
  const node = el.firstChild;
  if (node && node.nodeType === Node.TEXT_NODE && !node.nextSibling) {
    if (node.data !== text) node.data = text;
  } else if (el.textContent !== text) {
    el.textContent = text;
  }
}

export class Metrics {
  /** @param {Document|HTMLElement} root holds [data-readout], [data-metrics] and friends */
  constructor(root) {
    this.readouts = new Map();
    for (const el of root.querySelectorAll("[data-readout]")) this.readouts.set(el.dataset.readout, el);
    this.valRow = root.querySelector('[data-readout-row="val_loss"]');
    this.list = root.querySelector("[data-metrics]");
    this.norms = root.querySelector("[data-grad-norms]");
    this.confusion = root.querySelector("[data-confusion]");
    this.rows = new Map();
    this.shown = new Map();
    this.shades = new WeakMap(); // the confusion cells' backgrounds as last set
    this.latest = null; // the last frame header, for the panel when it comes on screen
    this.offScreen = false;
    const panel = this.list && (this.list.closest("details") || this.list);
    if (panel) new IntersectionObserver((entries) => this.watched(entries)).observe(panel);
  }

  set(name, text) {
    const el = this.readouts.get(name);
    if (el && this.shown.get(name) !== text) {
      this.shown.set(name, text);
      setText(el, text);
    }
  }

  row(key, title) {
    let dd = this.rows.get(key);
    if (!dd) {
      const dt = document.createElement("dt");
      dt.textContent = title;
      dd = document.createElement("dd");
      dd.dataset.metric = key;
      this.list.append(dt, dd);
      this.rows.set(key, dd);
    }
    return dd;
  }

  setRow(key, title, text) {
    setText(this.row(key, title), text);
  }

  /** Updates everything from a frame header (the engine's metrics plus epoch and state). */
  update(m) {
    this.set("epoch", epochText(m.epoch ?? 0));
    this.set("train_loss", fmt(m.train_loss));
    this.set("test_loss", fmt(m.test_loss));
    const hasVal = m.val_loss !== null && m.val_loss !== undefined;
    if (this.valRow && this.valRow.hidden === hasVal) this.valRow.hidden = !hasVal;
    if (hasVal) this.set("val_loss", fmt(m.val_loss));
    if (!this.list) return;
    this.latest = m;
    // The panel's numbers are read, not watched: a few updates a second keep the frame cheap,
    // and none while the panel is scrolled off screen (each relays the page out): it catches
    // up when it comes back, and a paused run's numbers are always shown.
    const now = performance.now();
    if (m.state === "playing" && (now - (this.panelAt || 0) < PANEL_INTERVAL_MS || this.offScreen)) return;
    this.panelAt = now;
    this.updatePanel(m);
  }

  /** The IntersectionObserver says whether the panel is on screen; back on it, it catches up. */
  watched(entries) {
    const wasOff = this.offScreen;
    for (const e of entries) this.offScreen = !e.isIntersecting;
    if (wasOff && !this.offScreen && this.latest) this.updatePanel(this.latest);
  }

  updatePanel(m) {
    if (m.train_accuracy !== undefined) {
      this.setRow("accuracy", "Accuracy (train / test)", `${pct(m.train_accuracy)} / ${pct(m.test_accuracy)}`);
    }
    this.setRow("learning_rate", "Current learning rate", m.learning_rate === undefined ? "–" : String(Number(m.learning_rate.toPrecision(3))));
    this.setRow("objective", "Loss + penalty (train)", fmt(m.objective));
    this.setRow("dead_fraction", "Dead neurons (no slope)", pct(m.dead_fraction));
    this.setRow("zero_weight_fraction", "Zero weights", pct(m.zero_weight_fraction));
    this.updateNorms(m.grad_norms || []);
    this.updateConfusion(m.confusion);
  }

  updateNorms(norms) {
    if (!this.norms) return;
    if (this.norms.children.length !== norms.length) {
      this.norms.replaceChildren(
        ...norms.map((_, l) => {
          const bar = document.createElement("div");
          bar.className = "norm";
          bar.dataset.layer = String(l);
          bar.append(document.createElement("span"), document.createElement("i"));
          return bar;
        }),
      );
    }
    // Log scale: gradient norms span orders of magnitude across layers and epochs.
    norms.forEach((g, l) => {
      const bar = this.norms.children[l];
      const w = g > 0 ? Math.max(2, Math.min(100, (Math.log10(g) + 6) * (100 / 7))) : 0;
      const width = `${w.toFixed(1)}%`; // as the style reads it back: unchanged, not set again
      if (bar.firstChild.style.width !== width) bar.firstChild.style.width = width;
      setText(bar.lastChild, `layer ${l + 1}: ${g > 0 ? g.toExponential(1) : "0"}`);
    });
  }

  updateConfusion(matrix) {
    if (!this.confusion) return;
    const show = Array.isArray(matrix) && matrix.length > 2;
    if (this.confusion.hidden === show) this.confusion.hidden = !show;
    if (!show) return;
    const k = matrix.length;
    if (this.confusion.rows.length !== k + 1) {
      this.confusion.replaceChildren();
      const head = this.confusion.insertRow();
      head.insertCell().textContent = "true \\ predicted";
      for (let j = 0; j < k; j++) head.insertCell().textContent = String(j + 1);
      for (let i = 0; i < k; i++) {
        const row = this.confusion.insertRow();
        row.insertCell().textContent = String(i + 1);
        for (let j = 0; j < k; j++) row.insertCell();
      }
    }
    for (let i = 0; i < k; i++) {
      const total = matrix[i].reduce((a, b) => a + b, 0) || 1;
      for (let j = 0; j < k; j++) {
        const cell = this.confusion.rows[i + 1].cells[j + 1];
        setText(cell, String(matrix[i][j]));
        // At most half the accent: the cell's dark text keeps a 4.5:1 contrast.
        const background = `rgba(8,119,189,${(matrix[i][j] / total) * 0.5})`;
        if (this.shades.get(cell) !== background) {
          this.shades.set(cell, background);
          cell.style.background = background;
        }
      }
    }
  }
}
