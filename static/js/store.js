// The page's one store, the same in every mode: what the server said (config, data, status,
// frames) and what this page chose (looks, hidden controls, the hovered node).

import { UI_PROPS } from "./state.js";

/** A fresh store from the server's defaults and what the URL hash asked for. */
export function createStore(defaults, fromHash) {
  return {
    config: { ...defaults, ...fromHash.config },
    wanted: fromHash.config, // what the URL asked for; sent to every new solo session
    ui: { ...Object.fromEntries(UI_PROPS.map((p) => [p.name, p.default])), ...fromHash.ui },
    hidden: fromHash.hidden,
    state: "paused",
    dataset: null,
    frame: null, // latest frame not drawn yet
    last: null, // latest drawn frame
    selected: null, // the hovered node {layer, neuron}, or null
    outputs: 1, // output neurons
    sizesFromConfig: false, // whether `config` messages carry the layer sizes (else: frames)
    snapshot: null, // a share link's saved state, until it is restored into the session
    exporting: null, // what the next `state` reply is for
    redraw: { points: true, full: true },
  };
}

/**
 * Queues a frame for the next draw. Latest wins: an undrawn older frame is dropped, but the
 * input maps it may carry are sent only once per rebuild, so they move on to its replacement.
 */
export function offerFrame(store, frame) {
  const dropped = store.frame;
  if (dropped && dropped.arrays.inputs && !frame.arrays.inputs) {
    frame.arrays.inputs = dropped.arrays.inputs;
  }
  store.frame = frame;
}

/**
 * The output count: from the layer sizes of a `config` message when it carries them
 * ([inputs, ...hidden, outputs]); from a frame's neuron maps for a server that does not yet.
 */
export function outputCount(store, message, frame) {
  const sizes = message && message.layer_sizes;
  if (Array.isArray(sizes) && sizes.length >= 2) return sizes[sizes.length - 1];
  if (frame && frame.arrays.neurons) {
    const hidden = store.config.hidden.reduce((a, b) => a + b, 0);
    return frame.arrays.neurons.shape[0] - hidden;
  }
  return store.outputs;
}
