// What the page tells the student: the divergence banner, the connection status and server
// errors, shown next to the control that caused them (or as a toast when none matches).

const CONNECTION_TEXT = {
  connecting: "connecting…",
  connected: "connected",
  reconnecting: "reconnecting…",
  replaced: "opened elsewhere",
  closed: "disconnected",
};

export class Notices {
  /** @param {Document} root */
  constructor(root) {
    this.root = root;
    this.banner = root.querySelector("[data-banner]");
    this.bannerText = root.querySelector("[data-banner-text]");
    this.connection = root.querySelector("[data-connection]");
    this.toast = root.querySelector("[data-toast]");
    this.errorTimers = new Map();
  }

  /** Training status from the server: `diverged` raises the banner, anything else clears it. */
  status(state, message) {
    const diverged = state === "diverged";
    const stopped = state === "early_stopped";
    this.banner.hidden = !(diverged || stopped);
    this.banner.dataset.state = state;
    if (diverged) {
      this.bannerText.textContent = `Training diverged. ${
        message || "The loss became infinite or not a number: lower the learning rate and reset."
      }`;
    } else if (stopped) {
      this.bannerText.textContent = `Early stopping: ${message || "the validation loss stopped improving"}.`;
    }
  }

  dismissBanner() {
    this.banner.hidden = true;
  }

  connectionState(state, detail) {
    this.connection.dataset.connection = state;
    this.connection.textContent = CONNECTION_TEXT[state] || state;
    this.connection.title = detail && typeof detail === "string" ? detail : "";
  }

  /** A server `error` message: shown beside the control for its field for a while. */
  error(err) {
    const slot = err.field && this.root.querySelector(`[data-error-for="${err.field}"]`);
    const text = err.message || err.code || "error";
    // An empty slot is display:none itself; what matters is whether its control is visible.
    if (slot && slot.parentElement.offsetParent !== null) {
      this.flash(slot, text, err.field);
    } else {
      this.flash(this.toast, err.field ? `${err.field}: ${text}` : text, "toast");
    }
  }

  flash(el, text, key) {
    el.textContent = text;
    el.hidden = false;
    el.classList.add("shown");
    clearTimeout(this.errorTimers.get(key));
    this.errorTimers.set(
      key,
      setTimeout(() => {
        el.classList.remove("shown");
        el.textContent = "";
        if (el === this.toast) el.hidden = true;
      }, 8000),
    );
  }
}
