// What a UI action asks the server to change: pure functions of the config and OPTIONS.

/** The fields of `config` that differ from their OPTIONS defaults. */
export function diffFromDefaults(config, options) {
  const out = {};
  for (const [k, v] of Object.entries(config)) {
    if (options[k] && JSON.stringify(v) !== JSON.stringify(options[k].default)) out[k] = v;
  }
  return out;
}

/** A control's change, completed where one field implies another (problem → dataset). */
export function changeFor(name, value, options) {
  if (name === "problem") {
    const problems = options.dataset.problems || {};
    const first = options.dataset.choices.find((d) => problems[d] === value);
    return first ? { problem: value, dataset: first } : { problem: value };
  }
  return { [name]: value };
}

/** A new `hidden`, with per-layer lists (activation, dropout) kept as long as it. */
export function withHidden(hidden, config, options) {
  const changes = { hidden };
  const n = hidden.length;
  for (const field of ["activation", "dropout"]) {
    const v = config[field];
    if (!Array.isArray(v)) continue;
    if (n === 0) {
      changes[field] = options[field].default;
      continue;
    }
    const fill = v.length ? v[v.length - 1] : options[field].default;
    changes[field] = Array.from({ length: n }, (_, i) => (i < v.length ? v[i] : fill));
  }
  return changes;
}

/** The feature list with `name` switched on or off. */
export function toggledFeatures(config, name) {
  const on = config.features.includes(name);
  return on ? config.features.filter((f) => f !== name) : [...config.features, name];
}

/** The divergence fix: the learning-rate preset ten times lower (or lr / 10). */
export function lowerLearningRate(lr, presets, min) {
  const lower = presets.filter((v) => v <= lr / 10 + 1e-12 && v >= min);
  return lower.length ? lower[lower.length - 1] : lr / 10;
}
