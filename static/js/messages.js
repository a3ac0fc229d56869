// The run's server messages (docs/protocol.md), one handler each: they update the store and
// hand what arrived to the components. main.js routes the room's own messages first.

import { diffFromDefaults } from "./edits.js";
import { downloadExport } from "./exporter.js";
import { MODES } from "./modes.js";

/**
 * The handlers of the run's messages, by type.
 * @param {object} page the store (store.js)
 * @param {object} parts the components a message reaches: chrome, notices, announcer,
 *   codeExport, backprop, compareView, controls, savedPoints
 * @param {object} hooks what the page does about them: send(type, data), mode(), options,
 *   applyConfig(config), openLesson(id, variant), closeLesson(), share(state), scheduleDraw()
 */
export function messageHandlers(page, parts, hooks) {
  const { chrome, notices, announcer, codeExport, backprop, compareView, controls, savedPoints } = parts;
  const { send, options } = hooks;

  /** The layer sizes of `hello` and `config` ([inputs, ...hidden, outputs]): the output count. */
  const takeSizes = (data) => {
    page.outputs = data.layer_sizes[data.layer_sizes.length - 1];
  };

  const handlers = {
    hello(data) {
      if (!data.resumed && page.snapshot) {
        // A share link: the saved network, once; a session lost later keeps the page's config.
        send("restore", { state: page.snapshot });
        page.snapshot = null;
      } else if (!data.resumed) {
        // A new session: ask for what the URL (or this page, after losing a session) wants.
        const wanted = page.last ? diffFromDefaults(page.config, options) : page.wanted;
        if (Object.keys(wanted).length) send("configure", wanted);
        if (wanted.dataset === "custom") {
          const csv = savedPoints.restore(wanted.problem ?? page.config.problem);
          if (csv) send("load_csv", { text: csv });
        }
        if (page.selected) send("select_node", page.selected);
        if (page.lesson) hooks.openLesson(page.lesson.id, page.lesson.variant);
      }
      takeSizes(data);
      hooks.applyConfig(data.config);
      handlers.status(data.status);
    },
    config(data) {
      takeSizes(data);
      hooks.applyConfig(data.config);
    },
    dataset(data) {
      // Own points are kept for the solo page's reload; a room's or a share link's are theirs.
      if (hooks.mode() === MODES.solo) savedPoints.save(page.config, data);
      page.dataset = data;
      page.redraw.points = true;
      hooks.scheduleDraw();
    },
    status(data) {
      page.state = data.state;
      chrome.playing(data.state === "playing");
      notices.status(data.state, data.message);
      announcer.status(data.state, data.message);
    },
    code: (data) => codeExport.received(data),
    trace: (data) => backprop.received(data.trace),
    compare: (data) => compareView.received(data),
    error(data) {
      if (data.request === "export") codeExport.failed(data.message);
      if (data.request === "trace") backprop.failed(data.message);
      if (data.request === "compare") compareView.failed(data.message);
      if (data.request === "lesson") hooks.closeLesson(); // no such lesson (an old link): forget it
      notices.error(data);
      controls.update(page.config, "config", true); // show the value the server kept
    },
    state(data) {
      const what = page.exporting;
      page.exporting = null;
      if (what === "share") hooks.share(data.state);
      else downloadExport(what, data.state);
    },
  };
  return handlers;
}
