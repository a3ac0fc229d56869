// The room adapter: how the playground page takes part in a classroom. It owns the room
// socket and the room's own panels (bar, landing, join form, QR, roster, push); everything
// about the run itself (config, data, status, frames) goes to the page's one dispatcher.

import { label } from "../labels.js";
import { MODES, ROOM_MODES } from "../modes.js";
import { Challenges } from "./challenges.js";
import { RoomSocket } from "./room-socket.js";
import { RoomUi } from "./room-ui.js";
import { Wall } from "./wall.js";

/** Error codes about the room rather than a field (docs/classroom.md): the notice line. */
const ROOM_ERRORS = new Set([
  "forbidden",
  "room_locked",
  "room_full",
  "room_ended",
  "room_unknown",
  "name_taken",
  "kicked",
  "unauthorized",
  "rate_limited",
  "too_many_rooms",
  "server_full",
  "rooms_unavailable",
  "room_unavailable",
]);

export class Room {
  /**
   * @param {Document} doc
   * @param {object} boot the page's bootstrap: `room` (the code, or null on the landing)
   * @param {{socketHandlers, setMode(mode, you), carried(): object, hashConfig: boolean}} page
   *   socketHandlers: the page's {onMessage, onFrame, onConnection}; carried(): the config
   *   a room created from here starts from
   */
  constructor(doc, boot, page) {
    this.doc = doc;
    this.code = boot.room;
    this.snapshot = boot.snapshot;
    this.options = boot.options;
    this.page = page;
    this.socket = null;
    this.ui = new RoomUi(doc.querySelector("[data-room]"), {
      kick: (member) => this.send("kick", { member }),
    });
    this.wall = new Wall(doc.querySelector("[data-wall]"), { send: (type, data) => this.send(type, data) });
    this.mode = null;
    this.actions = {
      wall: () => this.wall.toggle(),
      hand_back: () => this.send("spotlight", { member: null }),
      create_room: () => this.createRoom(),
      fork: () => this.send("fork"),
      refollow: () => this.send("refollow"),
      lock: () => {
        const locked = this.$("[data-action=lock]").getAttribute("aria-pressed") === "true";
        this.send(locked ? "unlock" : "lock");
      },
      end_room: () => window.confirm("End this room for everyone?") && this.send("end"),
    };
    this.challenges = new Challenges(doc.querySelector("[data-challenges]"), boot, {
      send: (type, data) => this.send(type, data),
      room: () => this.code,
      secret: () => sessionStorage.getItem(`room-secret-${this.code}`),
    });
    Object.assign(this.actions, this.challenges.actions);
  }

  $(selector) {
    return this.doc.querySelector(selector);
  }

  send(type, data) {
    if (this.socket) this.socket.send(type, data);
  }

  /** Handles a room message; false for what the page's dispatcher handles. */
  handle(type, data) {
    const ui = this.ui;
    if (type === "you") this.challenges.setYou(data);
    if (this.challenges.handle(type, data)) return true;
    if (type === "you") {
      const mode = ROOM_MODES[data.mode];
      ui.show("[data-join-form]", false);
      this.you = data;
      this.setMode(mode);
      if (data.role === "instructor") {
        this.startFromCarried();
        this.wall.joined();
      }
    } else if (type === "room") ui.setRoom(data);
    else if (type === "wall_card") this.wall.card(data);
    else if (type === "wall") this.wall.setOpen(data.open);
    else if (type === "spotlight") this.spotlight(data);
    else if (type === "roster") ui.setRoster(data.students);
    else if (type === "pushed") ui.notice(`New exercise from the instructor: ${data.scenario.title}`);
    else if (type === "kicked" || type === "ended") ui.notice(data.message, "error");
    else if (type === "error" && !data.field && ROOM_ERRORS.has(data.code)) ui.notice(data.message, "error");
    else return false;
    return true;
  }

  setMode(mode) {
    this.mode = mode;
    this.ui.setMode(mode, this.you);
    this.page.setMode(mode);
  }

  /**
   * A student's run is on the projector (or, member null, the instructor's again): the
   * instructor's page shows it read-only, a follower's shows it, the student is told.
   */
  spotlight(data) {
    this.wall.setSpotlight(data);
    const role = this.you && this.you.role;
    if (role === "instructor") {
      this.setMode(data.member ? MODES.spotlight : MODES.instructor);
    } else if (this.mode === MODES.fork) {
      this.ui.notice(data.member ? "Your run is on the projector" : "");
    } else if (this.mode === MODES.follower) {
      this.setMode(MODES.follower); // another run: the loss chart starts again
      this.ui.notice(data.member ? `Now showing ${data.name}'s run` : "");
    }
  }

  /** A frame of the room's: fanned-out ones carry the server's clock (the lag). */
  frame(frame) {
    if (frame.sent_at) this.ui.setLag(Date.now() - frame.sent_at);
  }

  /**
   * The landing (no code), the instructor's page (a secret) or a student's join form; on a
   * share link (`boot.snapshot`), only the bar saying whose network this is.
   */
  start(mode) {
    this.$("[data-room]").hidden = false;
    if (this.snapshot) {
      this.ui.setMode(mode, null);
      return;
    }
    if (!this.code) {
      this.ui.show("[data-landing]", true);
      this.ui.show("[data-carried]", this.page.hashConfig);
      this.bindLanding();
      return;
    }
    this.ui.setCode(this.code);
    this.bindRoom();
    // The control link carries the secret in the fragment (never sent to the server in a
    // URL); keep it for this tab and take it off the address bar before it is projected.
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("secret");
    if (fromHash) {
      sessionStorage.setItem(`room-secret-${this.code}`, fromHash);
      history.replaceState(null, "", location.pathname);
    }
    const secret = sessionStorage.getItem(`room-secret-${this.code}`);
    if (secret) this.startInstructor(secret);
    else this.ui.show("[data-join-form]", true);
  }

  bindLanding() {
    this.$("[data-code-form]").addEventListener("submit", (e) => {
      e.preventDefault();
      const code = this.$("[data-code-input]").value.trim().toUpperCase();
      location.assign(`/room/${encodeURIComponent(code)}`);
    });
    if (location.hash === "#join") this.$("[data-code-input]").focus();
  }

  bindRoom() {
    const datasets = this.options.dataset.choices.filter((d) => d !== "custom");
    this.$("[data-push-dataset]").replaceChildren(...datasets.map((d) => new Option(label(d), d)));
    this.$("[data-push-form]").addEventListener("submit", (e) => {
      e.preventDefault();
      const title = this.$("[data-push-title]").value || "Exercise";
      if (this.$("[data-push-current]").checked) {
        this.send("push", { title, current: true });
        return;
      }
      const hidden = this.$("[data-push-hidden]").value.split(",").map((s) => s.trim());
      const config = { dataset: this.$("[data-push-dataset]").value, hidden: hidden.filter(Boolean).map(Number) };
      this.send("push", { title, config });
    });
    this.$("[data-name-form]").addEventListener("submit", (e) => {
      e.preventDefault();
      const name = this.$("[data-name-input]").value.trim();
      this.connect(name ? { name } : {});
    });
  }

  async createRoom() {
    const response = await fetch("/api/rooms", { method: "POST" });
    const body = await response.json();
    if (!response.ok) {
      this.ui.notice(body.detail || "Could not create a room", "error");
      return;
    }
    sessionStorage.setItem(`room-secret-${body.code}`, body.secret);
    const carried = this.page.carried();
    if (Object.keys(carried).length) sessionStorage.setItem(`room-start-${body.code}`, JSON.stringify(carried));
    location.assign(`/room/${body.code}`);
  }

  /** A room created from the playground starts its live run from the playground's settings. */
  startFromCarried() {
    const key = `room-start-${this.code}`;
    const carried = sessionStorage.getItem(key);
    if (!carried) return;
    sessionStorage.removeItem(key); // once: a reconnect must not undo the instructor's changes
    this.send("configure", JSON.parse(carried));
  }

  startInstructor(secret) {
    const joinUrl = this.$("[data-join-url]");
    joinUrl.textContent = `${location.origin}/room/${this.code}`;
    joinUrl.href = `/room/${this.code}`;
    this.$("[data-qr]").src = `/api/rooms/${this.code}/qr.svg`;
    this.$("[data-control-link]").value = `${location.origin}/room/${this.code}#secret=${secret}`;
    this.connect({ secret });
  }

  connect(join) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/ws/room/${this.code}`;
    this.socket = new RoomSocket(url, join, this.page.socketHandlers);
    this.socket.connect();
  }
}
