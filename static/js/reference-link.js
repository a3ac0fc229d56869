// Links from the reference playground (TensorFlow Playground): its URL hash keys, read once
// here and turned into this page's hash, plus the list of what has no equivalent here, for
// the page to show. The reference's keys and values: ../shared/reference/tf-playground.md 1.10.

/** The reference's input features and ours (cosX and cosY are keys there but never inputs). */
const FEATURES = {
  x: "x1",
  y: "x2",
  xSquared: "x1_squared",
  ySquared: "x2_squared",
  xTimesY: "x1_x2",
  sinX: "sin_x1",
  sinY: "sin_x2",
};

const FEATURES_ON = new Set(["x", "y"]); // the reference's default inputs

const REGRESSION_DATASETS = { "reg-plane": "plane", "reg-gauss": "multi_gauss" };

const on = (text) => text !== "false"; // the reference: any value but "false" is true

/** Noise as the reference reads it: negative is 0, above 80 is replaced by 50. */
function noise(text) {
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  return String(n < 0 ? 0 : n > 80 ? 50 : Math.round(n));
}

/**
 * The reference's seed is any text (usually `Math.random().toFixed(5)`); ours are two
 * uint32s. FNV-1a of the text: the same link always gives the same data and weights here.
 */
function seedNumber(text) {
  let h = 0x811c9dc5;
  for (const ch of text) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return String(h);
}

/**
 * Every reference key: `to(value, all)` gives our hash entries, or `missing(value)` says
 * why it cannot be honoured here (null when the value changes nothing, as in the reference).
 */
const KEYS = {
  activation: { to: (v) => ({ activation: v }) },
  regularization: { to: (v) => ({ regularization: v.toLowerCase() }) },
  batchSize: { to: (v) => ({ batch_size: v }) },
  learningRate: { to: (v) => ({ learning_rate: v }) },
  regularizationRate: { to: (v) => ({ regularization_rate: v }) },
  noise: { to: (v) => ({ noise: noise(v) }) },
  networkShape: { to: (v) => ({ hidden: v }) },
  percTrainData: { to: (v) => ({ train_percent: v }) },
  problem: { to: (v) => ({ problem: v }) },
  // Both dataset keys are always in a reference link; the problem type says which one is used.
  dataset: { to: (v, all) => (all.problem === "regression" ? {} : { dataset: v }) },
  regDataset: {
    to: (v, all) =>
      all.problem === "regression" ? { dataset: REGRESSION_DATASETS[v] || v } : {},
    // The reference remembers it for a later switch to regression; this page keeps one.
    missing: (v, all) =>
      all.problem !== "regression" && v !== "reg-plane"
        ? `regDataset=${v}: used only by a link whose problem is regression`
        : null,
  },
  seed: {
    to: (v) => ({ seed: seedNumber(v), data_seed: seedNumber(v) }),
    missing: () =>
      "seed: the reference's random numbers cannot be replayed here, so the points and first " +
      "weights differ from the reference's (the link still gives the same ones each time here)",
  },
  showTestData: { to: (v) => ({ show_test_data: String(on(v)) }) },
  discretize: { to: (v) => ({ discretize: String(on(v)) }) },
  hideText: { to: (v) => ({ hideText: String(on(v)) }) },
  initZero: { to: (v) => (on(v) ? { init: "zeros" } : {}) },
  ...Object.fromEntries(Object.keys(FEATURES).map((key) => [key, { to: () => ({}) }])),
  cosX: {
    to: () => ({}),
    missing: (v) =>
      on(v) ? "cosX: the reference never uses cos(X₁) as an input, so it stays off" : null,
  },
  cosY: {
    to: () => ({}),
    missing: (v) =>
      on(v) ? "cosY: the reference never uses cos(X₂) as an input, so it stays off" : null,
  },
  collectStats: {
    to: () => ({}),
    missing: (v) => (on(v) ? "collectStats: unused by the reference, and here" : null),
  },
  tutorial: {
    to: () => ({}),
    missing: (v) => `tutorial=${v}: the reference's tutorials are not part of this playground`,
  },
};

function parse(hash) {
  const pairs = [];
  for (const part of hash.replace(/^#/, "").split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    pairs.push([key, eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1))]);
  }
  return pairs;
}

/**
 * A reference link as this page's hash: `{hash, notes}`, or null when `hash` is not one.
 * It is one when it has a key only the reference uses, or a seed that is not our integer.
 * Keys of neither playground go to `notes`, as does everything the reference does that
 * this page cannot; `<control>_hide` keys pass through (this page reads those as they are).
 * @param {string} hash  location.hash
 * @param {Set<string>} ours  names this page's hash uses (config fields and page options)
 */
export function fromReference(hash, ours) {
  const pairs = parse(hash);
  const isReference = pairs.some(
    ([key, value]) => (KEYS[key] && !ours.has(key)) || (key === "seed" && !/^\d+$/.test(value)),
  );
  if (!isReference) return null;
  const all = Object.fromEntries(pairs);
  const entries = {};
  const notes = [];
  if (Object.keys(FEATURES).some((key) => key in all)) {
    const chosen = (key) => (key in all ? on(all[key]) : FEATURES_ON.has(key));
    entries.features = Object.keys(FEATURES).filter(chosen).map((key) => FEATURES[key]).join(",");
  }
  for (const [key, value] of pairs) {
    const rule = KEYS[key];
    if (rule) {
      Object.assign(entries, rule.to(value, all));
      const note = rule.missing && rule.missing(value, all);
      if (note) notes.push(note);
    } else if (key.endsWith("_hide") || ours.has(key)) {
      entries[key] = value;
    } else {
      notes.push(`${key}: not a setting of the reference playground or of this one`);
    }
  }
  const text = Object.entries(entries).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return { hash: text.join("&").replace(/%2C/g, ","), notes };
}

/** Shows what a reference link asked for that this page cannot do, until dismissed. */
export function showReferenceNotes(root, notes) {
  const box = root.querySelector("[data-reference-notice]");
  if (!box || !notes.length) return;
  const list = box.querySelector("ul");
  list.replaceChildren(
    ...notes.map((note) => Object.assign(root.createElement("li"), { textContent: note })),
  );
  box.querySelector("button").addEventListener("click", () => (box.hidden = true), { once: true });
  box.hidden = false;
}
