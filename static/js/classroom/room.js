// Wires the classroom page: the landing (create / join), the room socket, and the shared
// components (heatmap, network view, loss chart) that draw what the room sends.

import { PALETTES, pointCss } from "../colors.js";
import { FrameView } from "../frame-view.js";
import { HeatMap } from "../heatmap.js";
import { HoverCard } from "../hovercard.js";
import { label } from "../labels.js";
import { LayerControls } from "../layer-controls.js";
import { LineChart } from "../linechart.js";
import { Metrics } from "../metrics.js";
import { NetworkView } from "../network-view.js";
import { RoomSocket } from "./room-socket.js";
import { openSharedLink } from "./shared-link.js";
import { RoomUi } from "./room-ui.js";

const $ = (s) => document.querySelector(s);
const boot = JSON.parse($("#bootstrap").textContent);
const options = boot.options;
const code = boot.room;
const ui = new RoomUi($("[data-classroom]"), { kick: (name) => send("kick", { name }) });
const LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

const page = { config: null, dataset: null, frame: null, state: "paused", you: null, outputs: 1 };
window.classroom = { page };

const heatmap = new HeatMap($("[data-map]"), $("[data-points]"));
const chart = new LineChart($("[data-linechart]"), [
  { name: "train_loss", color: "#777" },
  { name: "test_loss", color: "#000" },
]);
const hovercard = new HoverCard($("[data-hovercard]"), (param, value) => editParam(param, value));
const network = new NetworkView($("[data-network]"), {
  hoverNode: () => {},
  toggleFeature: () => {},
  // Everyone can read a weight; only who may change the run can edit it.
  enterParam: (param, value, event) => hovercard.show(param, value, event),
  leaveParam: () => hovercard.hide(),
  clickParam: (param, value, event) => editable() && hovercard.open(param, value, event),
});
const layers = new LayerControls($("[data-layer-controls]"), options, {
  hidden: (sizes) => send("configure", withLayerLists(sizes)),
  activation: (activation) => send("configure", { activation }),
});
const metrics = new Metrics($("[data-stage]"));
const view = new FrameView({ heatmap, network, chart, metrics });
let socket = null;

function send(type, data) {
  if (socket) socket.send(type, data);
}

function fillSelect(select, values, text = label) {
  select.replaceChildren(
    ...values.map((v) => {
      const o = document.createElement("option");
      o.value = String(v);
      o.textContent = text(v);
      return o;
    }),
  );
}

// ---- messages from the room ---------------------------------------------------------------
const HANDLERS = {
  you(data) {
    page.you = data;
    ui.setMode(data);
    ui.show("[data-join-form]", false);
    ui.show("[data-stage]", true);
    ui.show("[data-instructor-panel]", data.role === "instructor");
    ui.show("[data-student-panel]", data.role === "student");
    ui.show("[data-action=share]", data.role !== "visitor");
    chart.reset();
    applyEditable();
  },
  room: (data) => ui.setRoom(data),
  roster: (data) => ui.setRoster(data.students),
  config(data) {
    const before = page.config;
    page.config = data.config;
    if (data.rebuilt && data.rebuilt.network) chart.reset();
    if (!before || before.hidden.join() !== data.config.hidden.join()) page.outputs = 1;
    applyConfig();
  },
  dataset(data) {
    page.dataset = data;
    drawPoints();
  },
  status(data) {
    page.state = data.state;
    const play = $("[data-action=play]");
    play.setAttribute("aria-pressed", String(data.state === "playing"));
    play.textContent = data.state === "playing" ? "Pause" : "Play";
  },
  pushed: (data) => ui.notice(`New exercise from the instructor: ${data.scenario.title}`),
  shared(data) {
    const link = $("[data-share-link]");
    link.hidden = false;
    link.href = data.url;
    link.textContent = `${location.origin}${data.url}`;
  },
  kicked: (data) => ui.notice(data.message, "error"),
  ended: (data) => ui.notice(data.message, "error"),
  error: (data) => ui.notice(data.message, "error"),
  pong: () => {},
  state: () => {},
  hello: () => {},
};

function applyConfig() {
  const c = page.config;
  $("[data-field=learning_rate]").value = String(c.learning_rate);
  $("[data-field=activation]").value = typeof c.activation === "string" ? c.activation : c.activation[0];
  $("[data-field=dataset]").value = c.dataset;
  $("[data-field-value=hidden]").textContent = c.hidden.length ? c.hidden.join(", ") : "none";
  buildNetwork();
}

function buildNetwork() {
  const c = page.config;
  const features = options.features.choices
    .filter((f) => c.features.includes(f) || ["x1", "x2"].includes(f))
    .map((name) => ({ name, label: label(name) }));
  network.build({ features, active: c.features, hidden: c.hidden, outputs: page.outputs });
  layers.update(c.hidden, c.activation, network.columns());
}

/** A hidden-layer change, with per-layer lists (activation, dropout) resized to match. */
function withLayerLists(hidden) {
  const change = { hidden };
  for (const name of ["activation", "dropout"]) {
    const value = page.config[name];
    if (Array.isArray(value)) {
      change[name] = hidden.map((_, i) => value[Math.min(i, value.length - 1)]);
    }
  }
  return change;
}

function editParam(param, value) {
  if (param.kind === "weight") {
    send("set_weight", { layer: param.layer, source: param.source, target: param.target, value });
  } else {
    send("set_bias", { layer: param.layer, neuron: param.neuron, value });
  }
}

function editable() {
  return Boolean(page.you && page.you.mode !== "follow");
}

function applyEditable() {
  for (const el of document.querySelectorAll("[data-stage-controls] :is(button, select)")) {
    if (el.dataset.action === "share") continue;
    el.disabled = !editable();
  }
}

function pointColor() {
  const { problem, num_classes: k } = page.dataset;
  return (v) => pointCss("default", problem, v, k);
}

function drawPoints() {
  if (page.dataset) heatmap.updatePoints(page.dataset.points, pointColor(), false);
}

let drawPending = false;
function onFrame(frame) {
  if (frame.sent_at) ui.setLag(Date.now() - frame.sent_at);
  // Latest wins, but input maps come only once per rebuild: keep them from a dropped frame.
  if (page.frame && page.frame.arrays.inputs && !frame.arrays.inputs) {
    frame.arrays.inputs = page.frame.arrays.inputs;
  }
  page.frame = frame;
  if (!drawPending) {
    drawPending = true;
    requestAnimationFrame(draw);
  }
}

function draw() {
  drawPending = false;
  const frame = page.frame;
  page.frame = null;
  if (!frame || !page.config) return;
  const neurons = frame.arrays.neurons;
  const outputs = neurons ? neurons.shape[0] - page.config.hidden.reduce((a, b) => a + b, 0) : 1;
  if (outputs > 0 && outputs !== page.outputs) {
    page.outputs = outputs;
    buildNetwork();
  }
  view.draw(frame, { palette: "default", discretize: false, classView: "all", selecting: false, full: true });
  window.classroom.drawn = (window.classroom.drawn || 0) + 1;
  window.classroom.lastEpoch = frame.epoch;
}

// ---- actions ------------------------------------------------------------------------------
const ACTIONS = {
  "create-room": createRoom,
  play: () => send(page.state === "playing" ? "pause" : "play"),
  step: () => send("step", { epochs: 1 }),
  reset: () => send("reset", { reseed: true }),
  "add-layer": () => page.config.hidden.length < options.hidden.max_layers &&
    send("configure", withLayerLists([...page.config.hidden, 2])),
  "remove-layer": () => send("configure", withLayerLists(page.config.hidden.slice(0, -1))),
  fork: () => send("fork"),
  refollow: () => send("refollow"),
  share: () => send("share"),
  lock: (el) => send(el.getAttribute("aria-pressed") === "true" ? "unlock" : "lock"),
  "end-room": () => window.confirm("End this room for everyone?") && send("end"),
};

async function createRoom() {
  const response = await fetch("/api/rooms", { method: "POST" });
  const body = await response.json();
  if (!response.ok) {
    ui.notice(body.detail || "Could not create a room", "error");
    return;
  }
  sessionStorage.setItem(`room-secret-${body.code}`, body.secret);
  location.assign(`/room/${body.code}`);
}

function connect(join) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new RoomSocket(`${scheme}://${location.host}/ws/room/${code}`, join, {
    onConnection: (state, detail) => ui.setConnection(state, detail),
    onMessage: (type, data) => HANDLERS[type]?.(data),
    onFrame,
  });
  window.classroom.socket = socket;
  socket.connect();
}

async function openShared(id) {
  try {
    socket = await openSharedLink(id, {
      onConnection: (state, detail) => ui.setConnection(state, detail),
      onMessage: (type, data) => HANDLERS[type]?.(data),
      onFrame,
    });
  } catch (error) {
    ui.notice(error.message, "error");
  }
}

function startInstructor(secret) {
  $("[data-join-url]").textContent = `${location.origin}/room/${code}`;
  $("[data-join-url]").href = `/room/${code}`;
  $("[data-qr]").src = `/api/rooms/${code}/qr.svg`;
  $("[data-control-link]").value = `${location.origin}/room/${code}#secret=${secret}`;
  connect({ secret });
}

function init() {
  fillSelect($("[data-field=learning_rate]"), LEARNING_RATES, String);
  fillSelect($("[data-field=activation]"), options.activation.choices);
  const datasets = options.dataset.choices.filter((d) => d !== "custom");
  fillSelect($("[data-field=dataset]"), datasets);
  fillSelect($("[data-push-dataset]"), datasets);
  for (const el of document.querySelectorAll("[data-action]")) {
    el.addEventListener("click", () => ACTIONS[el.dataset.action]?.(el));
  }
  for (const el of document.querySelectorAll("[data-stage-controls] select[data-field]")) {
    el.addEventListener("change", () => {
      const value = el.dataset.field === "learning_rate" ? Number(el.value) : el.value;
      send("configure", { [el.dataset.field]: value });
    });
  }
  // A click outside the card closes an open weight editor.
  document.addEventListener("click", (e) => !e.target.closest("[data-hovercard]") && hovercard.hide(true));
  $("[data-push-form]").addEventListener("submit", (e) => {
    e.preventDefault();
    const hidden = $("[data-push-hidden]").value.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
    const config = { dataset: $("[data-push-dataset]").value, hidden };
    send("push", { title: $("[data-push-title]").value || "Exercise", config });
  });
  $("[data-code-form]").addEventListener("submit", (e) => {
    e.preventDefault();
    location.assign(`/room/${encodeURIComponent($("[data-code-input]").value.trim().toUpperCase())}`);
  });
  $("[data-name-form]").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("[data-name-input]").value.trim();
    connect(name ? { name } : {});
  });

  if (boot.snapshot) {
    openShared(boot.snapshot);
    return;
  }
  if (!code) {
    ui.show("[data-landing]", true);
    return;
  }
  ui.setCode(code);
  // The control link carries the secret in the fragment (never sent to the server in a URL);
  // keep it for this tab and take it off the address bar before the screen is projected.
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("secret");
  if (fromHash) {
    sessionStorage.setItem(`room-secret-${code}`, fromHash);
    history.replaceState(null, "", location.pathname);
  }
  const secret = sessionStorage.getItem(`room-secret-${code}`);
  if (secret) startInstructor(secret);
  else ui.show("[data-join-form]", true);
}

init();
