// Where the page's messages go: its own session on /ws (solo, a share link, the classroom
// landing), or the room's socket (/ws/room/CODE) that the room adapter opens once joined.

import { Room } from "./classroom/room.js";
import { loadSnapshot } from "./share.js";
import { Socket } from "./socket.js";

export class Transport {
  /**
   * @param {object} boot the page's bootstrap (`room`, `snapshot`, `classroom` say the entry)
   * @param {{onMessage, onFrame, onConnection}} handlers the page's one set, for either socket
   * @param {object} hooks restoring(state): a share link's saved state, before the socket
   *   opens; the rest is what the room adapter asks of the page (classroom/room.js)
   */
  constructor(boot, handlers, { restoring, ...roomHooks }) {
    this.snapshot = boot.snapshot;
    this.restoring = restoring;
    this.room = boot.classroom ? new Room(document, boot, { socketHandlers: handlers, ...roomHooks }) : null;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.own = boot.room ? null : new Socket(`${scheme}://${location.host}/ws`, handlers);
  }

  /** The open socket (for tests and the benchmark). */
  get socket() {
    return this.own || (this.room && this.room.socket);
  }

  send(type, data) {
    if (this.own) this.own.send(type, data);
    else this.room.send(type, data);
  }

  /**
   * The room's panels show (landing, join form, instructor), a share link's state is
   * fetched, and the page's socket opens. Rejects with a message for the page to show.
   */
  async start(mode) {
    if (this.room) this.room.start(mode);
    try {
      if (this.snapshot) this.restoring(await loadSnapshot(this.snapshot));
    } finally {
      if (this.own) this.own.connect();
    }
  }
}
