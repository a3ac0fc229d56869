// A heatmap: a small canvas filled from quantised bytes by table lookup and scaled by CSS,
// with an optional overlay canvas for the data points.

import { hexToRgb, MAP_ALPHA } from "./colors.js";

/** The square domain the server evaluates maps on. */
export const DOMAIN = 6;

export class HeatMap {
  /**
   * @param {HTMLCanvasElement} canvas the map canvas (its pixel size follows the data)
   * @param {HTMLCanvasElement|null} overlay the points canvas, drawn at display resolution
   */
  constructor(canvas, overlay = null) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.overlay = overlay;
    this.image = null;
    this.pixels = null;
    // Scrolled out of view (a phone showing the network below it), the map is not painted:
    // the newest paint waits and runs once the map is back in view or read (`painted`). An
    // unseen canvas repainted 24 times a second still costs a phone a tenth of its time.
    this.onScreen = true;
    this.pending = null;
    new IntersectionObserver((entries) => this.seen(entries)).observe(canvas.parentElement || canvas);
  }

  seen(entries) {
    for (const e of entries) this.onScreen = e.isIntersecting;
    if (this.onScreen) this.painted();
  }

  /** The map's canvas with the newest map on it. */
  painted() {
    const paint = this.pending;
    this.pending = null;
    if (paint) paint();
    return this.canvas;
  }

  /** Runs `paint` now if the map is in view, else keeps it (only the newest) for later. */
  paintWhenSeen(paint) {
    if (this.onScreen) {
      this.pending = null;
      paint();
    } else {
      this.pending = paint;
    }
  }

  ensureSize(n) {
    if (this.image && this.image.width === n) return;
    this.canvas.width = n;
    this.canvas.height = n;
    this.image = this.ctx.createImageData(n, n);
    this.pixels = new Uint32Array(this.image.data.buffer);
  }

  /** Paints one channel of `bytes` (n*n, or n*n*channels with `channel`) through `lut`. */
  updateBackground(bytes, n, lut, channels = 1, channel = 0) {
    this.paintWhenSeen(() => this.paintBackground(bytes, n, lut, channels, channel));
  }

  paintBackground(bytes, n, lut, channels, channel) {
    this.ensureSize(n);
    const px = this.pixels;
    const count = n * n;
    if (channels === 1) {
      for (let i = 0; i < count; i++) px[i] = lut[bytes[i]];
    } else {
      for (let i = 0, j = channel; i < count; i++, j += channels) px[i] = lut[bytes[j]];
    }
    this.ctx.putImageData(this.image, 0, 0);
  }

  /** Paints class probabilities (n*n*K bytes) as the probability-weighted blend of class colours. */
  updateBlend(bytes, n, classHex) {
    this.paintWhenSeen(() => this.paintBlend(bytes, n, classHex));
  }

  paintBlend(bytes, n, classHex) {
    this.ensureSize(n);
    const k = classHex.length;
    const rgb = classHex.map(hexToRgb);
    const data = this.image.data;
    const count = n * n;
    for (let i = 0, j = 0, o = 0; i < count; i++, j += k, o += 4) {
      let r = 0;
      let g = 0;
      let b = 0;
      let total = 0;
      for (let c = 0; c < k; c++) {
        const p = bytes[j + c];
        r += p * rgb[c][0];
        g += p * rgb[c][1];
        b += p * rgb[c][2];
        total += p;
      }
      const inv = total > 0 ? 1 / total : 0;
      data[o] = r * inv;
      data[o + 1] = g * inv;
      data[o + 2] = b * inv;
      data[o + 3] = MAP_ALPHA;
    }
    this.ctx.putImageData(this.image, 0, 0);
  }

  /**
   * Draws points [[x1, x2, label, split], ...] on the overlay; `colorOf(label)` gives CSS.
   * Test points (split 1) are drawn only if showTest, with the reference's dark outline.
   */
  updatePoints(points, colorOf, showTest) {
    const ov = this.overlay;
    if (!ov) return;
    const size = ov.clientWidth || 260;
    const dpr = window.devicePixelRatio || 1;
    // Both sides: a canvas starts at 300x150, so matching the width alone leaves it squashed.
    const side = Math.round(size * dpr);
    if (ov.width !== side || ov.height !== side) {
      ov.width = side;
      ov.height = side;
    }
    const ctx = ov.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size, size);
    const toPx = (v) => ((v + DOMAIN) / (2 * DOMAIN)) * size;
    for (const [x1, x2, label, split] of points) {
      if (split === 1 && !showTest) continue;
      if (Math.abs(x1) > DOMAIN || Math.abs(x2) > DOMAIN) continue;
      ctx.beginPath();
      ctx.arc(toPx(x1), size - toPx(x2), 3, 0, 2 * Math.PI);
      ctx.fillStyle = colorOf(label);
      ctx.fill();
      if (split === 1) {
        ctx.globalAlpha = 0.6;
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 1;
        ctx.stroke();
        ctx.globalAlpha = 1;
      } else {
        ctx.strokeStyle = "#fff";
        ctx.lineWidth = 1;
        ctx.stroke();
      }
    }
  }

  /** Converts a mouse event over the overlay (or map) into data coordinates. */
  eventToData(event) {
    const el = this.overlay || this.canvas;
    const rect = el.getBoundingClientRect();
    const x1 = ((event.clientX - rect.left) / rect.width) * 2 * DOMAIN - DOMAIN;
    const x2 = DOMAIN - ((event.clientY - rect.top) / rect.height) * 2 * DOMAIN;
    return [x1, x2];
  }
}
