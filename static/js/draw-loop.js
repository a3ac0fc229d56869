// The page's draw loop: at most one draw per animation frame, of the store's newest frame
// (older undrawn ones were dropped by store.offerFrame), then the data points if they changed.

export class DrawLoop {
  /**
   * @param {object} store the page's store (store.js)
   * @param {{view, heatmap, hovercard, network}} parts the components a frame is drawn into
   * @param {{stats, viewOptions(), pointColor(source)}} hooks viewOptions(): FrameView's
   *   draw options; pointColor(source): a label's colour under the data's problem
   */
  constructor(store, parts, hooks) {
    this.store = store;
    this.parts = parts;
    this.hooks = hooks;
    this.pending = false;
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.pending = false;
    const { store, parts, hooks } = this;
    const started = performance.now();
    const frame = store.frame;
    store.frame = null;
    const target = frame || (store.redraw.full ? store.last : null);
    if (target) {
      parts.view.draw(target, { ...hooks.viewOptions(), full: store.redraw.full });
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
