// The room's challenges (docs/classroom.md): the instructor's form, the open challenge with
// the student's Submit, and the leaderboard. The page never scores a network: every figure
// shown here is the one the server measured. Choices come from /api/options `challenges`
// (the bootstrap), names are only ever set with textContent.

import { label } from "../labels.js";

const FOLLOWING = "To take part, choose Work on my own copy: you submit your own network.";

export class Challenges {
  /**
   * @param {HTMLElement} root the [data-challenges] panel
   * @param {object} boot the page's bootstrap (`options`, `challenges`)
   * @param {{send(type, data), room(): string, secret(): string|null}} io
   */
  constructor(root, boot, io) {
    this.root = root;
    this.spec = boot.challenges; // lists of {name, ...}: looked up by name below
    this.byName = (list, name) => list.find((x) => x.name === name);
    this.options = boot.options;
    this.io = io;
    this.you = null;
    this.current = null; // the open challenge (`challenge` message), or null
    this.q = (s) => root.querySelector(s);
    this.actions = {
      submit_network: () => this.submit(),
      challenge_load: () => this.current && this.io.send("configure", this.current.config),
      challenge_export: () => this.download(),
    };
    this.buildForm();
  }

  /** The connection's `you`: which parts show for this role and mode. */
  setYou(you) {
    this.you = you;
    const instructor = you.role === "instructor";
    this.root.hidden = false;
    this.q("[data-challenge-post]").hidden = !instructor;
    this.q("[data-challenge-export]").hidden = !instructor || !this.current;
    this.showStudent();
  }

  showStudent() {
    const student = this.you && this.you.role === "student";
    this.q("[data-challenge-student]").hidden = !(student && this.current);
    const own = student && this.you.mode === "fork";
    for (const b of this.q("[data-challenge-student]").querySelectorAll("button")) b.disabled = !own;
    if (student && this.current && !own) this.say(FOLLOWING, "hint");
    else if (this.q("[data-verdict]").dataset.kind === "hint") this.say("");
  }

  /** A room message for this panel; false when it is not one. */
  handle(type, data) {
    if (type === "challenge") this.show(data.challenge);
    else if (type === "leaderboard") this.board(data);
    else if (type === "verdict") this.say(data.message, data.goal_met ? "met" : "not-met");
    else if (type === "error" && data.request === "submit") this.say(data.message, "error");
    else if (type === "error" && data.request === "challenge") this.formStatus(data.message, true);
    else return false;
    return true;
  }

  show(ch) {
    const fresh = !this.current || this.current.id !== ch.id;
    this.current = ch;
    this.q("[data-challenge-card]").hidden = false;
    this.q("[data-challenge-title]").textContent = ch.title;
    this.q("[data-challenge-goal]").textContent =
      `Goal: ${ch.goal_text} on ${ch.test_points} hidden test points of ${label(ch.dataset)}` +
      ` (noise ${ch.noise} %). The server measures your network itself.`;
    this.q("[data-challenge-rules]").textContent = rulesText(ch);
    if (fresh) {
      this.say("");
      const instructor = this.you && this.you.role === "instructor";
      this.formStatus(instructor ? `Posted: ${ch.title}` : "");
      if (instructor) this.q("[data-challenge-post]").open = false; // the leaderboard next
    }
    if (this.you) this.setYou(this.you);
  }

  board(data) {
    const metric = this.byName(this.spec.metrics, data.metric);
    this.q("[data-leaderboard-panel]").hidden = false;
    this.q("[data-leaderboard-summary]").textContent =
      `${count(data.students, "student")}, ${count(data.submissions, "submission")}. ` +
      `Ranked by: goal met, within the rules, ${metric.label.toLowerCase()}, fewer neurons, earlier.`;
    const rows = data.entries.map((e) => {
      const tr = document.createElement("tr");
      tr.dataset.entry = e.name;
      const cells = [
        String(e.rank),
        e.name,
        measured(data.metric, e.value),
        e.goal_met ? "met" : e.within_rules ? "not yet" : `rules broken: ${e.violations.join("; ")}`,
        String(e.neurons),
        String(e.epoch),
      ];
      for (const text of cells) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      tr.children[2].dataset.value = e.value === null ? "" : String(e.value);
      return tr;
    });
    this.q("[data-leaderboard] tbody").replaceChildren(...rows);
  }

  submit() {
    this.say("Measuring your network on the hidden test set…");
    this.io.send("submit");
  }

  say(text, kind = "") {
    const el = this.q("[data-verdict]");
    el.textContent = text;
    el.dataset.kind = kind;
  }

  formStatus(text, error = false) {
    const el = this.q("[data-challenge-form-status]");
    el.textContent = text;
    el.dataset.kind = error ? "error" : "";
  }

  // ---- the instructor's form: every choice and bound from the options ----------------------

  buildForm() {
    const form = this.q("[data-challenge-form]");
    const field = (name) => form.querySelector(`[data-challenge-field=${name}]`);
    const datasets = this.spec.datasets.map((d) => d.name);
    field("dataset").replaceChildren(...datasets.map((d) => new Option(label(d), d)));
    field("dataset").value = datasets.includes("spiral") ? "spiral" : datasets[0];
    const classes = this.options.num_classes;
    Object.assign(field("num_classes"), { min: classes.min, max: classes.max });
    const points = this.spec.test_points;
    Object.assign(field("test_points"), { min: points.min, max: points.max, value: points.default });
    const box = form.querySelector("[data-challenge-constraints]");
    for (const c of this.spec.constraints) box.append(constraintInput(c.name, c));
    field("dataset").addEventListener("change", () => this.fitForm());
    field("metric").addEventListener("change", () => this.fitGoal(true));
    this.fitForm();
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.formStatus("Posting…");
      this.io.send("challenge", this.readForm(form));
    });
  }

  /** The metrics and the class count that fit the chosen dataset. */
  fitForm() {
    const field = (name) => this.q(`[data-challenge-field=${name}]`);
    const dataset = this.byName(this.spec.datasets, field("dataset").value);
    this.q("[data-classes-label]").hidden = !dataset.takes_classes;
    const metrics = this.spec.metrics.filter(
      (m) => dataset.problem === "classification" || !m.classification_only,
    );
    const before = field("metric").value;
    field("metric").replaceChildren(...metrics.map((m) => new Option(m.label, m.name)));
    if (metrics.some((m) => m.name === before)) field("metric").value = before;
    this.fitGoal(field("metric").value !== before);
  }

  fitGoal(reset) {
    const goal = this.q("[data-challenge-field=goal]");
    const m = this.byName(this.spec.metrics, this.q("[data-challenge-field=metric]").value);
    const scale = m.percent ? 100 : 1;
    Object.assign(goal, { min: m.goal_min * scale, max: m.goal_max * scale });
    if (reset || goal.value === "") goal.value = String(m.default_goal * scale);
    this.q("[data-goal-unit]").textContent = m.percent ? "%" : "";
  }

  readForm(form) {
    const value = (name) => form.querySelector(`[data-challenge-field=${name}]`).value;
    const metric = this.byName(this.spec.metrics, value("metric"));
    const data = {
      title: value("title"),
      dataset: value("dataset"),
      noise: Number(value("noise")),
      test_points: Number(value("test_points")),
      metric: value("metric"),
      goal: Number(value("goal")) / (metric.percent ? 100 : 1),
    };
    if (this.byName(this.spec.datasets, data.dataset).takes_classes) data.num_classes = Number(value("num_classes"));
    for (const { name, ...c } of this.spec.constraints) {
      if (c.choices) {
        const boxes = [...form.querySelectorAll(`[data-constraint=${name}] input`)];
        const picked = boxes.filter((b) => b.checked).map((b) => b.value);
        if (picked.length < boxes.length) data[name] = picked; // all ticked: no rule
      } else {
        const raw = form.querySelector(`[data-constraint=${name}] input`).value;
        if (raw !== "") data[name] = Number(raw);
      }
    }
    return data;
  }

  /** The instructor's CSV: the secret goes in the POST body, never in the address. */
  async download() {
    if (!this.current) return;
    const code = this.io.room();
    const url = `/api/rooms/${code}/challenges/${this.current.id}/submissions.csv`;
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ secret: this.io.secret() }),
    });
    if (!response.ok) {
      this.formStatus((await response.json()).detail || "The export failed", true);
      return;
    }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = `challenge-${code}-${this.current.id}.csv`;
    link.click();
    URL.revokeObjectURL(link.href);
  }
}

function constraintInput(name, c) {
  if (!c.choices) {
    const wrap = document.createElement("label");
    wrap.dataset.constraint = name;
    const input = Object.assign(document.createElement("input"), { type: "number", min: c.min, max: c.max });
    wrap.append(`${c.label} `, input);
    return wrap;
  }
  const set = document.createElement("fieldset");
  set.dataset.constraint = name;
  const legend = document.createElement("legend");
  legend.textContent = `${c.label} (all ticked: any)`;
  set.append(legend);
  for (const choice of c.choices) {
    const box = Object.assign(document.createElement("input"), { type: "checkbox", value: choice, checked: true });
    const item = document.createElement("label");
    item.append(box, ` ${label(choice)}`);
    set.append(item);
  }
  return set;
}

function count(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function measured(metric, value) {
  if (value === null) return "no figure";
  return metric === "test_accuracy" ? `${(100 * value).toFixed(1)} %` : value.toPrecision(4);
}

function rulesText(ch) {
  const rules = [];
  if (ch.max_neurons !== null) rules.push(`at most ${ch.max_neurons} hidden neurons`);
  if (ch.max_hidden_layers !== null) rules.push(`at most ${ch.max_hidden_layers} hidden layers`);
  if (ch.max_epochs !== null) rules.push(`at most ${ch.max_epochs} epochs`);
  if (ch.features) rules.push(`features: ${ch.features.map(label).join(", ")}`);
  if (ch.activations) rules.push(`activations: ${ch.activations.map(label).join(", ")}`);
  if (ch.metric === "test_loss") rules.push(`train with the ${label(ch.loss)} loss`);
  return rules.length ? `Rules: ${rules.join("; ")}.` : "No rules on the network.";
}
