// The page's modes. The playground page is the same in each: a mode only says which controls
// are live, whether the page may ask for a node's full map, whether the URL follows the
// config, and which room panel shows. main.js applies the current mode after every render.

/** The page's modes by name (the `data-mode` of the body and the room badge). */
export const MODES = Object.freeze({
  // Your own session on /ws.
  solo: { name: "solo", live: true, selects: true, writesUrl: true, badge: "", panels: [] },
  // The room's live run: every change reaches every follower.
  instructor: {
    name: "instructor",
    live: true,
    selects: true,
    writesUrl: false,
    badge: "You control this room",
    panels: ["[data-instructor-panel]"],
  },
  // The instructor while a student's run is on the projector (the class wall's spotlight):
  // that run, read-only, until the instructor hands back.
  spotlight: {
    name: "spotlight",
    live: false,
    selects: false,
    writesUrl: false,
    badge: "Showing a student's run",
    panels: ["[data-instructor-panel]"],
  },
  // The instructor's live run, read-only; hovering a node enlarges its thumbnail in the page.
  follower: {
    name: "follower",
    live: false,
    selects: false,
    writesUrl: false,
    badge: "Following the instructor",
    panels: ["[data-action=fork]"],
  },
  // A student's own copy of the live run (or a pushed exercise), in the room.
  fork: {
    name: "fork",
    live: true,
    selects: true,
    writesUrl: false,
    badge: "Working on your own copy",
    panels: ["[data-action=refollow]"],
  },
  // A share link (/s/ID): the saved network in a session of your own; the path names it.
  snapshot: {
    name: "snapshot",
    live: true,
    selects: true,
    writesUrl: false,
    badge: "A shared network, yours to change",
    panels: [],
  },
});

/** The room server's `you.mode` as a page mode. */
export const ROOM_MODES = { control: MODES.instructor, follow: MODES.follower, fork: MODES.fork };

/** Controls whose change stays in this page (looks, readouts, exports): live in every mode. */
export const VIEW_CONTROLS = new Set([
  "epoch",
  "show_test_data",
  "discretize",
  "class_view",
  "palette",
  "presentation",
  "metrics",
  "export",
]);

/** Actions (data-action, shortcuts) that change the run: not offered where it is read-only. */
const RUN_ACTIONS = new Set(["play", "step", "step_batch", "reset", "regenerate", "add_layer",
  "remove_layer", "lower_lr", "clear_points", "faster", "slower"]);

/** Whether `mode` lets the page do `action`. */
export function allows(mode, action) {
  return mode.live || !RUN_ACTIONS.has(action);
}

/** Buttons outside any [data-control] that change the run (the divergence banner's). */
const RUN_BUTTONS = "[data-banner] [data-action=lower_lr], [data-banner] [data-action=reset]";

/**
 * Disables every input of every run control (they stay on the page, showing their values).
 * Unlocking re-enables what this locked; the caller re-renders so that components disable
 * again what they disable themselves (e.g. "add a layer" at the maximum).
 */
export function lockControls(doc, locked) {
  // The network's feature switches are not form inputs: they say so to assistive tech.
  for (const el of doc.querySelectorAll("[data-feature]")) {
    if (locked) el.setAttribute("aria-disabled", "true");
    else el.removeAttribute("aria-disabled");
  }
  if (!locked) {
    for (const el of doc.querySelectorAll("[data-locked]")) {
      el.disabled = false;
      delete el.dataset.locked;
    }
    return;
  }
  const targets = [...doc.querySelectorAll(RUN_BUTTONS)];
  for (const box of doc.querySelectorAll("[data-control]")) {
    if (VIEW_CONTROLS.has(box.dataset.control)) continue;
    if (box.matches("button, input, select")) targets.push(box);
    targets.push(...box.querySelectorAll("button, input, select"));
  }
  for (const el of targets) {
    el.disabled = true;
    el.dataset.locked = "1";
  }
}
