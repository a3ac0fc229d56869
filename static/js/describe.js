// Words for a map: which class (or sign) covers which part of the plane, read from the
// quantised map the frame already carries. Nothing is trained or evaluated here.

import { classNames } from "./colors.js";
import { DOMAIN } from "./heatmap.js";

const DIRECTIONS = ["right", "top right", "top", "top left", "left", "bottom left", "bottom", "bottom right"];
/** Pieces smaller than this share of the map are noise at the boundary, not regions. */
const MIN_SHARE = 0.01;
/** A piece counts as round when no cell lies much further from its centre than a disc's. */
const ROUND = 1.3;

/** Where (x1, x2) lies, in words: "the middle" near the origin, else a compass side. */
export function direction(x1, x2) {
  if (Math.hypot(x1, x2) < DOMAIN / 5) return "the middle";
  const sector = Math.round(Math.atan2(x2, x1) / (Math.PI / 4));
  return `the ${DIRECTIONS[(sector + 8) % 8]}`;
}

const round = (v) => (v >= 2 ? String(Math.round(v * 2) / 2) : v.toFixed(1));

/**
 * The connected pieces (4-neighbour) of each class in an n×n grid of class indices.
 * @returns {Array<{cls, cells, x1, x2, reach, border}>} x1, x2: the centre in data units;
 *   reach: the furthest cell from it; border: whether the piece touches the map's edge
 */
export function pieces(grid, n) {
  const seen = new Uint8Array(n * n);
  const cell = (2 * DOMAIN) / n;
  const out = [];
  const stack = [];
  for (let start = 0; start < n * n; start++) {
    if (seen[start]) continue;
    const cls = grid[start];
    const members = [];
    seen[start] = 1;
    stack.push(start);
    let border = false;
    while (stack.length) {
      const i = stack.pop();
      members.push(i);
      const r = Math.floor(i / n);
      const c = i % n;
      if (r === 0 || c === 0 || r === n - 1 || c === n - 1) border = true;
      for (const j of [r > 0 && i - n, r < n - 1 && i + n, c > 0 && i - 1, c < n - 1 && i + 1]) {
        if (j !== false && !seen[j] && grid[j] === cls) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    const at = (i) => [-DOMAIN + ((i % n) + 0.5) * cell, DOMAIN - (Math.floor(i / n) + 0.5) * cell];
    let sx = 0;
    let sy = 0;
    for (const i of members) {
      const [x, y] = at(i);
      sx += x;
      sy += y;
    }
    const x1 = sx / members.length;
    const x2 = sy / members.length;
    let reach = 0;
    for (const i of members) {
      const [x, y] = at(i);
      reach = Math.max(reach, Math.hypot(x - x1, y - x2));
    }
    out.push({ cls, cells: members.length, x1, x2, reach, border, area: members.length * cell * cell });
  }
  return out;
}

/** One class's pieces in words ("inside a circle of radius about 3", "on the left"). */
function where(own, enclosedOthers) {
  if (own.length === 1) {
    const p = own[0];
    if (!p.border) {
      const radius = Math.sqrt(p.area / Math.PI);
      const centre = Math.hypot(p.x1, p.x2) > 1 ? ` around (${p.x1.toFixed(0)}, ${p.x2.toFixed(0)})` : "";
      return p.reach < ROUND * radius
        ? `inside a circle of radius about ${round(radius)}${centre}`
        : `in a patch about ${round(2 * radius)} wide${centre || " in the middle"}`;
    }
    if (enclosedOthers) return "outside";
    const side = direction(p.x1, p.x2);
    return side === "the middle" ? "across the middle" : `on ${side}`;
  }
  const places = own.slice(0, 4).map((p) => direction(p.x1, p.x2).replace("the ", ""));
  return `in ${own.length} separate regions (${[...new Set(places)].join(", ")}${own.length > 4 ? ", …" : ""})`;
}

/**
 * A map in words. `grid`: class index per cell (row 0 the top), `names`: a name per class.
 * Every class that covers at least 1 % of the plane is named with where it is.
 */
export function describeGrid(grid, n, names) {
  const all = pieces(grid, n).filter((p) => p.cells >= MIN_SHARE * n * n);
  all.sort((a, b) => b.cells - a.cells);
  const present = [...new Set(all.map((p) => p.cls))];
  if (present.length === 1) return `${names[present[0]]} everywhere`;
  // Enclosed classes first: "blue inside a circle …, orange outside".
  const enclosed = (cls) => all.some((p) => p.cls === cls && !p.border);
  present.sort((a, b) => enclosed(b) - enclosed(a));
  return present
    .map((cls) => {
      const own = all.filter((p) => p.cls === cls);
      const others = present.length === 2 && present.some((o) => o !== cls && enclosed(o) && all.filter((p) => p.cls === o).every((p) => !p.border));
      return `${names[cls]} ${where(own, others)}`;
    })
    .join(", ");
}

/** Value of code q in a quantised map spec ({lo, scale}). */
const valueOf = (spec, q) => (spec.lo ?? -1) + q * (spec.scale ?? 2 / 255);

/**
 * The class of every cell of a map spec ({data, shape, lo, scale}): the likeliest class of a
 * K-channel map, else 1 where the value is above the middle of its range (0.5 for a
 * probability, 0 for a value in [-1, 1]) and 0 elsewhere.
 */
export function classGrid(spec) {
  const n = spec.shape[0];
  const channels = spec.shape.length === 3 ? spec.shape[2] : 1;
  const grid = new Uint8Array(n * n);
  if (channels > 1) {
    for (let i = 0; i < n * n; i++) {
      let best = 0;
      for (let k = 1; k < channels; k++) if (spec.data[i * channels + k] > spec.data[i * channels + best]) best = k;
      grid[i] = best;
    }
  } else {
    const middle = spec.lo === 0 ? 0.5 : 0;
    for (let i = 0; i < n * n; i++) grid[i] = valueOf(spec, spec.data[i]) > middle ? 1 : 0;
  }
  return { grid, n, channels };
}

/**
 * The output map and the training error in words, e.g. "blue inside a circle of radius about
 * 3, orange outside; 4 of 250 training points wrong".
 * @param {object} frame a parsed frame (header fields and arrays)
 * @param {Array} points the dataset's points [[x1, x2, label, split], ...]
 * @param {string[]} names a name per class (two for a single-output map: below, above)
 */
export function describeOutput(frame, points, names) {
  const output = frame.arrays.output;
  if (!output) return "";
  const { grid, n } = classGrid(output);
  let text = describeGrid(grid, n, names);
  const train = points ? points.filter((p) => (p[3] ?? 0) === 0).length : 0;
  if (Number.isFinite(frame.train_accuracy) && train > 0) {
    const wrong = Math.round((1 - frame.train_accuracy) * train);
    text += `; ${wrong} of ${train} training point${train === 1 ? "" : "s"} wrong`;
  }
  return text;
}

/**
 * A node's map in words (its thumbnail: what the page has without asking), e.g. "Layer 1
 * neuron 2: positive (blue) on the right, negative (orange) on the left".
 * @param {FrameView} view finds the node's thumbnail in the last frame
 * @param {object} store the page's store (store.js)
 * @param {{layer, neuron}} node protocol numbering (layer 0: the j-th active feature)
 */
export function describeNode(view, store, node) {
  if (!store.last) return "";
  const { features, hidden } = store.config;
  const spec = view.thumbnail(store.last.arrays, { node, features, hidden });
  if (!spec) return "";
  const { grid, n } = classGrid(spec);
  return describeGrid(grid, n, classNames(store.ui.palette, "regression", 2));
}
