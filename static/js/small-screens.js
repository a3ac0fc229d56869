// Phones and tablets: the data panel's open/close button and the network's zoom buttons.
// small-screens.css shows both only on a small screen; a laptop's page never sees them.

const ZOOMS = [0.75, 1, 1.5, 2, 3];

const dataColumn = document.querySelector("[data-region=data]");
const toggle = dataColumn.querySelector("[data-action=toggle_data]");
toggle.addEventListener("click", () => {
  const open = !dataColumn.classList.contains("open");
  dataColumn.classList.toggle("open", open);
  toggle.setAttribute("aria-expanded", String(open));
});

// The zoom scales the network and its layer buttons together; the column scrolls past it.
const column = document.querySelector("[data-region=network]");
let zoom = 1;
function setZoom(next) {
  zoom = next;
  column.style.setProperty("--zoom", String(zoom));
  column.querySelector("[data-action=zoom_out]").disabled = zoom === ZOOMS[0];
  column.querySelector("[data-action=zoom_in]").disabled = zoom === ZOOMS[ZOOMS.length - 1];
}
for (const [action, step] of [
  ["zoom_in", 1],
  ["zoom_out", -1],
]) {
  column.querySelector(`[data-action=${action}]`).addEventListener("click", () => {
    const i = Math.max(0, Math.min(ZOOMS.length - 1, ZOOMS.indexOf(zoom) + step));
    setZoom(ZOOMS[i]);
  });
}
