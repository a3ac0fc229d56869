// The hover card over a link or bias: shows its value, and on click turns into a number
// input whose edits are reported at once (the maps update even while paused).

export class HoverCard {
  /** @param {HTMLElement} root the card; `edit(param, value)` receives valid edits */
  constructor(root, edit) {
    this.root = root;
    this.edit = edit;
    this.text = root.querySelector("[data-hovercard-text]");
    this.input = root.querySelector("input");
    this.param = null;
    this.editing = false;
    this.input.addEventListener("input", () => this.submit());
    this.input.addEventListener("keydown", (e) => {
      e.stopPropagation(); // typing a value must not trigger the page's shortcuts
      if (e.key !== "Enter" && e.key !== "Escape") return;
      e.preventDefault();
      const back = this.returnTo;
      this.hide(true);
      // Keyboard users land back on the link or bias they opened.
      if (back && back.isConnected && typeof back.focus === "function") back.focus();
    });
    this.input.addEventListener("blur", () => this.hide(true));
  }

  describe(param, value) {
    const name = param.kind === "weight" ? "Weight" : "Bias";
    return `${name} is ${value === null ? "…" : Number(value).toPrecision(2)}. Click to edit.`;
  }

  place(event) {
    const parent = this.root.offsetParent || document.body;
    const box = parent.getBoundingClientRect();
    this.root.style.left = `${event.clientX - box.left + 12}px`;
    this.root.style.top = `${event.clientY - box.top + 12}px`;
  }

  /** Shows the value of `param` near the pointer (ignored while an edit is open). */
  show(param, value, event) {
    if (this.editing) return;
    this.param = param;
    this.text.textContent = this.describe(param, value);
    this.text.hidden = false;
    this.input.hidden = true;
    this.root.hidden = false;
    this.place(event);
  }

  /** Refreshes the shown value (weights change while training); `valueOf(param)`. */
  refresh(valueOf) {
    if (this.root.hidden || this.editing || !this.param) return;
    const text = this.describe(this.param, valueOf(this.param));
    if (this.text.textContent !== text) this.text.textContent = text;
  }

  /** Opens the editor for `param`. */
  open(param, value, event) {
    this.param = param;
    this.returnTo = event.keyboard ? event.target : null; // focus goes back there on close
    this.editing = true;
    this.root.hidden = false;
    this.text.hidden = true;
    this.input.hidden = false;
    this.input.value = value === null ? "" : String(Number(value.toPrecision(4)));
    this.input.setAttribute("aria-label", param.kind === "weight" ? "Weight value" : "Bias value");
    this.place(event);
    this.input.focus();
    this.input.select();
  }

  submit() {
    const value = Number(this.input.value);
    if (this.input.value.trim() === "" || !Number.isFinite(value) || !this.param) return;
    this.edit(this.param, value);
  }

  /** Hides the card; an open editor only closes when `force` is set. */
  hide(force = false) {
    if (this.editing && !force) return;
    this.editing = false;
    this.root.hidden = true;
  }
}
