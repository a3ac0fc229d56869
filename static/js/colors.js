// Palettes and precomputed colour lookup tables: a frame is one table lookup per pixel.

/** Heatmap alpha of the reference (heatmap.ts): 160/255. */
export const MAP_ALPHA = 160;
/** The reference quantises the [-1, 1] ramp into 31 shades (NUM_SHADES = 30 intervals). */
const SHADES = 31;

export const PALETTES = {
  // The reference's ramp: orange for negative, light grey for zero, blue for positive.
  default: {
    label: "Orange / blue",
    ramp: ["#f59322", "#e8eaeb", "#0877bd"],
    classes: ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b"],
    // What a screen reader says for the ramp's ends and for each class colour.
    rampNames: ["orange", "blue"],
    classNames: ["orange", "blue", "green", "red", "purple", "brown"],
  },
  // Colour-blind safe: PuOr diverging ramp and the Okabe-Ito categorical colours.
  colorblind: {
    label: "Colour-blind safe",
    ramp: ["#e66101", "#f7f7f7", "#5e3c99"],
    classes: ["#e69f00", "#0072b2", "#009e73", "#cc79a7", "#56b4e9", "#000000"],
    rampNames: ["orange", "purple"],
    classNames: ["orange", "blue", "green", "pink", "sky blue", "black"],
  },
};

/**
 * The compare view's variants (compare.js): Okabe-Ito colours that stay apart under every
 * colour-vision deficiency and keep at least 3:1 contrast on the white page (WCAG AA for
 * graphics), each with its own dash pattern and letter, so colour is never the only cue.
 */
export const VARIANT_LINES = Object.freeze([
  { name: "A", color: "#0072b2", dash: [] },
  { name: "B", color: "#d55e00", dash: [7, 4] },
  { name: "C", color: "#009e73", dash: [2, 3] },
  { name: "D", color: "#000000", dash: [9, 3, 2, 3] },
]);

/**
 * Spoken names of a map's classes: the ramp's two ends for two classes (or the sign of a
 * regression's value), else "class i (colour)".
 */
export function classNames(palette, problem, k) {
  const p = PALETTES[palette];
  if (problem === "regression") return [`negative (${p.rampNames[0]})`, `positive (${p.rampNames[1]})`];
  if (k <= 2) return p.rampNames;
  return p.classNames.slice(0, k).map((name, i) => `class ${i + 1} (${name})`);
}

export function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Continuous ramp colour of t in [-1, 1] (clamped) as [r, g, b]. */
export function rampRgb(ramp, t) {
  const c = Math.max(-1, Math.min(1, t));
  const [a, b] = c < 0 ? [hexToRgb(ramp[1]), hexToRgb(ramp[0])] : [hexToRgb(ramp[1]), hexToRgb(ramp[2])];
  const k = Math.abs(c);
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * k));
}

/** Packs RGBA into the uint32 a little-endian ImageData view expects. */
function pack(r, g, b, a) {
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/**
 * Builds a 256-entry table mapping a quantised byte q (value = lo + q * scale) to a packed
 * RGBA pixel, quantised to the reference's 31 shades, or thresholded at 0 if discretize.
 */
export function buildRampLut(ramp, lo, scale, discretize) {
  const lut = new Uint32Array(256);
  for (let q = 0; q < 256; q++) {
    let v = Math.max(-1, Math.min(1, lo + q * scale));
    if (discretize) v = v >= 0 ? 1 : -1;
    const shade = Math.round(((v + 1) / 2) * (SHADES - 1));
    const [r, g, b] = rampRgb(ramp, (shade / (SHADES - 1)) * 2 - 1);
    lut[q] = pack(r, g, b, MAP_ALPHA);
  }
  return lut;
}

/**
 * A probability table for one class: 0 is the ramp's neutral middle, 1 the class colour.
 * Byte q stands for lo + q * scale (a probability map: 0 and 1/255; a neuron map: -1, 2/255).
 */
export function buildClassLut(ramp, classHex, lo = 0, scale = 1 / 255) {
  const lut = new Uint32Array(256);
  const mid = hexToRgb(ramp[1]);
  const top = hexToRgb(classHex);
  for (let q = 0; q < 256; q++) {
    const k = Math.max(0, Math.min(1, lo + q * scale));
    const c = [0, 1, 2].map((i) => Math.round(mid[i] + (top[i] - mid[i]) * k));
    lut[q] = pack(c[0], c[1], c[2], MAP_ALPHA);
  }
  return lut;
}

/** A cache of lookup tables keyed by palette, quantisation and mode. */
export class LutCache {
  constructor() {
    this.tables = new Map();
  }

  ramp(palette, lo, scale, discretize) {
    const key = `r|${palette}|${lo}|${scale}|${discretize}`;
    let lut = this.tables.get(key);
    if (!lut) {
      lut = buildRampLut(PALETTES[palette].ramp, lo, scale, discretize);
      this.tables.set(key, lut);
    }
    return lut;
  }

  classProbability(palette, classHex, lo = 0, scale = 1 / 255) {
    const key = `c|${palette}|${classHex}|${lo}|${scale}`;
    let lut = this.tables.get(key);
    if (!lut) {
      lut = buildClassLut(PALETTES[palette].ramp, classHex, lo, scale);
      this.tables.set(key, lut);
    }
    return lut;
  }
}

const weightTables = new Map();

/** CSS colour for a weight or bias (continuous, clamped at ±1), quantised to 61 steps. */
export function weightCss(ramp, w) {
  let table = weightTables.get(ramp);
  if (!table) {
    table = Array.from({ length: 61 }, (_, i) => {
      const [r, g, b] = rampRgb(ramp, (i - 30) / 30);
      return `rgb(${r},${g},${b})`;
    });
    weightTables.set(ramp, table);
  }
  const i = Math.round(Math.max(-1, Math.min(1, w)) * 30) + 30;
  return table[Number.isNaN(i) ? 30 : i];
}

/** Colour of a data point: class colour for classification, ramp for regression targets. */
export function pointCss(palette, problem, label, numClasses) {
  const p = PALETTES[palette];
  if (problem === "regression") {
    const [r, g, b] = rampRgb(p.ramp, label);
    return `rgb(${r},${g},${b})`;
  }
  return numClasses === 2 ? [p.ramp[0], p.ramp[2]][label] : p.classes[label % p.classes.length];
}

/** `pointCss` of `source`'s problem and class count as a function of the label, keyed. */
export function pointColorOf(palette, source) {
  const { problem, num_classes: k } = source;
  const fn = (labelValue) => pointCss(palette, problem, labelValue, k);
  fn.key = `${palette}|${problem}|${k}`;
  return fn;
}
