// "Share this network": saving an exported state behind a share link (/s/ID), loading it
// back, and the small box that shows the link with a Copy button. Text goes in through
// value/textContent only.

/**
 * Saves `state` (the export reply's state) on the server.
 * @returns {Promise<string>} the share link, absolute
 * @throws {Error} with the server's message (rate limit, size, a state it cannot restore)
 */
export async function saveSnapshot(state) {
  const response = await fetch("/api/snapshots", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ state }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && typeof body.detail === "string" ? body.detail : "";
    throw new Error(detail || `Could not share the network (HTTP ${response.status}).`);
  }
  return new URL(body.url, location.href).href;
}

/**
 * The state saved behind a share link.
 * @param {string} id the snapshot id (the link is /s/ID)
 * @returns {Promise<object>} the state, as `restore` takes it
 */
export async function loadSnapshot(id) {
  const response = await fetch(`/api/snapshots/${encodeURIComponent(id)}`);
  if (!response.ok) throw new Error("This share link does not exist (or has been removed).");
  return (await response.json()).state;
}

export class ShareBox {
  /** @param {HTMLElement} root the element holding [data-share-*] parts */
  constructor(root) {
    const $ = (s) => root.querySelector(s);
    this.el = {
      button: $("[data-action=share]"),
      status: $("[data-share-status]"),
      box: $("[data-share-box]"),
      url: $("[data-share-url]"),
      copy: $("[data-share-copy]"),
      copied: $("[data-share-copied]"),
    };
    this.el.copy.addEventListener("click", () => this.copy());
  }

  /** Between the click and the server's answer. */
  busy() {
    this.el.status.dataset.kind = "info";
    this.el.status.textContent = "Saving…";
    this.el.button.setAttribute("aria-busy", "true");
  }

  show(url) {
    this.done("");
    this.el.url.value = url;
    this.el.copied.textContent = "";
    this.el.box.hidden = false;
    this.el.url.focus();
    this.el.url.select();
  }

  error(message) {
    this.done(message);
    this.el.status.dataset.kind = "error";
  }

  hide() {
    this.el.box.hidden = true;
  }

  done(text) {
    this.el.status.textContent = text;
    this.el.button.removeAttribute("aria-busy");
  }

  async copy() {
    const { url, copied } = this.el;
    try {
      await navigator.clipboard.writeText(url.value);
    } catch {
      // No clipboard API off localhost over plain http: the selected field's copy command.
      url.select();
      if (!document.execCommand("copy")) {
        copied.textContent = "Select the link and copy it.";
        return;
      }
    }
    copied.textContent = "Copied";
  }
}
