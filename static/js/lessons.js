// The lessons: a menu of the course (from GET /api/lessons) and the panel of the open lesson.
// The server evaluates each check on every frame (frame header `lesson`); this module only
// puts them in words. It never touches the socket: `open(id, variant)`, `close()` (leave the
// lesson) and `compare(lesson)` (show a lesson's `compare` variants side by side; a lesson
// without, or null, leaves the compare view) are main.js's to wire.

const PERCENT = /(accuracy|fraction)$/;

/** The lesson a `#lesson=<id>[&variant=<i>]` hash asks for, as {id, variant}, or null. */
export function lessonFromHash(hash) {
  const match = /(?:^#|&)lesson=([a-z0-9-]+)(?:&|$)/.exec(hash);
  if (!match) return null;
  const variant = /(?:^#|&)variant=(\d+)(?:&|$)/.exec(hash);
  return { id: match[1], variant: variant ? Number(variant[1]) : null };
}

/** The hash words that name an open lesson (read back by lessonFromHash). */
export function lessonHash(lesson) {
  return lesson.variant === null ? `lesson=${lesson.id}` : `lesson=${lesson.id}&variant=${lesson.variant}`;
}

function shown(metric, value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value;
  if (PERCENT.test(metric)) return `${Math.round(value * 1000) / 10} %`;
  return Math.abs(value) >= 1e-3 || value === 0 ? `${+value.toPrecision(3)}` : value.toExponential(1);
}

const OP_WORDS = { "<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=" };

/** "Most weights are exactly zero: 67 % ≥ 50 %" */
export function checkText(check) {
  const actual = shown(check.metric, check.actual);
  return `${check.label}: ${actual} ${OP_WORDS[check.op]} ${shown(check.metric, check.value)}`;
}

function element(tag, attrs = {}, text = "") {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  if (text) el.textContent = text;
  return el;
}

export class Lessons {
  constructor(menu, panel, { open, close, compare }) {
    this.menu = menu; // <details> whose list links every lesson by topic
    this.panel = panel; // the open lesson's text, checks and "now try" buttons
    this.open = open;
    this.compare = compare;
    this.live = true; // whether this page may change the run (a follower only watches)
    panel.querySelector("[data-lesson-close]").addEventListener("click", close);
    this.byId = new Map();
    this.current = null; // {id, variant} the frames follow
    this.last = null; // latest frame header (shown again once the lessons have loaded)
  }

  /** A page that may not change the run (a room's follower) shows the lesson, not its buttons. */
  setLive(live) {
    this.live = live;
    this.menu.hidden = !live;
    for (const el of this.panel.querySelectorAll("[data-lesson-tries], [data-lesson-close]")) el.hidden = !live;
  }

  setLessons(lessons) {
    this.byId = new Map(lessons.map((l) => [l.id, l]));
    const list = this.menu.querySelector("[data-lessons-list]");
    list.replaceChildren();
    let group = null;
    for (const lesson of lessons) {
      if (!group || group.dataset.topic !== lesson.topic) {
        group = element("ol", { "data-topic": lesson.topic });
        list.append(element("h3", {}, lesson.topic), group);
      }
      const link = element("a", { href: `#lesson=${lesson.id}`, "data-lesson-link": lesson.id });
      link.textContent = lesson.title;
      if (!lesson.available) {
        link.removeAttribute("href");
        link.title = lesson.unavailable_reason;
      }
      link.addEventListener("click", (event) => {
        event.preventDefault();
        if (lesson.available) this.open(lesson.id, null);
        if (lesson.available) this.compare(lesson); // side by side, if the lesson says so
        this.menu.open = false;
      });
      const item = element("li");
      item.append(link);
      group.append(item);
    }
    if (this.last) this.update(this.last);
  }

  /** A frame header: show the followed lesson's checks (or hide the panel). */
  update(header) {
    this.last = header;
    const followed = header.lesson;
    if (!followed) {
      // Every frame: setting the attribute, even to the same value, would restyle the page.
      if (!this.panel.hidden) this.panel.hidden = true;
      this.current = null;
      return;
    }
    const lesson = this.byId.get(followed.id);
    if (!lesson) return;
    if (!this.current || this.current.id !== followed.id || this.current.variant !== followed.variant) {
      this.current = { id: followed.id, variant: followed.variant };
      this.render(lesson, followed.variant);
    }
    const list = this.panel.querySelector("[data-lesson-checks]");
    list.replaceChildren(
      ...followed.checks.map((check) =>
        element("li", { "data-met": String(check.met) }, `${check.met ? "✓" : "✗"} ${checkText(check)}`),
      ),
    );
    this.panel.querySelector("[data-lesson-epoch]").textContent =
      `Epoch ${header.epoch} of ${followed.stop_at}`;
  }

  render(lesson, variant) {
    this.panel.hidden = false;
    this.panel.dataset.lessonId = lesson.id;
    this.panel.querySelector("[data-lesson-title]").textContent = lesson.title;
    this.panel.querySelector("[data-lesson-concept]").textContent = `${lesson.topic} · ${lesson.concept}`;
    const text = variant === null ? lesson.text : lesson.now_try[variant].text;
    this.panel.querySelector("[data-lesson-text]").textContent = text;
    const tries = this.panel.querySelector("[data-lesson-tries]");
    tries.replaceChildren();
    const runs = [[null, "The lesson's run"], ...lesson.now_try.map((v, i) => [i, `Now try ${i + 1}`])];
    for (const [index, name] of runs) {
      const button = element("button", { type: "button", "data-lesson-variant": String(index) }, name);
      if (index === variant) button.setAttribute("aria-pressed", "true");
      if (index !== null) button.title = lesson.now_try[index].text;
      button.addEventListener("click", () => {
        this.open(lesson.id, index);
        this.compare(null); // one run again: leave the compare view
      });
      tries.append(button);
    }
    if (lesson.compare) {
      const button = element("button", { type: "button", "data-lesson-compare": "" }, "Compare side by side");
      button.addEventListener("click", () => this.compare(lesson));
      tries.append(button);
    }
  }
}
