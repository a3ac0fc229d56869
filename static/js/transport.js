// Where the page's messages go: its own session on /ws (solo, a share link, the classroom
// landing), or the room's socket (/ws/room/CODE) that the room adapter opens once joined.

import { Room } from "./classroom/room.js";
import { Socket } from "./socket.js";

export class Transport {
  /**
   * @param {object} boot the page's bootstrap (`room`, `snapshot`, `classroom` say the entry)
   * @param {{onMessage, onFrame, onConnection}} handlers the page's one set, for either socket
   * @param {object} roomHooks what the room adapter asks of the page (classroom/room.js)
   */
  constructor(boot, handlers, roomHooks) {
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

  /** The room's panels show (landing, join form, instructor) and the page's socket opens. */
  start(mode) {
    if (this.room) this.room.start(mode);
    if (this.own) this.own.connect();
  }
}
