// The "More options" panel: one labelled control per config field the main page does not
// show, generated from the server's OPTIONS (so a new engine option appears by itself).

/** Fields with their own place on the main page. */
const ON_PAGE = new Set([
  "problem",
  "dataset",
  "num_classes",
  "noise",
  "train_percent",
  "batch_size",
  "features",
  "hidden",
  "activation",
  "learning_rate",
  "regularization",
  "regularization_rate",
]);

function inputFor(option) {
  if (option.choices && (option.type === "str" || option.type === "int")) {
    return document.createElement("select");
  }
  const input = document.createElement("input");
  if (option.type === "bool") {
    input.type = "checkbox";
  } else if (option.type === "int" || option.type === "float") {
    input.type = "number";
    input.step = option.type === "int" ? "1" : "any";
    if (option.min !== undefined) {
      input.min = String(option.min);
      input.max = String(option.max);
    }
  } else {
    input.type = "text";
  }
  return input;
}

function describe(option) {
  const parts = [];
  if (option.min !== undefined) parts.push(`${option.min} to ${option.max}`);
  if (option.nullable) parts.push("empty: automatic");
  if (option.doc) parts.push(option.doc);
  return parts.join("; ");
}

/** The panel's sections, in order; options not listed here go to a last "Other" one. */
const SECTIONS = [
  [
    "Training",
    ["loss", "optimizer", "momentum", "nesterov", "rho", "beta1", "beta2", "epsilon", "weight_decay", "dropout", "init", "seed", "shuffle"],
  ],
  ["Learning rate schedule", ["schedule", "schedule_step", "schedule_gamma", "schedule_patience", "schedule_min_lr"]],
  ["Data", ["num_points", "validation_percent", "data_seed"]],
  ["Inputs", ["standardize", "input_scale", "input_shift"]],
  ["Stopping", ["stop_at", "early_stopping", "patience", "restore_best"]],
  ["Display", ["epochs_per_frame", "fps", "grid_size", "thumb_size"]],
];

/** When a field matters: fields of one optimizer, schedule or early stopping only. */
const APPLIES = {
  momentum: (c) => c.optimizer === "momentum",
  nesterov: (c) => c.optimizer === "momentum",
  beta1: (c) => c.optimizer === "adam" || c.optimizer === "adamw",
  rho: (c) => c.optimizer === "rmsprop",
  beta2: (c) => c.optimizer === "adam" || c.optimizer === "adamw",
  epsilon: (c) => ["adam", "adamw", "rmsprop"].includes(c.optimizer),
  weight_decay: (c) => c.optimizer === "adamw",
  schedule_step: (c) => c.schedule === "step" || c.schedule === "cosine",
  schedule_gamma: (c) => ["step", "exponential", "reduce_on_plateau"].includes(c.schedule),
  schedule_patience: (c) => c.schedule === "reduce_on_plateau",
  schedule_min_lr: (c) => c.schedule === "cosine" || c.schedule === "reduce_on_plateau",
  patience: (c) => c.early_stopping,
  restore_best: (c) => c.early_stopping,
};

/** Shows only the fields that apply to `config`. */
export function updateAdvanced(root, config) {
  for (const [name, applies] of Object.entries(APPLIES)) {
    const wrap = root.querySelector(`[data-control="${name}"]`);
    if (wrap) wrap.hidden = !applies(config);
  }
}

/** Renders the generated controls into `root` (bound later by Controls.bindAll). */
export function renderAdvanced(root, options) {
  root.replaceChildren();
  const listed = new Set(SECTIONS.flatMap(([, names]) => names));
  const rest = Object.keys(options).filter((n) => !listed.has(n) && !ON_PAGE.has(n));
  const sections = rest.length ? [...SECTIONS, ["Other", rest]] : SECTIONS;
  for (const [title, names] of sections) {
    const heading = document.createElement("h3");
    heading.textContent = title;
    root.append(heading);
    for (const name of names) {
      if (options[name]) root.append(controlFor(options[name]));
    }
  }
}

function controlFor(option) {
  const wrap = document.createElement("label");
  wrap.className = option.type === "bool" ? "check" : "control";
  wrap.dataset.control = option.name;
  const text = document.createElement("span");
  text.className = "label";
  text.textContent = option.label;
  const input = inputFor(option);
  input.dataset.field = option.name;
  const hint = describe(option);
  if (hint) input.title = hint;
  const error = document.createElement("span");
  error.className = "field-error";
  error.dataset.errorFor = option.name;
  error.setAttribute("role", "alert");
  if (option.type === "bool") wrap.append(input, text, error);
  else wrap.append(text, input, error);
  return wrap;
}

/** Controls an instructor can hide (`<name>_hide=true`), in the reference's order. */
export const HIDABLE = [
  ["show_test_data", "Show test data"],
  ["discretize", "Discretize output"],
  ["play", "Play button"],
  ["step", "Step button"],
  ["reset", "Reset button"],
  ["learning_rate", "Learning rate"],
  ["activation", "Activation"],
  ["regularization", "Regularization"],
  ["regularization_rate", "Regularization rate"],
  ["problem", "Problem type"],
  ["dataset", "Which dataset"],
  ["train_percent", "Ratio train data"],
  ["noise", "Noise level"],
  ["batch_size", "Batch size"],
  ["hidden", "# of hidden layers"],
  ["speed", "Speed"],
  ["your_data", "Your data"],
  ["metrics", "Metrics"],
];

/** Renders one checkbox per hidable control; `toggle(name, hidden)` reports clicks. */
export function renderHideList(root, hidden, toggle) {
  root.replaceChildren();
  for (const [name, text] of HIDABLE) {
    const wrap = document.createElement("label");
    wrap.className = "check";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.hide = name;
    box.checked = hidden.has(name);
    box.addEventListener("change", () => toggle(name, box.checked));
    wrap.append(box, document.createTextNode(` ${text}`));
    root.append(wrap);
  }
}
