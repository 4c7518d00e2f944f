import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Node's `server.close()` waits for every connection to end: spare connections a browser opened
 * and never used, idle kept-alive ones, a client stalled halfway through its headers, a
 * WebSocket whose peer never answers the close. This counts requests in progress per
 * connection, so shutdown can end the idle ones at once and cut the rest at its deadline.
 *
 * Attach after Socket.IO: engine.io replaces the server's "request" listeners when it attaches.
 */
export function trackConnections(httpServer: HttpServer) {
  /** Requests in progress per connection; upgraded ones (WebSockets) are Socket.IO's to close. */
  const inProgress = new Map<Socket, number>();
  let ending = false;

  httpServer.on('connection', (socket: Socket) => {
    inProgress.set(socket, 0);
    socket.once('close', () => inProgress.delete(socket));
  });
  httpServer.on('request', (req, res) => {
    const socket = req.socket;
    inProgress.set(socket, (inProgress.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = inProgress.get(socket);
      if (left === undefined) return;
      inProgress.set(socket, left - 1);
      if (ending && left === 1) socket.end();
    });
  });
  httpServer.on('upgrade', (req) => inProgress.set(req.socket, Infinity));

  return {
    /** Ends every connection with no request in progress, now and as the others finish theirs. */
    endIdle() {
      ending = true;
      for (const [socket, n] of inProgress) if (n === 0) socket.end();
    },
    /** Cuts whatever is still open. */
    destroyAll() {
      for (const socket of inProgress.keys()) socket.destroy();
    },
  };
}
