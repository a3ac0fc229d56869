// The loss chart: a few series over epochs with a bounded history, drawn on a canvas.
// When the history fills up, every other point is dropped and the keep interval doubles,
// so memory and drawing cost never grow with the number of epochs.

const CAPACITY = 400;

export class LineChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{name: string, color: string, dash?: number[], label?: string}[]} series in
   *   drawing order; `dash` a line dash pattern, `label` a text drawn at the line's end
   */
  constructor(canvas, series) {
    this.canvas = canvas;
    this.series = series;
    this.reset();
  }

  reset() {
    this.epochs = [];
    this.values = this.series.map(() => []);
    this.tail = null; // the newest sample when it falls between kept ones
    this.stride = 1;
    this.dirty = true;
  }

  /** Adds one sample {train_loss, test_loss, ...} at `epoch`; values may be null. */
  addDataPoint(epoch, sample) {
    const last = this.tail ? this.tail.epoch : this.epochs[this.epochs.length - 1];
    if (last !== undefined && epoch <= last) {
      if (epoch === last) return;
      this.reset();
    }
    const row = this.series.map((s) => sample[s.name] ?? null);
    const kept = this.epochs[this.epochs.length - 1];
    if (kept === undefined || epoch - kept >= this.stride) {
      this.epochs.push(epoch);
      this.series.forEach((_, i) => this.values[i].push(row[i]));
      this.tail = null;
      if (this.epochs.length > CAPACITY) this.decimate();
    } else {
      this.tail = { epoch, row };
    }
    this.dirty = true;
  }

  decimate() {
    const keep = (_, i) => i % 2 === 0;
    this.epochs = this.epochs.filter(keep);
    this.values = this.values.map((v) => v.filter(keep));
    this.stride *= 2;
  }

  /** Forgets the measured size (call when the layout changes). */
  resize() {
    this.size = null;
    this.dirty = true;
  }

  /** Redraws if anything changed since the last draw. */
  draw() {
    if (!this.dirty) return;
    this.dirty = false;
    const c = this.canvas;
    // At most 2 backing pixels per CSS pixel: a thin line looks the same and a phone at
    // device scale 3 fills 2.25 times fewer pixels each frame.
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    // Reading the layout size after other DOM writes forces a synchronous layout every
    // frame, so it is measured once (and again after `resize()`).
    if (!this.size) this.size = [c.clientWidth || 120, c.clientHeight || 55];
    const [w, h] = this.size;
    if (c.width !== Math.round(w * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const epochs = this.tail ? [...this.epochs, this.tail.epoch] : this.epochs;
    const values = this.tail ? this.values.map((v, i) => [...v, this.tail.row[i]]) : this.values;
    const n = epochs.length;
    if (n < 2) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      for (const y of v) {
        if (y === null || !Number.isFinite(y)) continue;
        lo = Math.min(lo, y);
        hi = Math.max(hi, y);
      }
    }
    if (!Number.isFinite(lo)) return;
    if (hi - lo < 1e-9) hi = lo + 1e-9;
    const e0 = epochs[0];
    const span = Math.max(1, epochs[n - 1] - e0);
    const pad = 2;
    const x = (e) => pad + ((e - e0) / span) * (w - 2 * pad);
    const y = (v) => h - pad - ((v - lo) / (hi - lo)) * (h - 2 * pad);
    this.series.forEach((s, i) => {
      ctx.beginPath();
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(s.dash || []);
      let started = false;
      let end = null;
      values[i].forEach((v, j) => {
        if (v === null || !Number.isFinite(v)) {
          started = false;
          return;
        }
        if (started) ctx.lineTo(x(epochs[j]), y(v));
        else ctx.moveTo(x(epochs[j]), y(v));
        started = true;
        end = [x(epochs[j]), y(v)];
      });
      ctx.stroke();
      if (s.label && end) {
        ctx.fillStyle = "#222";
        ctx.font = "bold 11px sans-serif";
        ctx.fillText(s.label, Math.min(end[0] + 2, w - 10), Math.max(10, Math.min(h - 2, end[1] + 4)));
      }
    });
    ctx.setLineDash([]);
  }
}
