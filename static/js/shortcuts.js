// Keyboard shortcuts: one table drives both the key handling and the help overlay.

export const SHORTCUTS = [
  { key: " ", shown: "Space", action: "play", text: "Run / pause" },
  { key: "s", shown: "S", action: "step", text: "Step one epoch" },
  { key: "b", shown: "B", action: "step_batch", text: "Step one mini-batch" },
  { key: "r", shown: "R", action: "reset", text: "Reset the network" },
  { key: "g", shown: "G", action: "regenerate", text: "Regenerate the data" },
  { key: "t", shown: "T", action: "toggle_test", text: "Show / hide test data" },
  { key: "d", shown: "D", action: "toggle_discretize", text: "Discretize output" },
  { key: "+", shown: "+", action: "faster", text: "Train faster" },
  { key: "-", shown: "−", action: "slower", text: "Train slower" },
  { key: "c", shown: "C", action: "toggle_palette", text: "Colour-blind safe palette" },
  { key: "p", shown: "P", action: "toggle_presentation", text: "Presentation mode (large type)" },
  { key: "m", shown: "M", action: "describe_map", text: "Describe the output map (screen readers)" },
  { key: "o", shown: "O", action: "settings", text: "More options" },
  { key: "?", shown: "?", action: "help", text: "This help" },
  { key: "Escape", shown: "Esc", action: "close", text: "Close help and options" },
];

function typing(target) {
  const tag = target && target.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (target && target.isContentEditable);
}

/** Calls `run(action)` for shortcut keys, except while typing in a form field. */
export function bindShortcuts(target, run) {
  target.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const entry = SHORTCUTS.find((s) => s.key === event.key || (s.key === "+" && event.key === "="));
    if (!entry || (typing(event.target) && entry.key !== "Escape")) return;
    // Space on a focused button would also click it: handle it here only.
    if (entry.key === " " && event.target.tagName === "BUTTON") return;
    event.preventDefault();
    run(entry.action);
  });
}

/** Fills a <dl> with the shortcut list. */
export function renderShortcuts(dl) {
  dl.replaceChildren();
  for (const s of SHORTCUTS) {
    const dt = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = s.shown;
    dt.append(kbd);
    const dd = document.createElement("dd");
    dd.textContent = s.text;
    dl.append(dt, dd);
  }
}
