// A share link (/s/ID): the saved network is restored into a session of the visitor's own
// over the ordinary /ws socket, so they can keep training it or change it.

import { Socket } from "../socket.js";

/**
 * @param {string} id the snapshot id
 * @param {{onMessage, onFrame, onConnection}} handlers as for RoomSocket
 * @returns {Promise<{send(type, data): void}>}
 */
export async function openSharedLink(id, handlers) {
  const response = await fetch(`/api/snapshots/${encodeURIComponent(id)}`);
  if (!response.ok) throw new Error("This share link does not exist (or has been removed).");
  const { state } = await response.json();
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let restored = false;
  const socket = new Socket(`${scheme}://${location.host}/ws`, {
    onConnection: (status, detail) => handlers.onConnection(status, typeof detail === "string" ? detail : ""),
    onFrame: (frame) => handlers.onFrame(frame),
    onMessage(type, data) {
      if (type === "hello" && !data.resumed && !restored) {
        restored = true;
        socket.send("restore", { state });
        handlers.onMessage("you", { role: "visitor", mode: "shared", name: "" });
        return;
      }
      handlers.onMessage(type, data);
    },
  });
  socket.connect();
  return socket;
}
