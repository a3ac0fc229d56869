// What a screen reader hears about training: a polite live region that says the epoch,
// losses and accuracy at most every few seconds while playing and at once when training
// stops or steps, state changes (diverged, early stopped), and the output map in words.

import { describeOutput } from "./describe.js";
import { epochText } from "./metrics.js";

/** While playing, at most one progress announcement per this many milliseconds. */
export const ANNOUNCE_EVERY_MS = 5000;

const STATE_WORDS = { paused: "Paused.", diverged: "Training diverged.", early_stopped: "Early stopped." };

const number = (v) => (Number.isFinite(v) ? v.toFixed(3) : "not a number");
const percent = (v) => `${(v * 100).toFixed(1)}%`;

/** A frame's progress in one sentence: epoch, losses and (classification) accuracy. */
export function progressText(frame) {
  let text = `Epoch ${epochText(frame.epoch ?? 0).replace(/^[0,]+(?=\d)/, "")}: training loss ${number(frame.train_loss)}, test loss ${number(frame.test_loss)}`;
  if (Number.isFinite(frame.train_accuracy)) {
    text += `, accuracy ${percent(frame.train_accuracy)} on training data`;
    if (Number.isFinite(frame.test_accuracy)) text += `, ${percent(frame.test_accuracy)} on test data`;
  }
  return `${text}.`;
}

export class Announcer {
  /**
   * @param {HTMLElement} region the polite live region
   * @param {HTMLElement} description the output map's description (the map's aria-describedby)
   * @param {{points(): Array|null, names(): string[]}} source the dataset's points, class names
   */
  constructor(region, description, source) {
    this.region = region;
    this.description = description;
    this.source = source;
    this.latest = null;
    this.saidAt = -Infinity;
    this.note = ""; // the last state change's own words (a divergence's reason)
  }

  say(text) {
    if (this.region.textContent !== text) this.region.textContent = text;
  }

  /** Every frame: a playing run is announced every few seconds, anything else at once. */
  frame(frame) {
    this.latest = frame;
    const now = performance.now();
    if (frame.state === "playing") {
      if (now - this.saidAt < ANNOUNCE_EVERY_MS) return;
      this.saidAt = now;
      this.say(progressText(frame));
      return;
    }
    this.saidAt = -Infinity;
    this.describe();
    this.say(`${this.note || STATE_WORDS[frame.state] || ""} ${progressText(frame)}`.trim());
  }

  /** A `status` message: a stop is said at once, with the last frame's numbers. */
  status(state, message) {
    this.note = state === "diverged" || state === "early_stopped" ? `${STATE_WORDS[state]} ${message || ""}`.trim() : "";
    if (state === "playing") {
      this.say("Training.");
      this.saidAt = performance.now();
    } else if (this.latest) {
      this.say(`${this.note || STATE_WORDS[state] || ""} ${progressText(this.latest)}`.trim());
    }
  }

  /** Updates the output map's description from the last frame; returns it. */
  describe() {
    if (!this.latest) return "";
    const text = describeOutput(this.latest, this.source.points(), this.source.names());
    if (text && this.description.textContent !== text) this.description.textContent = text;
    return text;
  }

  /** On request (a key): the map's description, said now. */
  announceMap() {
    const text = this.describe();
    if (text) this.say(`Output map: ${text}.`);
  }
}
