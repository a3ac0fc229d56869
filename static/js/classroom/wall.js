// The class wall, a panel of the instructor's room page: a card per student (their own
// run's decision boundary, test loss and accuracy, shape, epoch; or "following"), sorted
// on demand, and the spotlight that puts one student's run on the projector.
// Names from students are only ever set with textContent.

import { LutCache, PALETTES, hexToRgb } from "../colors.js";

/** Sort orders of the wall (the `<select data-wall-sort>` values): [key, compare]. */
const SORTS = {
  name: (a, b) => a.name.localeCompare(b.name),
  test_loss: (a, b) => rank(a.test_loss, b.test_loss, 1) || SORTS.name(a, b),
  test_accuracy: (a, b) => rank(a.test_accuracy, b.test_accuracy, -1) || SORTS.name(a, b),
  epoch: (a, b) => rank(a.epoch, b.epoch, -1) || SORTS.name(a, b),
};
const RESORT_MS = 2000; // cards move at most this often while their numbers change
const luts = new LutCache();

/** Ascending (direction 1) or descending (-1); missing values (following) always last. */
function rank(x, y, direction) {
  const a = typeof x === "number" ? x : null;
  const b = typeof y === "number" ? y : null;
  if (a === null || b === null) return (a === null) - (b === null);
  return direction * (a - b);
}

function fixed(value, digits) {
  return typeof value === "number" ? value.toFixed(digits) : "–";
}

export class Wall {
  /**
   * @param {HTMLElement} root the `[data-wall]` section
   * @param {{send(type, data)}} on what the wall asks of the room socket
   */
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.q = (s) => root.querySelector(s);
    this.cards = new Map(); // member -> the last wall_card's data
    this.items = new Map(); // member -> its <li>
    this.open = false;
    this.spotlight = null;
    this.resortTimer = null;
    this.q("[data-wall-sort]").addEventListener("change", () => this.resort());
  }

  /** The toggle: open (every card, then updates about once a second) or close the wall. */
  toggle() {
    this.setOpen(!this.open);
    this.on.send("wall", { open: this.open });
  }

  /** Joined (again): a wall that was open asks for the cards anew. */
  joined() {
    if (this.open) this.on.send("wall", { open: true });
  }

  setOpen(open) {
    this.open = open;
    const toggle = this.q("[data-action=wall]");
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Close the class wall" : "Open the class wall";
    this.q("[data-wall-body]").hidden = !open;
    if (!open) {
      this.cards.clear();
      this.items.clear();
      this.q("[data-wall-grid]").replaceChildren();
      this.count();
    }
  }

  /** One `wall_card`: a student's card is added, updated in place, or (gone) removed. */
  card(data) {
    if (!this.open) return;
    const member = data.member;
    if (data.gone) {
      this.cards.delete(member);
      this.items.get(member)?.remove();
      this.items.delete(member);
      this.count();
      return;
    }
    const isNew = !this.items.has(member);
    this.cards.set(member, data);
    if (isNew) {
      const li = this.build(member);
      this.items.set(member, li);
      this.q("[data-wall-grid]").append(li);
    }
    this.fill(this.items.get(member), data);
    if (isNew) this.resort();
    else this.resortSoon();
    this.count();
  }

  /** The room's `spotlight`: whose run the projector shows (null: the instructor's). */
  setSpotlight(data) {
    this.spotlight = data.member;
    const bar = this.q("[data-spotlight-bar]");
    bar.hidden = !data.member;
    this.q("[data-spotlight-name]").textContent = data.name || "";
    for (const [member, li] of this.items) this.fill(li, this.cards.get(member));
  }

  count() {
    const all = [...this.cards.values()];
    const own = all.filter((c) => c.mode === "fork").length;
    this.q("[data-wall-count]").textContent = this.open ? `${all.length} students, ${own} on their own run` : "";
  }

  build(member) {
    const li = document.createElement("li");
    li.className = "wall-card";
    li.dataset.card = member;
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    const name = document.createElement("h3");
    const facts = document.createElement("p");
    facts.className = "wall-facts";
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.spotlight = member;
    button.addEventListener("click", () =>
      this.on.send("spotlight", { member: this.spotlight === member ? null : member }),
    );
    li.append(canvas, name, facts, button);
    return li;
  }

  fill(li, card) {
    const [canvas, name, facts, button] = li.children;
    const own = card.mode === "fork";
    li.dataset.mode = card.mode;
    li.dataset.name = card.name;
    name.textContent = card.name + (card.away ? " (away)" : "");
    if (own) {
      const accuracy = typeof card.test_accuracy === "number" ? `${(card.test_accuracy * 100).toFixed(1)} %` : "–";
      const shape = card.layer_sizes ? card.layer_sizes.join("-") : "–";
      facts.textContent = `epoch ${card.epoch ?? "–"} · test loss ${fixed(card.test_loss, 3)} · accuracy ${accuracy} · ${shape}`;
      li.dataset.epoch = String(card.epoch ?? "");
    } else {
      facts.textContent = "Following the live run";
      delete li.dataset.epoch;
    }
    canvas.hidden = !card.thumb;
    if (card.thumb) this.draw(canvas, card.thumb, card.name);
    const on = this.spotlight === card.member;
    button.hidden = !own;
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "Hand back" : "Spotlight";
    const label = on ? `Hand back from ${card.name}'s run` : `Spotlight ${card.name}'s run on the projector`;
    button.setAttribute("aria-label", label);
    li.classList.toggle("spotlit", on);
  }

  /** The card's picture: cells are ramp codes (value = lo + code * scale) or classes. */
  draw(canvas, thumb, who) {
    const n = thumb.size;
    const cells = Uint8Array.from(atob(thumb.cells), (c) => c.charCodeAt(0));
    canvas.width = n;
    canvas.height = n;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(n, n);
    const pixels = new Uint32Array(image.data.buffer);
    if (thumb.kind === "ramp") {
      const lut = luts.ramp("default", thumb.lo, thumb.scale, false);
      for (let i = 0; i < cells.length; i++) pixels[i] = lut[cells[i]] | 0xff000000;
    } else {
      const colours = PALETTES.default.classes.map((hex) => {
        const [r, g, b] = hexToRgb(hex);
        return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
      });
      for (let i = 0; i < cells.length; i++) pixels[i] = colours[cells[i] % colours.length];
    }
    ctx.putImageData(image, 0, 0);
    canvas.setAttribute("aria-label", `Decision boundary of ${who}'s network`);
  }

  resortSoon() {
    if (this.resortTimer === null) this.resortTimer = setTimeout(() => this.resort(), RESORT_MS);
  }

  /** Puts the cards in the chosen order; the focused control keeps the focus. */
  resort() {
    clearTimeout(this.resortTimer);
    this.resortTimer = null;
    const compare = SORTS[this.q("[data-wall-sort]").value] || SORTS.name;
    const order = [...this.cards.values()].sort(compare).map((c) => this.items.get(c.member));
    const grid = this.q("[data-wall-grid]");
    if (order.every((li, i) => grid.children[i] === li)) return;
    const focused = grid.contains(document.activeElement) ? document.activeElement : null;
    grid.append(...order);
    if (focused) focused.focus();
  }
}
