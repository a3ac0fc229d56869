// The page's draw loop: at most one draw per animation frame, of the store's newest frame
// (older undrawn ones were dropped by store.offerFrame), then the data points if they changed.
// On a device too slow to draw every frame cheaply (a phone), draws are paced (DrawPacer).

/** Drawing (script, style, layout, paint) may keep the main thread busy this share of the time. */
export const DRAW_SHARE = 0.25;
/** Never paced below this many draws a second: a follower on a phone still sees >= 20 fps. */
export const MIN_DRAW_RATE = 24;
/** A paced page asks the server for no more frames than it draws; it lifts that once a draw
 * costs less than this share of the floor's budget (well under it: no asking back and forth). */
const LIFT_SHARE = 0.75;
/** On a device paced to its floor, a playing run's readouts (epoch, losses), loss chart and
 * links are refreshed at most this often (ms), not with every map: each refresh relays the
 * numbers out, repaints them and the links and hands the chart's canvas to the compositor. */
export const READOUTS_MS = 250;
/** Readouts left out of a draw are drawn on their own after this long without one. */
const READOUTS_OWED_MS = 150;
/** A display refresh (60 Hz): the granularity of drawing. */
export const REFRESH_MS = 1000 / 60;

/**
 * Paces draws to the device: it measures what a draw costs the main thread, from the draw's
 * start to the end of the rendering it caused (a task posted from the animation frame runs
 * after it), and spaces draws so that they take at most DRAW_SHARE of the time, but never
 * fewer than MIN_DRAW_RATE a second. A laptop draws in a few milliseconds and is never paced;
 * whatever the pace, each draw shows the newest frame.
 */
export class DrawPacer {
  constructor() {
    this.cost = 0; // ms per draw (from its start to the end of its rendering), moving average
    this.nextAt = 0; // performance.now() before which the next draw waits
    this.channel = new MessageChannel();
    this.channel.port1.onmessage = (event) => this.measured(performance.now() - event.data);
  }

  /** A slow device (a phone): even MIN_DRAW_RATE draws a second take more than DRAW_SHARE. */
  get slow() {
    return this.cost / DRAW_SHARE >= 1000 / MIN_DRAW_RATE;
  }

  /** Milliseconds to wait before the next draw (0: the next animation frame). */
  wait(now) {
    return Math.max(0, this.nextAt - now);
  }

  /** A draw starts at `now`: books the next slot and, if `measure`, measures its cost. */
  drew(now, measure = true) {
    const interval = Math.min(1000 / MIN_DRAW_RATE, this.cost / DRAW_SHARE);
    // A draw late by up to one interval (timers and display refreshes are coarse) lets the
    // next one come sooner, so the rate holds on average. Within one display refresh, no wait.
    this.nextAt = interval < REFRESH_MS ? 0 : Math.max(this.nextAt, now - interval) + interval;
    if (measure) this.channel.port2.postMessage(now);
  }

  /**
   * The frame rate to ask the server for (a `view` message's max_fps), given the one asked
   * now: MIN_DRAW_RATE once slow (frames it would not draw are then never sent nor decoded),
   * null (every frame) once draws cost well under that again, else unchanged.
   */
  rate(asked) {
    if (this.slow) return MIN_DRAW_RATE;
    return this.cost / DRAW_SHARE < (LIFT_SHARE * 1000) / MIN_DRAW_RATE ? null : asked;
  }

  measured(ms) {
    this.cost += (Math.min(ms, 250) - this.cost) * 0.1;
  }
}

export class DrawLoop {
  /**
   * @param {object} store the page's store (store.js)
   * @param {{view, heatmap, hovercard, network}} parts the components a frame is drawn into
   * @param {{stats, viewOptions(), pointColor(source), drawRate(rate)}} hooks viewOptions():
   *   FrameView's draw options; pointColor(source): a label's colour under the data's
   *   problem; drawRate(rate): the frames a second the page draws changed (null: all)
   */
  constructor(store, parts, hooks) {
    this.store = store;
    this.parts = parts;
    this.hooks = hooks;
    this.pending = false;
    this.pacer = new DrawPacer();
    this.readoutsAt = -Infinity; // when the readouts were last drawn
    this.readoutsOwed = null; // the timer that draws the readouts a paced draw left out
    this.rate = null; // the frame rate asked of the server (null: every frame)
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    // A paced draw: a timer wakes up a refresh early, and the draw goes to the first display
    // refresh within half a refresh of its slot (timers alone come late and lose draws).
    const wait = this.pacer.wait(performance.now());
    if (wait > REFRESH_MS) setTimeout(() => requestAnimationFrame(this.tick), wait - REFRESH_MS);
    else requestAnimationFrame(this.tick);
  }

  tick = () => {
    if (this.pacer.wait(performance.now()) > REFRESH_MS / 2) requestAnimationFrame(this.tick);
    else this.draw();
  };

  draw() {
    this.pending = false;
    const { store, parts, hooks } = this;
    const started = performance.now();
    const rate = this.pacer.rate(this.rate);
    if (rate !== this.rate) hooks.drawRate((this.rate = rate));
    const frame = store.frame;
    store.frame = null;
    const target = frame || (store.redraw.full ? store.last : null);
    // A page paced to its floor (it asked the server for fewer frames) refreshes a playing
    // run's readouts, loss chart and links a few times a second; the maps show every draw.
    // If no draw follows soon (the run stopped), the readouts are drawn on their own, so they
    // always end on the last frame. The pacer measures only draws with readouts: its cost
    // stays a whole draw's, so that a page paced for it stays paced (no flapping).
    const paced = this.rate !== null && target && target.state === "playing";
    const readouts = !paced || started - this.readoutsAt >= READOUTS_MS;
    this.pacer.drew(started, readouts);
    if (target) {
      if (readouts) this.readoutsAt = started;
      parts.view.draw(target, { ...hooks.viewOptions(), full: store.redraw.full, readouts });
      clearTimeout(this.readoutsOwed);
      if (!readouts) this.readoutsOwed = setTimeout(() => parts.view.drawReadouts(target), READOUTS_OWED_MS);
      store.last = target;
      store.redraw.full = false;
      parts.hovercard.refresh((param) => parts.network.paramValue(param));
    }
    if (store.redraw.points && store.dataset) {
      store.redraw.points = false;
      // Drawn points stay visible while editing custom data, whichever split they fell in.
      const showTest = store.ui.show_test_data || store.config.dataset === "custom";
      parts.heatmap.updatePoints(store.dataset.points, hooks.pointColor(store.dataset), showTest);
    }
    if (frame) {
      const { stats } = hooks;
      stats.draw.push(performance.now() - started);
      if (stats.draw.length > 4000) stats.draw.splice(0, 2000);
      stats.drawn += 1;
    }
  }
}
