// The URL hash: one declarative property table that both reads and writes it, keyed by the
// wire names (the same strings as the JSON config, <select> values and data-* attributes).

/** How each option type (as the server's OPTIONS spell it) is written to and read from text. */
const CODECS = {
  int: { write: String, read: (s) => (/^-?\d+$/.test(s) ? Number(s) : undefined) },
  float: { write: String, read: (s) => (s !== "" && Number.isFinite(Number(s)) ? Number(s) : undefined) },
  bool: { write: String, read: (s) => s !== "false" }, // the reference: anything but "false"
  str: { write: String, read: (s) => s },
  "list[str]": { write: (v) => v.join(","), read: (s) => (s === "" ? [] : s.split(",")) },
  "list[int]": {
    write: (v) => v.join(","),
    read: (s) => {
      if (s === "") return [];
      const items = s.split(",").map(Number);
      return items.every(Number.isInteger) ? items : undefined;
    },
  },
  "str|list[str]": {
    write: (v) => (Array.isArray(v) ? v.join(",") : v),
    read: (s) => (s.includes(",") ? s.split(",") : s),
  },
  "float|list[float]": {
    write: (v) => (Array.isArray(v) ? v.join(",") : String(v)),
    read: (s) => {
      const items = s.split(",").map(Number);
      if (s === "" || !items.every(Number.isFinite)) return undefined;
      return items.length > 1 ? items : items[0];
    },
  },
};

/** Page-only properties: they never reach the server. */
export const UI_PROPS = [
  { name: "show_test_data", type: "bool", default: false },
  { name: "discretize", type: "bool", default: false },
  { name: "palette", type: "str", default: "default" },
  { name: "presentation", type: "bool", default: false },
  { name: "class_view", type: "str", default: "all" },
  { name: "hide_text", type: "bool", default: false },
];

/** Config fields always written, so a shared link reproduces the data and the first weights. */
const ALWAYS_WRITTEN = new Set(["seed", "data_seed"]);

/** Reference (TF Playground) control names accepted in `<name>_hide` keys. */
const HIDE_ALIASES = {
  showTestData: "show_test_data",
  playButton: "play",
  stepButton: "step",
  resetButton: "reset",
  learningRate: "learning_rate",
  regularizationRate: "regularization_rate",
  percTrainData: "train_percent",
  batchSize: "batch_size",
  numHiddenLayers: "hidden",
};

/** The full property table: the server's config options plus the page's own properties. */
export function buildProps(options) {
  const config = Object.values(options)
    .filter((o) => CODECS[o.type])
    .map((o) => ({ name: o.name, type: o.type, default: o.default, scope: "config" }));
  return [...config, ...UI_PROPS.map((p) => ({ ...p, scope: "ui" }))];
}

/** Parses a hash ("#a=1&b=x") into {config, ui, hidden: Set of control names}. */
export function readHash(hash, props) {
  const byName = new Map(props.map((p) => [p.name, p]));
  const out = { config: {}, ui: {}, hidden: new Set() };
  for (const part of hash.replace(/^#/, "").split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const text = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
    if (key.endsWith("_hide")) {
      const control = key.slice(0, -5);
      if (text !== "false") out.hidden.add(HIDE_ALIASES[control] || control);
      continue;
    }
    const prop = byName.get(key);
    if (!prop) continue;
    const value = CODECS[prop.type].read(text);
    if (value === undefined) continue;
    out[prop.scope][key] = value;
  }
  return out;
}

function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Writes config and ui values into a hash, omitting defaults (except the seeds). */
export function writeHash(config, ui, hidden, props) {
  const parts = [];
  for (const p of props) {
    const value = p.scope === "config" ? config[p.name] : ui[p.name];
    if (value === undefined || value === null) continue;
    if (!ALWAYS_WRITTEN.has(p.name) && sameValue(value, p.default)) continue;
    const text = CODECS[p.type].write(value);
    parts.push(`${p.name}=${encodeURIComponent(text).replace(/%2C/g, ",")}`);
  }
  for (const name of [...hidden].sort()) parts.push(`${name}_hide=true`);
  return parts.join("&");
}
