// Wires the page: server messages go to the components, component events become messages.
// Components draw and never touch the socket; this module never draws. The page is the same
// in every mode (modes.js): solo, a room's instructor, follower or fork, a share link.

import { pageActions } from "./actions.js";
import { renderAdvanced, renderHideList, updateAdvanced } from "./advanced.js";
import { Announcer } from "./announcer.js";
import { Notices } from "./banner.js";
import { PageChrome } from "./chrome.js";
import { classNames, PALETTES, pointColorOf } from "./colors.js";
import { CodeExport } from "./code-export.js";
import { CompareView } from "./compare.js";
import { Backprop } from "./backprop.js";
import { Controls } from "./controls.js";
import { DataEditor } from "./data-editor.js";
import { describeNode } from "./describe.js";
import { DatasetPicker } from "./datasets.js";
import { DrawLoop } from "./draw-loop.js";
import { changeFor, diffFromDefaults, toggledFeatures, withHidden } from "./edits.js";
import { FrameView } from "./frame-view.js";
import { HeatMap } from "./heatmap.js";
import { HoverCard } from "./hovercard.js";
import { label } from "./labels.js";
import { Legend } from "./legend.js";
import { MapCursor } from "./map-cursor.js";
import { messageHandlers } from "./messages.js";
import { LayerControls } from "./layer-controls.js";
import { lessonFromHash, lessonHash, Lessons } from "./lessons.js";
import { LineChart } from "./linechart.js";
import { Metrics } from "./metrics.js";
import { allows, lockControls, MODES } from "./modes.js";
import { NetworkView } from "./network-view.js";
import { bindShortcuts, renderShortcuts } from "./shortcuts.js";
import { browserStorage, SavedPoints } from "./saved-points.js";
import { saveSnapshot, ShareBox } from "./share.js";
import { fromReference, showReferenceNotes } from "./reference-link.js";
import { buildProps, readHash, writeHash } from "./state.js";
import { createStore, offerFrame } from "./store.js";
import { Transport } from "./transport.js";

const $ = (selector) => document.querySelector(selector);
const boot = JSON.parse($("#bootstrap").textContent);
const options = boot.options;
const props = buildProps(options);
const reference = fromReference(location.hash, new Set(props.map((p) => p.name))); // or null
const fromHash = readHash(reference ? reference.hash : location.hash, props);

const page = createStore(boot.defaults, fromHash);
// The open lesson {id, variant} (or null): opened when the session says hello, named in the
// solo page's hash while it is open so that a reload opens it again.
page.lesson = lessonFromHash(location.hash);
// How the page was opened: the server puts a room code or a share link's id in the bootstrap
// (and `classroom` on every classroom page, the landing /classroom included).
let mode = boot.room ? MODES.follower : boot.snapshot ? MODES.snapshot : MODES.solo;

// Measured by app/bench_page.py: main-thread time spent per frame (parse + handle + draw).
const stats = { handle: [], draw: [], frames: 0, drawn: 0 };
window.playground = { page, stats, mode: () => mode.name };

// ---- components ---------------------------------------------------------------------------
const notices = new Notices(document);
if (reference) showReferenceNotes(document, reference.notes);
const chrome = new PageChrome(document, options, { speed: (stop) => configure({ ...stop }) });
const metrics = new Metrics(document);
const shareBox = new ShareBox($("[data-control=export]"));
const codeExport = new CodeExport($("[data-code-export]"), boot.code_formats, (format) => send("export", { format }));
const backprop = new Backprop($("[data-region=output]"), (index) => send("trace", { index }));
const heatmap = new HeatMap($("[data-map]"), $("[data-points]"));
const legend = new Legend($("[data-legend]"));
const savedPoints = new SavedPoints(browserStorage(), $("[data-heatmap]"));
const chart = new LineChart($("[data-linechart]"), [
  { name: "train_loss", color: "#777" },
  { name: "test_loss", color: "#000" },
  { name: "val_loss", color: "#0877bd" },
]);
const hovercard = new HoverCard($("[data-hovercard]"), (param, value) => editParam(param, value));
const network = new NetworkView($("[data-network]"), {
  hoverNode: (layer, neuron) => selectNode(layer === null ? null : { layer, neuron }),
  toggleFeature: (name) => mode.live && configure({ features: toggledFeatures(page.config, name) }),
  enterParam: (param, value, event) => hovercard.show(param, value, event),
  leaveParam: () => hovercard.hide(),
  // Everyone can read a weight; only a page that may change the run can edit it.
  clickParam: (param, value, event) => mode.live && hovercard.open(param, value, event),
  describeNode: (layer, neuron) => describeNode(view, page, { layer, neuron }),
  shown: () => {
    page.redraw.full = true;
    scheduleDraw();
  },
});
const view = new FrameView({ heatmap, network, chart, metrics });
const announcer = new Announcer($("[data-announcer]"), $("[data-map-description]"), {
  points: () => page.dataset && page.dataset.points,
  names: () => classNames(page.ui.palette, page.config.problem, page.outputs),
});
const layers = new LayerControls($("[data-layer-controls]"), options, {
  hidden: (sizes) => configure(withHidden(sizes, page.config, options)),
  activation: (activation) => configure({ activation }),
});
const datasets = new DatasetPicker($("[data-datasets]"), options.dataset, (name) =>
  configure({ dataset: name }),
);
const editor = new DataEditor($("[data-editor]"), {
  csv: (text) => send("load_csv", { text }),
  clear: () => send("clear_points"),
});
renderAdvanced($("[data-advanced]"), options);
const lessons = new Lessons($("[data-lessons-menu]"), $("[data-lesson]"), { open: openLesson, close: closeLesson, compare: (lesson) => compareView.openLesson(lesson) });
fetch("/api/lessons")
  .then((response) => response.json())
  .then((data) => lessons.setLessons(data.lessons))
  .catch(() => {}); // the page works without the menu
const controls = new Controls(document, options, (name, value, scope) =>
  scope === "config" ? configure(changeFor(name, value, options)) : setUi(name, value),
);
controls.setChoices("palette", Object.entries(PALETTES).map(([k, p]) => [k, p.label]));
renderShortcuts($("[data-shortcuts]"));
renderHideList($("[data-hide-list]"), page.hidden, (name, on) => {
  if (on) page.hidden.add(name);
  else page.hidden.delete(name);
  chrome.exerciseLink(exerciseLink());
});

// ---- the socket: /ws for the page's own session, /ws/room/CODE in a room -------------------
let connected = false; // a socket is open and greeted (hello): what it is sent goes out now
const socketHandlers = {
  onConnection: (state, detail) => {
    notices.connectionState(state, detail);
    connected = state === "connected";
    if (connected) sendView();
  },
  onMessage: receive,
  onFrame: (frame, started = performance.now()) => {
    if (frame.type === "compare") return compareView.frame(frame);
    if (transport.room) transport.room.frame(frame);
    offerFrame(page, frame);
    lessons.update(frame);
    announcer.frame(frame);
    stats.frames += 1;
    scheduleDraw();
    stats.handle.push(performance.now() - started);
    if (stats.handle.length > 4000) stats.handle.splice(0, 2000);
  },
};
const transport = new Transport(boot, socketHandlers, {
  setMode,
  restoring: (state) => (page.snapshot = state),
  carried: () => diffFromDefaults(page.config, options),
  hashConfig: Object.keys(fromHash.config).length > 0,
});
Object.defineProperty(window.playground, "socket", { get: () => transport.socket });
window.playground.chart = chart; // read by the browser tests
const send = (type, data) => transport.send(type, data);
const compareView = new CompareView($("[data-compare]"), { compare: boot.classroom ? null : boot.compare, options, send, config: () => page.config, view: () => ({ palette: page.ui.palette, discretize: page.ui.discretize, classView: page.ui.class_view }) });
const handlers = messageHandlers(
  page,
  { chrome, notices, announcer, codeExport, backprop, compareView, controls, savedPoints },
  { send, options, mode: () => mode, applyConfig, openLesson, closeLesson, share, scheduleDraw: () => scheduleDraw() },
);

/** A new mode (a room's `you`): a new run may be shown, and other controls are live. */
function setMode(next) {
  mode = next;
  document.body.dataset.mode = mode.name;
  chart.reset(); // the run shown changed (joined, forked, followed again, an exercise)
  page.selected = null;
  hovercard.hide(true);
  lockControls(document, false);
  lessons.setLive(mode.live);
  network.key = null;
  layers.key = null;
  applyConfig(page.config);
}

/** Locks the run's controls where the mode does not let this page change the run. */
function relock() {
  lockControls(document, !mode.live);
}

/** A lesson (or its "now try" variant): the server configures it; play runs to stop_at. */
function openLesson(id, variant) {
  if (!mode.live) return;
  page.lesson = { id, variant };
  send("lesson", { id, variant });
  send("play");
  writeUrl();
}

/** Leaves the lesson: the run stays as it is, the panel and the hash forget the lesson. */
function closeLesson() {
  page.lesson = null;
  send("lesson", { id: null });
  writeUrl();
}

/** The one dispatcher of server messages: the room's own first, then the run's. */
function receive(type, data) {
  if (transport.room && transport.room.handle(type, data)) return;
  if (handlers[type]) handlers[type](data);
}

// ---- config -------------------------------------------------------------------------------
function configure(changes) {
  send("configure", changes);
}

function applyConfig(config) {
  page.config = config;
  controls.update(config);
  chrome.update(config);
  updateAdvanced($("[data-advanced]"), config);
  // The thumbnails first: in presentation mode the network fits the height below them.
  const colorOf = pointColor();
  datasets.update(config.problem, config.dataset, config.num_classes, colorOf);
  editor.update(config.problem, config.num_classes, colorOf);
  buildNetwork();
  writeUrl();
  relock();
}

function buildNetwork() {
  const c = page.config;
  const features = options.features.choices
    .filter((f) => !page.hidden.has(f) || c.features.includes(f))
    .map((name) => ({ name, label: label(name) }));
  network.build({ features, active: c.features, hidden: c.hidden, outputs: page.outputs });
  layers.update(c.hidden, c.activation, network.columns());
  const k = page.outputs;
  controls.setChoices("class_view", [["all", "All classes"], ...Array.from({ length: k }, (_, i) => [String(i), `Class ${i + 1}`])]);
  chrome.outputs(k);
  legend.update(page.ui.palette, k);
  controls.update({ class_view: page.ui.class_view }, "ui");
  relock();
}

/** Colour of a label under `source`'s problem and class count (the config, or the data shown). */
const pointColor = (source = page.config) => pointColorOf(page.ui.palette, source);

// ---- page-only settings and the URL -------------------------------------------------------
function setUi(name, value) {
  page.ui[name] = value;
  applyUi();
  writeUrl();
}

function applyUi() {
  chrome.look(page.ui);
  controls.update(page.ui, "ui");
  legend.update(page.ui.palette, page.outputs);
  if (page.presentationShown !== page.ui.presentation) {
    // Presentation mode changes the layout: remeasure the chart, re-place the network.
    page.presentationShown = page.ui.presentation;
    chart.resize();
    network.key = null;
    if (page.config.hidden) buildNetwork();
  }
  page.redraw.points = true;
  page.redraw.full = true;
  if (page.config.problem) {
    const colorOf = pointColor();
    datasets.update(page.config.problem, page.config.dataset, page.config.num_classes, colorOf);
    editor.update(page.config.problem, page.config.num_classes, colorOf);
  }
  relock();
  scheduleDraw();
}

function writeUrl() {
  // Only the solo page is named by its hash; a room or a share link is named by its path.
  if (mode.writesUrl && !boot.classroom) {
    // An open lesson is named instead of its config: a reload opens the lesson again.
    const hash = page.lesson
      ? [lessonHash(page.lesson), writeHash({}, page.ui, fromHash.hidden, props)].filter(Boolean).join("&")
      : writeHash(page.config, page.ui, fromHash.hidden, props);
    history.replaceState(null, "", `#${hash}`);
  }
  chrome.exerciseLink(exerciseLink());
  // Config only (no page looks, nothing hidden): the room's live run starts from it.
  chrome.teachLink(`/classroom#${writeHash(page.config, {}, new Set(), props)}`);
}

function exerciseLink() {
  return `/#${writeHash(page.config, page.ui, page.hidden, props)}`;
}

// ---- drawing ------------------------------------------------------------------------------
const loop = new DrawLoop(page, { view, heatmap, hovercard, network }, {
  stats,
  pointColor,
  viewOptions: () => ({
    palette: page.ui.palette,
    discretize: page.ui.discretize,
    classView: page.ui.class_view,
    selecting: page.selected !== null,
    // A page that may not ask the server for a node's map enlarges its thumbnail.
    node: mode.selects ? null : page.selected,
    hidden: page.config.hidden,
    features: page.config.features,
  }),
  drawRate: (rate) => {
    page.maxFps = rate;
    if (connected) sendView(); // else the next socket is told once it is connected
  },
});
// The rate the page draws at, told to every socket it opens (a new one starts unpaced): once
// each, not also queued while the socket was down.
const sendView = () => {
  if (page.maxFps !== undefined) send("view", { max_fps: page.maxFps });
};
const scheduleDraw = () => loop.schedule();
window.playground.pacer = loop.pacer; // its measured cost per draw: read by app/bench_page.py

// ---- actions ------------------------------------------------------------------------------
async function share(state) {
  try {
    shareBox.show(await saveSnapshot(state));
  } catch (error) {
    shareBox.error(error.message);
  }
}

function selectNode(node) {
  page.selected = node;
  if (mode.selects) send("select_node", node);
  page.redraw.full = true;
  scheduleDraw();
}

function editParam(param, value) {
  if (param.kind === "weight") {
    // The server counts layers of neurons (0 = inputs); param.layer counts weight layers.
    send("set_weight", { layer: param.layer + 1, source: param.source, target: param.target, value });
  } else {
    send("set_bias", { layer: param.layer + 1, neuron: param.neuron, value });
  }
}

const actions = pageActions(page, { chrome, notices, shareBox, announcer }, {
  send,
  configure,
  setUi,
  options,
  lrPresets: $("[data-field=learning_rate]").dataset.presets.split(",").map(Number),
  map: () => heatmap.painted(),
  points: $("[data-points]"),
});

function act(name) {
  if (!allows(mode, name)) return;
  (actions[name] || (transport.room && transport.room.actions[name]))?.();
}

for (const el of document.querySelectorAll("[data-action]")) {
  el.addEventListener("click", () => act(el.dataset.action));
}
bindShortcuts(document, act);
/** A click (or Enter at the keyboard's cursor) on the map: "add", "remove", "locked" or null. */
function editAt(x1, x2, shiftKey) {
  if (!mode.live) return "locked";
  if (backprop.picking) return backprop.pick(x1, x2, page.dataset.points) ?? "traced";
  const action = editor.clickAction(x1, x2, shiftKey);
  if (action?.add) send("add_points", { points: [action.add] });
  if (action?.remove) send("remove_points", { near: action.remove, radius: 0.6 });
  return action ? (action.add ? "add" : "remove") : null;
}
$("[data-points]").addEventListener("click", (event) => editAt(...heatmap.eventToData(event), event.shiftKey));
new MapCursor($("[data-heatmap]"), { edit: editAt, say: (text) => announcer.say(text) });
// A click outside the card closes an open weight editor.
document.addEventListener("click", (e) => !e.target.closest("[data-hovercard]") && hovercard.hide(true));
window.addEventListener("resize", () => {
  chart.resize();
  network.key = null;
  buildNetwork();
  page.redraw.full = true;
  page.redraw.points = true;
  scheduleDraw();
});

document.body.dataset.mode = mode.name;
lessons.setLive(mode.live);
chrome.hide(page.hidden);
applyUi();
applyConfig(page.config);
transport.start(mode).catch((error) => notices.error({ message: error.message }));
