// Downloads: the model as JSON, the map as PNG, the loss history as CSV.

export function download(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.dataset.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadText(filename, text, type) {
  download(filename, new Blob([text], { type }));
}

/** Downloads the export reply's `state` as `what` asked: "model" (JSON) or "loss" (CSV). */
export function downloadExport(what, state) {
  if (what === "model") {
    downloadText("playground-model.json", JSON.stringify(state), "application/json");
  } else if (what === "loss") {
    const trainer = state.trainer || state; // {trainer, view} since the server's export
    downloadText("playground-loss.csv", historyCsv(trainer.history || {}), "text/csv");
  }
}

/**
 * Loss history as CSV, one row per recorded epoch: {epochs: [...], train_loss: [...],
 * test_loss: [...], val_loss: [...]}. Past 2000 epochs the engine keeps every s-th epoch
 * only (docs/engine.md), so the epoch column is `epochs[i]`, not i + 1 (which a state saved
 * before the history was bounded, without `epochs`, still gets).
 */
export function historyCsv(history) {
  const columns = ["train_loss", "test_loss", "val_loss"].filter((c) => Array.isArray(history[c]));
  const n = Math.max(0, ...columns.map((c) => history[c].length));
  const epochs = Array.isArray(history.epochs) ? history.epochs : null;
  const rows = [`epoch,${columns.join(",")}`];
  for (let i = 0; i < n; i++) {
    rows.push([epochs ? epochs[i] : i + 1, ...columns.map((c) => history[c][i] ?? "")].join(","));
  }
  return `${rows.join("\n")}\n`;
}

/** The map and its points composed at `size` px into a PNG blob. */
export function mapPng(mapCanvas, pointsCanvas, size = 400) {
  const out = document.createElement("canvas");
  out.width = size;
  out.height = size;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, size, size);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(mapCanvas, 0, 0, size, size);
  if (pointsCanvas && pointsCanvas.width) ctx.drawImage(pointsCanvas, 0, 0, size, size);
  return new Promise((resolve) => out.toBlob(resolve, "image/png"));
}
