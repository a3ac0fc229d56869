// What each `data-action` button (and its keyboard shortcut) does: a message to the server
// or a page-only change. main.js asks the mode first (modes.js `allows`).

import { pointsCsv } from "./data-editor.js";
import { lowerLearningRate, withHidden } from "./edits.js";
import { download, downloadText, mapPng } from "./exporter.js";
import { SPEEDS, speedIndex } from "./speed.js";

/**
 * The page's actions, by the name in `data-action`.
 * @param {object} page the store (store.js)
 * @param {object} parts chrome, notices, shareBox, announcer
 * @param {object} hooks send(type, data), configure(changes), setUi(name, value), options,
 *   lrPresets (the learning-rate choices, ascending), map() (the map's canvas, painted up to
 *   date) and points (the points' canvas)
 */
export function pageActions(page, parts, hooks) {
  const { chrome, notices, shareBox, announcer } = parts;
  const { send, configure, setUi, options } = hooks;

  /** Asks for the run's state; the `state` reply goes to `what` (a download, or a share link). */
  const exportFor = (what) => {
    page.exporting = what;
    send("export");
  };

  const stepSpeed = (delta) => {
    const i = Math.max(0, Math.min(SPEEDS.length - 1, speedIndex(page.config) + delta));
    configure({ ...SPEEDS[i] });
  };

  return {
    play: () => send(page.state === "playing" ? "pause" : "play"),
    step: () => send("step", { epochs: 1 }),
    step_batch: () => send("step", { batches: 1 }),
    reset: () => send("reset", { reseed: true }),
    regenerate: () => send("regenerate"),
    // A new layer gets 2 neurons, as in the reference.
    add_layer: () => configure(withHidden([...page.config.hidden, 2], page.config, options)),
    remove_layer: () => configure(withHidden(page.config.hidden.slice(0, -1), page.config, options)),
    lower_lr: () => {
      const lr = lowerLearningRate(page.config.learning_rate, hooks.lrPresets, options.learning_rate.min);
      configure({ learning_rate: lr });
      send("reset", { reseed: false });
    },
    dismiss_banner: () => notices.dismissBanner(),
    clear_points: () => send("clear_points"),
    download_csv: () => page.dataset && downloadText("playground-data.csv", pointsCsv(page.dataset.points), "text/csv"),
    export_model: () => exportFor("model"),
    export_loss: () => exportFor("loss"),
    share: () => {
      shareBox.busy();
      exportFor("share");
    },
    close_share: () => shareBox.hide(),
    export_png: async () => download("playground-map.png", await mapPng(hooks.map(), hooks.points)),
    toggle_test: () => setUi("show_test_data", !page.ui.show_test_data),
    toggle_discretize: () => setUi("discretize", !page.ui.discretize),
    toggle_palette: () => setUi("palette", page.ui.palette === "default" ? "colorblind" : "default"),
    toggle_presentation: () => setUi("presentation", !page.ui.presentation),
    describe_map: () => announcer.announceMap(),
    faster: () => stepSpeed(1),
    slower: () => stepSpeed(-1),
    help: () => chrome.toggle("help"),
    settings: () => chrome.toggle("settings"),
    close: () => {
      chrome.closeOverlays();
      shareBox.hide();
    },
  };
}
