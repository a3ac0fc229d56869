// Wires the classroom page: the landing (create / join), the room socket or a share link's
// session, the room's own panels (RoomUi) and the stage that shows the run (Stage).

import { buildProps, readHash } from "../state.js";
import { RoomSocket } from "./room-socket.js";
import { RoomUi } from "./room-ui.js";
import { openSharedLink } from "./shared-link.js";
import { fillSelect, Stage } from "./stage.js";

const $ = (s) => document.querySelector(s);
const boot = JSON.parse($("#bootstrap").textContent);
const code = boot.room;
let socket = null;
const send = (type, data) => socket && socket.send(type, data);
const ui = new RoomUi($("[data-classroom]"), { kick: (member) => send("kick", { member }) });
const stage = new Stage($("[data-stage]"), boot.options, send);
const page = { you: null, carried: null };
// For tests and the curious: what the page shows.
window.classroom = {
  page,
  stage,
  get lastEpoch() {
    return stage.lastEpoch;
  },
  get socket() {
    return socket;
  },
};

// ---- messages -----------------------------------------------------------------------------
const HANDLERS = {
  you(data) {
    page.you = data;
    ui.setMode(data);
    ui.show("[data-join-form]", false);
    ui.show("[data-stage]", true);
    ui.show("[data-instructor-panel]", data.role === "instructor");
    ui.show("[data-student-panel]", data.role === "student");
    ui.show("[data-action=share]", data.role !== "visitor");
    stage.restart();
    stage.setEditable(data.mode !== "follow");
    if (data.role === "instructor") startFromCarried();
  },
  room: (data) => ui.setRoom(data),
  roster: (data) => ui.setRoster(data.students),
  config: (data) => stage.setConfig(data.config, data.rebuilt, data.layer_sizes),
  dataset: (data) => stage.setDataset(data),
  status: (data) => stage.setStatus(data.state),
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
};

const handlers = {
  onConnection: (state, detail) => ui.setConnection(state, detail),
  onMessage: (type, data) => HANDLERS[type]?.(data),
  onFrame(frame) {
    if (frame.sent_at) ui.setLag(Date.now() - frame.sent_at);
    stage.frame(frame);
  },
};

// ---- actions ------------------------------------------------------------------------------
const ACTIONS = {
  "create-room": createRoom,
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
  if (page.carried) sessionStorage.setItem(`room-start-${body.code}`, JSON.stringify(page.carried));
  location.assign(`/room/${body.code}`);
}

/** The playground's settings that "Teach a class" put in this landing's hash, if any. */
function carriedConfig() {
  const { config } = readHash(location.hash, buildProps(boot.options));
  return Object.keys(config).length ? config : null;
}

/** A room created from the playground starts its live run from the playground's settings. */
function startFromCarried() {
  const key = `room-start-${code}`;
  const carried = sessionStorage.getItem(key);
  if (!carried) return;
  sessionStorage.removeItem(key); // once: a reconnect must not undo the instructor's changes
  send("configure", JSON.parse(carried));
}

function connect(join) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new RoomSocket(`${scheme}://${location.host}/ws/room/${code}`, join, handlers);
  socket.connect();
}

async function openShared(id) {
  try {
    socket = await openSharedLink(id, handlers);
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

function bindForms() {
  for (const el of document.querySelectorAll("[data-action]")) {
    const act = ACTIONS[el.dataset.action];
    if (act) el.addEventListener("click", () => act(el));
  }
  fillSelect($("[data-push-dataset]"), boot.options.dataset.choices.filter((d) => d !== "custom"));
  $("[data-push-form]").addEventListener("submit", (e) => {
    e.preventDefault();
    const hidden = $("[data-push-hidden]").value.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
    const title = $("[data-push-title]").value || "Exercise";
    if ($("[data-push-current]").checked) send("push", { title, current: true });
    else send("push", { title, config: { dataset: $("[data-push-dataset]").value, hidden } });
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
}

function init() {
  bindForms();
  if (boot.snapshot) {
    openShared(boot.snapshot);
    return;
  }
  if (!code) {
    ui.show("[data-landing]", true);
    page.carried = carriedConfig();
    ui.show("[data-carried]", page.carried !== null);
    if (location.hash === "#join") $("[data-code-input]").focus();
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
