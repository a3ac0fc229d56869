// Draws one binary frame into the components: the big map (output, or the hovered node),
// every thumbnail, the links and biases, the readouts and the loss chart.

import { LutCache, PALETTES } from "./colors.js";

/** Class colours of a K-class problem: the ramp's ends for two classes, else the palette's. */
export function classColors(palette, k) {
  const p = PALETTES[palette];
  return k === 2 ? [p.ramp[0], p.ramp[2]] : p.classes.slice(0, k);
}

export class FrameView {
  /** @param {{heatmap, network, chart, metrics}} parts */
  constructor(parts) {
    Object.assign(this, parts);
    this.luts = new LutCache();
    this.inputs = null; // the last inputs maps: sent once per rebuild, redrawn on palette change
    this.neurons = null; // the neuron thumbnails to paint with the next readouts (arguments)
  }

  /** A lookup table for a quantised map; probability maps (lo 0) are centred on 0.5. */
  lut(spec, view) {
    const symmetric = spec.lo === 0;
    const lo = symmetric ? -1 : (spec.lo ?? -1);
    const scale = symmetric ? 2 / 255 : (spec.scale ?? 2 / 255);
    return this.luts.ramp(view.palette, lo, scale, view.discretize);
  }

  /**
   * @param {object} frame parsed frame (header + arrays)
   * @param {{palette, discretize, classView, selecting: boolean, readouts?: boolean}} view
   *   readouts false: the readouts, the loss chart, the links' styles and the neurons'
   *   thumbnails are left for a later draw (the chart still takes the frame's losses, the
   *   network its weights)
   */
  draw(frame, view) {
    const a = frame.arrays;
    const ramp = PALETTES[view.palette].ramp;
    const node = view.node && this.thumbnail(a, view);
    const big = node || (view.selecting && a.selected ? a.selected : a.output);
    if (big) this.drawMap(big, view, big === a.output);
    if (a.neurons) {
      this.neurons = [a.neurons.data, a.neurons.shape[1], this.lut(a.neurons, view), this.outputLuts(a, view)];
    }
    if (a.inputs) this.inputs = a.inputs;
    if (this.inputs && (a.inputs || view.full)) {
      const { data, shape, names } = this.inputs;
      this.network.updateInputs(data, shape[1], this.lut(this.inputs, view), names);
    }
    if (a.weights) this.network.updateWeights(a.weights.data, ramp);
    this.network.updateEpoch(frame.epoch ?? 0);
    this.chart.addDataPoint(frame.epoch ?? 0, frame);
    if (view.readouts !== false) this.drawReadouts(frame);
  }

  /**
   * The readouts (epoch, losses, the metrics panel) of `frame`, the loss chart, the links
   * and biases restyled from the newest weights, and the newest neuron thumbnails.
   */
  drawReadouts(frame) {
    this.metrics.update(frame);
    this.chart.draw();
    this.network.restyle();
    if (this.neurons) this.network.updateNeurons(...this.neurons);
    this.neurons = null;
  }

  /**
   * The thumbnail of `view.node` ({layer, neuron}: layer 0 the j-th active feature, then the
   * hidden layers and the output) as a map, for a page that may not ask for the full one.
   */
  thumbnail(a, view) {
    const { layer, neuron } = view.node;
    const source = layer === 0 ? this.inputs : a.neurons;
    if (!source) return null;
    let index = neuron;
    if (layer === 0 && source.names) index = source.names.indexOf(view.features[neuron]);
    if (layer > 0) index += view.hidden.slice(0, layer - 1).reduce((s, n) => s + n, 0);
    const t = source.shape[1];
    if (index < 0 || index >= source.shape[0]) return null;
    const data = source.data.subarray(index * t * t, (index + 1) * t * t);
    return { data, shape: [t, t], lo: source.lo, scale: source.scale };
  }

  /** Several class outputs: each output neuron in its class's colour (as the points). */
  outputLuts(a, view) {
    const k = a.output && a.output.shape.length === 3 ? a.output.shape[2] : 1;
    if (k < 2) return null;
    const { lo = -1, scale = 2 / 255 } = a.neurons;
    return classColors(view.palette, k).map((hex) => this.luts.classProbability(view.palette, hex, lo, scale));
  }

  drawMap(spec, view, isOutput) {
    const n = spec.shape[0];
    const channels = spec.shape.length === 3 ? spec.shape[2] : 1;
    if (channels === 1 || !isOutput) {
      this.heatmap.updateBackground(spec.data, n, this.lut(spec, view));
    } else if (view.classView === "all" || view.classView === undefined) {
      this.heatmap.updateBlend(spec.data, n, classColors(view.palette, channels));
    } else {
      const k = Math.min(channels - 1, Number(view.classView));
      this.heatmap.updateBackground(
        spec.data,
        n,
        this.luts.classProbability(view.palette, classColors(view.palette, channels)[k]),
        channels,
        k,
      );
    }
  }
}
