// The hover card over a link or bias: shows its value, and on click (or a tap) turns into a
// number input and a slider whose edits are reported at once (the maps update even while
// paused). A slider's drag sends at most one edit per animation frame.

export class HoverCard {
  /** @param {HTMLElement} root the card; `edit(param, value)` receives valid edits */
  constructor(root, edit) {
    this.root = root;
    this.edit = edit;
    this.text = root.querySelector("[data-hovercard-text]");
    this.input = root.querySelector("input[type=number]");
    this.slider = root.querySelector("[data-hovercard-slider]");
    this.param = null;
    this.editing = false;
    this.input.addEventListener("input", () => {
      this.slider.value = this.input.value;
      this.submit();
    });
    this.slider.addEventListener("input", () => {
      this.input.value = this.slider.value;
      if (this.pending) return;
      this.pending = requestAnimationFrame(() => {
        this.pending = 0;
        this.submit();
      });
    });
    this.slider.addEventListener("keydown", (e) => e.stopPropagation());
    this.input.addEventListener("keydown", (e) => {
      e.stopPropagation(); // typing a value must not trigger the page's shortcuts
      if (e.key !== "Enter" && e.key !== "Escape") return;
      e.preventDefault();
      const back = this.returnTo;
      this.hide(true);
      // Keyboard users land back on the link or bias they opened.
      if (back && back.isConnected && typeof back.focus === "function") back.focus();
    });
    // Leaving the card (not moving between its number and its slider) closes the editor.
    root.addEventListener("focusout", (e) => !root.contains(e.relatedTarget) && this.hide(true));
  }

  describe(param, value) {
    const name = param.kind === "weight" ? "Weight" : "Bias";
    return `${name} is ${value === null ? "…" : Number(value).toPrecision(2)}. Click or tap to edit.`;
  }

  place(event) {
    const parent = this.root.offsetParent || document.body;
    const box = parent.getBoundingClientRect();
    // Kept inside its column: a card past the edge would widen a phone's page.
    const left = Math.min(event.clientX - box.left + 12, parent.clientWidth - this.root.offsetWidth);
    this.root.style.left = `${Math.max(0, left)}px`;
    this.root.style.top = `${event.clientY - box.top + 12}px`;
  }

  /** Shows the value of `param` near the pointer (ignored while an edit is open). */
  show(param, value, event) {
    if (this.editing) return;
    this.param = param;
    this.text.textContent = this.describe(param, value);
    this.text.hidden = false;
    this.input.hidden = true;
    this.slider.hidden = true;
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
    this.root.classList.add("editing");
    this.root.hidden = false;
    this.text.hidden = true;
    this.input.hidden = false;
    this.slider.hidden = false;
    this.input.value = value === null ? "" : String(Number(value.toPrecision(4)));
    this.slider.value = this.input.value || "0";
    const name = param.kind === "weight" ? "Weight" : "Bias";
    this.input.setAttribute("aria-label", `${name} value`);
    this.slider.setAttribute("aria-label", `${name} value (slider)`);
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
    this.root.classList.remove("editing");
    this.root.hidden = true;
  }
}
