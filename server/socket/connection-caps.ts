import type { ServerContext } from '../context';
import type { ImSocket } from '../core/im-server';
import { connectionKey } from './auth';

/**
 * Counts each connection under the per-IP, per-user and unsigned-hook caps until it disconnects.
 * The handshake already checked the caps; two handshakes racing past that check are caught here.
 * One `disconnect` listener per server, shared by its sockets (no closure per connection).
 */
export function connectionCaps(ctx: ServerContext): (socket: ImSocket) => void {
  const { connections } = ctx.security;
  // Every cap off: no bookkeeping, no disconnect listener per connection.
  if (!connections.enabled) return () => {};
  function release(this: ImSocket): void {
    connections.release(connectionKey(this.data));
  }
  return (socket) => {
    const over = connections.track(connectionKey(socket.data));
    socket.on('disconnect', release);
    if (over) {
      socket.data.watchQuit = false;
      socket.emit('sys_error', over.message);
      // After the other `connection` listeners, so nothing they add (rooms) outlives the socket.
      queueMicrotask(() => socket.disconnect(true));
    }
  };
}
