// "Export as code": a menu of the server's code formats beside the other exports. A click
// asks for the code (`request(format)`); the `code` reply downloads the file, and for a
// script the status line offers the data CSV it trains on, to save next to it (a second
// automatic download would be blocked by the browser). Text goes in via textContent only.

import { download, downloadText } from "./exporter.js";

export class CodeExport {
  /**
   * @param {HTMLElement} root the element holding [data-code-*] parts
   * @param {{name: string, label: string, filename: string}[]} formats bootstrap.code_formats
   * @param {(format: string) => void} request sends `export` with the format
   */
  constructor(root, formats, request) {
    this.status = root.querySelector("[data-code-status]");
    this.dataUrl = null;
    const list = root.querySelector("[data-code-formats]");
    for (const format of formats) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.codeFormat = format.name;
      button.textContent = format.label;
      button.title = `Download ${format.filename}`;
      button.addEventListener("click", () => {
        this.show("Writing the code…");
        request(format.name);
      });
      list.append(button);
    }
  }

  /** The server's `code` message. */
  received(data) {
    if (data.base64 !== undefined) {
      const bytes = Uint8Array.from(atob(data.base64), (c) => c.charCodeAt(0));
      download(data.filename, new Blob([bytes], { type: "application/octet-stream" }));
    } else {
      downloadText(data.filename, data.text, "text/x-python");
    }
    this.show(`Saved ${data.filename}.`);
    if (data.data) this.offerData(data.data);
  }

  /** An `error` answering an export (e.g. the rate limit). */
  failed(message) {
    this.show(message);
  }

  offerData({ filename, text }) {
    if (this.dataUrl) URL.revokeObjectURL(this.dataUrl);
    this.dataUrl = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    const link = document.createElement("a");
    link.href = this.dataUrl;
    link.download = filename;
    link.dataset.codeData = filename;
    link.textContent = filename;
    this.status.append(" It trains on ", link, ": save it in the same folder.");
  }

  show(text) {
    this.status.textContent = text;
  }
}
