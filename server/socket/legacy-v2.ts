import type { ExtendedError, Socket } from 'socket.io';
import type { ErrorPayload } from '../../packages/protocol';

/**
 * Socket.IO 2 clients (socket.io-client 2.x, Engine.IO protocol 3): the pages that still load the
 * original project's `node_im.min.js` / `node_im_remote_debug.js`. They send the contract's query
 * string on the Engine.IO URL (Socket.IO 4 copies it into `socket.handshake.query`, which the
 * handshake reads), never send acks, and listen for `sys_error` only.
 */
export function isLegacyClient(socket: Socket): boolean {
  return (socket.conn as { protocol?: number }).protocol === 3;
}

type Middleware = (socket: Socket, next: (err?: ExtendedError) => void) => void;

/**
 * How a v2 page learns why it was refused. Socket.IO 4 answers a failed middleware with an
 * ERROR packet, which socket.io-client 2 turns into an `error` event that the original SDK never
 * listens to: the page would just hang. So, for v2 clients only, the refused handshake completes,
 * the socket gets the original `sys_error` string, joins no room, handles no event, and is
 * disconnected (a server disconnect: socket.io-client 2 does not reconnect after it).
 *
 * The refused sockets are remembered in a WeakSet (nothing is kept for accepted ones).
 */
export interface LegacyRefusals {
  /**
   * Wraps a connection middleware: a v2 client that it refuses is let through, marked refused;
   * a socket already marked refused skips it (so wrap every `io.use` middleware).
   */
  wrap(middleware: Middleware): Middleware;
  /**
   * Call first in the `connection` listener: true when the socket was refused (it has been sent
   * its `sys_error` and is being disconnected), and the listener must do nothing else with it.
   */
  handle(socket: Socket): boolean;
}

export function createLegacyRefusals(): LegacyRefusals {
  const refused = new WeakMap<Socket, string>();
  return {
    wrap(middleware) {
      return (socket, next) => {
        if (refused.has(socket)) return next();
        middleware(socket, (err) => {
          if (err && isLegacyClient(socket)) {
            // toConnectError (auth.ts) puts the ImError's {code, message} in `data`.
            const data = (err as { data?: Partial<ErrorPayload> }).data;
            refused.set(socket, typeof data?.message === 'string' ? data.message : err.message);
            next();
          } else next(err);
        });
      };
    },
    handle(socket) {
      const message = refused.get(socket);
      if (message === undefined) return false;
      socket.emit('sys_error', message);
      // Engine.IO writes the DISCONNECT and closes the connection only after the buffered
      // packets (CONNECT, sys_error) have gone out, on long-polling too.
      socket.disconnect(true);
      return true;
    },
  };
}
