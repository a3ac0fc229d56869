// The room's own DOM: the bar (code, mode, counts, lag), the roster, notices.
// Names from students are only ever set with textContent, never parsed as HTML.

import { setText } from "../metrics.js";

/** The lag is read, not watched: a few updates a second keep a follower's frame cheap. */
const LAG_INTERVAL_MS = 250;

/** Every panel a mode may show (modes.js `panels`). */
const PANELS = ["[data-instructor-panel]", "[data-action=fork]", "[data-action=refollow]"];

export class RoomUi {
  constructor(root, on) {
    this.root = root;
    this.on = on; // {kick(member)}: the roster's `member` of a student
    this.q = (s) => root.querySelector(s);
  }

  show(selector, visible) {
    for (const el of this.root.querySelectorAll(selector)) el.hidden = !visible;
  }

  setCode(code) {
    this.show("[data-room-title]", Boolean(code));
    for (const el of this.root.querySelectorAll("[data-room-code]")) el.textContent = code;
  }

  /** The page mode (modes.js) and who we are: the badge and the mode's panels. */
  setMode(mode, you) {
    const badge = this.q("[data-mode-badge]");
    badge.hidden = !mode.badge;
    badge.dataset.mode = mode.name;
    badge.textContent = `${mode.badge}${you && you.role === "student" ? ` (${you.name})` : ""}`;
    for (const selector of PANELS) this.show(selector, mode.panels.includes(selector));
  }

  setRoom(room) {
    const controller = this.q("[data-controller]");
    controller.hidden = false;
    controller.textContent = room.instructor_online
      ? "The instructor is in control"
      : "The instructor is away";
    const count = this.q("[data-student-count]");
    count.hidden = false;
    count.textContent = `${room.students} / ${room.max_students} students${room.locked ? " · locked" : ""}`;
    // `trouble`: the room's servers cannot reach each other (Redis); shown until it clears.
    if (room.trouble) this.notice(room.trouble, "error");
    else if (this.troubled) this.notice("");
    this.troubled = Boolean(room.trouble);
    const lock = this.q("[data-action=lock]");
    lock.setAttribute("aria-pressed", String(room.locked));
    lock.textContent = room.locked ? "Unlock joining" : "Lock joining";
  }

  setRoster(students) {
    this.q("[data-roster-count]").textContent = String(students.length);
    const list = this.q("[data-roster]");
    list.replaceChildren(
      ...students.map((s) => {
        const li = document.createElement("li");
        li.dataset.student = s.name;
        const name = document.createElement("span");
        name.textContent = s.name;
        const mode = document.createElement("small");
        mode.textContent = s.away ? " (away)" : s.mode === "fork" ? " (own copy)" : "";
        const kick = document.createElement("button");
        kick.type = "button";
        kick.textContent = "Remove";
        kick.dataset.kick = s.name;
        kick.addEventListener("click", () => this.on.kick(s.member));
        li.append(name, mode, kick);
        return li;
      }),
    );
  }

  setLag(ms) {
    const now = performance.now();
    if (now - (this.lagAt ?? -Infinity) < LAG_INTERVAL_MS) return;
    this.lagAt = now;
    const el = this.q("[data-lag]");
    if (el.hidden) el.hidden = false;
    setText(el, `${Math.max(0, Math.round(ms))} ms behind`);
  }

  notice(text, kind = "info") {
    const el = this.q("[data-room-notice]");
    el.hidden = !text;
    el.dataset.kind = kind;
    el.textContent = text || "";
  }
}
