// The page's frame around the components: play button, speed, layer count, which controls
// show, overlays and the page-wide classes (palette, presentation, hidden text).

import { SPEEDS, speedIndex, speedText } from "./speed.js";

export class PageChrome {
  /**
   * @param {Document} doc
   * @param {object} options the server's OPTIONS
   * @param {{speed(stop)}} on
   */
  constructor(doc, options, on) {
    this.doc = doc;
    this.options = options;
    const $ = (s) => doc.querySelector(s);
    this.el = {
      play: $("[data-action=play]"),
      speed: $("[data-speed]"),
      speedText: $("[data-readout=speed]"),
      layers: $("[data-readout=num_layers]"),
      plural: $("[data-readout=layers_plural]"),
      addLayer: $("[data-action=add_layer]"),
      removeLayer: $("[data-action=remove_layer]"),
      regenerate: $("[data-action=regenerate]"),
      numClasses: $("[data-control=num_classes]"),
      classView: $("[data-control=class_view]"),
      exercise: $("[data-exercise-link]"),
      teach: $("[data-class-link=teach]"),
      settingsButton: $("[data-action=settings]"),
      help: $("[data-help]"),
      settings: $("[data-settings]"),
    };
    this.el.speed.max = String(SPEEDS.length - 1);
    this.el.speed.addEventListener("input", () => on.speed(SPEEDS[Number(this.el.speed.value)]));
  }

  /** Reflects the session's config. */
  update(config) {
    const e = this.el;
    e.speed.value = String(speedIndex(config));
    e.speedText.textContent = speedText(config);
    const n = config.hidden.length;
    e.layers.textContent = String(n);
    e.plural.textContent = n === 1 ? "" : "s";
    e.addLayer.disabled = n >= this.options.hidden.max_layers;
    e.removeLayer.disabled = n === 0;
    e.regenerate.disabled = config.dataset === "custom"; // nothing to regenerate
    // The class count matters for the datasets that take it (listed in its OPTIONS doc).
    const takesClasses = (this.options.num_classes.doc || "").split(/,\s*/).includes(config.dataset);
    e.numClasses.hidden = !takesClasses && config.num_classes === 2;
  }

  playing(on) {
    this.el.play.classList.toggle("playing", on);
    this.el.play.setAttribute("aria-pressed", String(on));
  }

  /** The class picker for the map shows only for multi-class outputs. */
  outputs(k) {
    this.el.classView.hidden = k < 2;
  }

  exerciseLink(href) {
    this.el.exercise.href = href;
  }

  /** "Teach a class" carries this network's settings to the room it creates. */
  teachLink(href) {
    this.el.teach.href = href;
  }

  /** Page-wide look: palette, presentation mode, hidden header and article. */
  look(ui) {
    const body = this.doc.body;
    body.dataset.palette = ui.palette;
    body.classList.toggle("presentation", Boolean(ui.presentation));
    body.classList.toggle("hide-text", Boolean(ui.hide_text));
  }

  /** Hides every control an instructor listed (`<name>_hide=true`). */
  hide(names) {
    for (const name of names) {
      for (const el of this.doc.querySelectorAll(`[data-control="${name}"]`)) el.hidden = true;
    }
  }

  toggle(which) {
    const el = this.el[which];
    el.hidden = !el.hidden;
    if (which === "settings") this.el.settingsButton.setAttribute("aria-expanded", String(!el.hidden));
  }

  closeOverlays() {
    this.el.help.hidden = true;
    this.el.settings.hidden = true;
    this.el.settingsButton.setAttribute("aria-expanded", "false");
  }
}
