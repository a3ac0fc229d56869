// The room websocket: join handshake, JSON messages, binary frames, and reconnects that
// re-join (except after a refusal the server meant, such as a kick or an ended room).

import { inflate } from "../inflate.js";
import { parseFrame } from "../socket.js";

/** Mirrors the room range (4100-4199) of app/protocol.py `CloseCode`. */
export const RoomClose = Object.freeze({
  ROOM_UNKNOWN: 4100,
  ROOM_ENDED: 4101,
  ROOM_LOCKED: 4102,
  ROOM_FULL: 4103,
  KICKED: 4104,
  UNAUTHORIZED: 4105,
  RATE_LIMITED: 4106,
  BAD_JOIN: 4107,
  SERVER_STOPPING: 4108,
  MEMBER_REPLACED: 4109,
});

const FINAL = new Set([
  RoomClose.ROOM_UNKNOWN,
  RoomClose.ROOM_ENDED,
  RoomClose.KICKED,
  RoomClose.UNAUTHORIZED,
  RoomClose.ROOM_LOCKED,
  RoomClose.ROOM_FULL,
  RoomClose.RATE_LIMITED,
  RoomClose.BAD_JOIN,
  RoomClose.MEMBER_REPLACED,
]);

/** The frame inside a `zframe` (zlib stream of `size` bytes; the room compresses each once). */
export function expand(zframe) {
  const bytes = inflate(zframe.arrays.z.data, zframe.size);
  return bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
}

export class RoomSocket {
  /**
   * @param {string} url ws(s)://host/ws/room/CODE
   * @param {object} join the join data: {name} or {secret}
   * @param {{onMessage, onFrame, onConnection}} handlers
   */
  constructor(url, join, handlers) {
    this.url = url;
    this.join = join;
    this.handlers = handlers;
    this.retries = 0;
    this.ws = null;
    this.final = false;
  }

  connect() {
    this.handlers.onConnection(this.retries ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    ws.addEventListener("open", () => {
      ws.send(JSON.stringify({ type: "join", data: this.join }));
    });
    ws.addEventListener("message", (event) => ws === this.ws && this.receive(event.data));
    ws.addEventListener("close", (event) => ws === this.ws && this.closed(event));
    this.ws = ws;
  }

  /** Messages are handled as they arrive, in order (a compressed frame expands at once). */
  receive(data) {
    try {
      this.handle(data);
    } catch (error) {
      console.error("room message failed:", error);
    }
  }

  handle(data) {
    if (typeof data !== "string") {
      const started = performance.now(); // the page's stats count expanding a zframe too
      let frame = parseFrame(data);
      if (frame.type === "zframe") frame = parseFrame(expand(frame));
      this.handlers.onFrame(frame, started);
      return;
    }
    const message = JSON.parse(data);
    if (message.type === "you") {
      // Rejoining with this id within the grace period keeps our place and our fork.
      if (message.data.role === "student") this.join = { ...this.join, member: message.data.id };
      this.retries = 0;
      this.handlers.onConnection("connected");
    }
    this.handlers.onMessage(message.type, message.data || {});
  }

  closed(event) {
    if (this.final || FINAL.has(event.code)) {
      this.final = true;
      this.handlers.onConnection("closed", event.reason || "disconnected", event.code);
      return;
    }
    this.retries += 1;
    const delay = Math.min(5000, 250 * 2 ** Math.min(this.retries - 1, 5));
    this.handlers.onConnection("reconnecting", event.reason || "");
    setTimeout(() => this.connect(), delay);
  }

  send(type, data) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(data === undefined ? { type } : { type, data }));
    }
  }
}
