// The websocket: JSON control messages, the binary frame parser, and automatic reconnect
// that resumes the same session (`/ws?session=<id>`).

/** Mirrors app/protocol.py `CloseCode`. */
export const CloseCode = Object.freeze({
  SESSION_UNKNOWN: 4000,
  SERVER_FULL: 4001,
  TOO_MANY_ERRORS: 4002,
  REPLACED: 4003,
  NOT_READING: 4004,
});

const TYPED = { uint8: Uint8Array, float32: Float32Array, int32: Int32Array, uint16: Uint16Array };
const decoder = new TextDecoder();
const MAX_QUEUED = 100;

/**
 * Parses one binary frame: u32 LE header length, JSON header, payload of arrays.
 * Returns the header with `arrays` replaced by {name: {data, shape, scale, lo}}.
 */
export function parseFrame(buffer) {
  const view = new DataView(buffer);
  const headerLength = view.getUint32(0, true);
  const header = JSON.parse(decoder.decode(new Uint8Array(buffer, 4, headerLength)));
  const base = 4 + headerLength;
  const arrays = {};
  for (const spec of header.arrays || []) {
    const Type = TYPED[spec.dtype];
    if (!Type) throw new Error(`frame array ${spec.name}: unknown dtype ${spec.dtype}`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const start = base + spec.offset;
    // A typed view needs its element alignment; copy when the header length broke it.
    const data =
      start % Type.BYTES_PER_ELEMENT === 0
        ? new Type(buffer, start, count)
        : new Type(buffer.slice(start, start + count * Type.BYTES_PER_ELEMENT));
    arrays[spec.name] = { data, shape: spec.shape, scale: spec.scale, lo: spec.lo };
  }
  // The input maps travel with their feature names, so a page that moves them on to a newer
  // frame (the newer one does not repeat them) keeps which map is which.
  if (arrays.inputs && header.input_features) arrays.inputs.names = header.input_features;
  header.arrays = arrays;
  return header;
}

export class Socket {
  /**
   * @param {string} url the websocket URL without the session query
   * @param {{onMessage, onFrame, onConnection}} handlers
   *   onMessage(type, data), onFrame(header), onConnection(state, detail)
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.session = null;
    this.ws = null;
    this.retries = 0;
    this.closedByUs = false;
    this.queue = [];
  }

  connect() {
    this.closedByUs = false;
    const url = this.session ? `${this.url}?session=${encodeURIComponent(this.session)}` : this.url;
    this.handlers.onConnection(this.retries ? "reconnecting" : "connecting");
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.addEventListener("open", () => {
      this.retries = 0;
    });
    ws.addEventListener("message", (event) => ws === this.ws && this.receive(event.data));
    ws.addEventListener("close", (event) => ws === this.ws && this.closed(event));
    this.ws = ws;
  }

  receive(data) {
    if (typeof data !== "string") {
      const started = performance.now();
      this.handlers.onFrame(parseFrame(data), started);
      return;
    }
    const message = JSON.parse(data);
    if (message.type === "hello") {
      this.session = message.data.session;
      this.handlers.onConnection("connected", message.data);
      // Anything sent while the socket was down goes out now, in order.
      for (const queued of this.queue.splice(0)) this.ws.send(queued);
    }
    this.handlers.onMessage(message.type, message.data || {});
  }

  closed(event) {
    if (this.closedByUs) {
      this.handlers.onConnection("closed");
      return;
    }
    if (event.code === CloseCode.SESSION_UNKNOWN) this.session = null;
    if (event.code === CloseCode.REPLACED) {
      this.handlers.onConnection("replaced", "This session was opened in another tab.");
      return;
    }
    if (event.code === CloseCode.TOO_MANY_ERRORS) this.session = null;
    const detail =
      event.code === CloseCode.SERVER_FULL ? "The server is full; retrying." : event.reason || "";
    this.retries += 1;
    // Quick first retry, then back off up to 5 s.
    const delay = Math.min(5000, 200 * 2 ** Math.min(this.retries - 1, 5));
    this.handlers.onConnection("reconnecting", detail);
    setTimeout(() => this.connect(), delay);
  }

  /** Sends {type, data}; queued until the next hello while disconnected. */
  send(type, data) {
    const text = JSON.stringify(data === undefined ? { type } : { type, data });
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.session) this.ws.send(text);
    else if (this.queue.push(text) > MAX_QUEUED) this.queue.shift(); // a long outage: keep the latest
  }

  close() {
    this.closedByUs = true;
    if (this.ws) this.ws.close();
  }
}
