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
    neurons: null, // the last thumbnails received (frames leave out ones that barely changed)
    last: null, // latest drawn frame
    selected: null, // the hovered node {layer, neuron}, or null
    outputs: 1, // output neurons
    snapshot: null, // a share link's saved state, until it is restored into the session
    exporting: null, // what the next `state` reply is for
    redraw: { points: true, full: true },
    maxFps: undefined, // frames a second asked of the server (`view`); undefined: never asked
  };
}

/**
 * Queues a frame for the next draw. Latest wins: an undrawn older frame is dropped, but the
 * input maps it may carry are sent only once per rebuild, so they move on to its replacement.
 * Thumbnails come only when they moved by more than a quantisation step (and always after
 * a rebuild): a frame without them carries the last ones received.
 */
export function offerFrame(store, frame) {
  const dropped = store.frame;
  if (dropped && dropped.arrays.inputs && !frame.arrays.inputs) {
    frame.arrays.inputs = dropped.arrays.inputs;
  }
  if (frame.arrays.neurons) store.neurons = frame.arrays.neurons;
  else if (store.neurons) frame.arrays.neurons = store.neurons;
  store.frame = frame;
}
