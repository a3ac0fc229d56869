// The room's own DOM: the bar (code, mode, counts, lag, connection), the roster, notices.
// Names from students are only ever set with textContent, never parsed as HTML.

const MODE_TEXT = {
  control: "You control this room",
  follow: "Following the instructor",
  fork: "Working on your own copy",
  shared: "A shared network, yours to change",
};

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
    for (const el of this.root.querySelectorAll("[data-room-code]")) el.textContent = code;
  }

  setMode(you) {
    const badge = this.q("[data-mode-badge]");
    badge.hidden = false;
    badge.dataset.mode = you.mode;
    badge.textContent = `${MODE_TEXT[you.mode] || you.mode}${you.role === "student" ? ` (${you.name})` : ""}`;
    this.root.dataset.mode = you.mode;
    this.show("[data-action=fork]", you.mode === "follow");
    this.show("[data-action=refollow]", you.mode === "fork");
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

  setConnection(state, detail) {
    const el = this.q("[data-room-connection]");
    el.dataset.roomConnection = state;
    el.textContent = detail ? `${state}: ${detail}` : state;
  }

  setLag(ms) {
    const el = this.q("[data-lag]");
    el.hidden = false;
    el.textContent = `${Math.max(0, Math.round(ms))} ms behind`;
  }

  notice(text, kind = "info") {
    const el = this.q("[data-room-notice]");
    el.hidden = !text;
    el.dataset.kind = kind;
    el.textContent = text || "";
  }
}
