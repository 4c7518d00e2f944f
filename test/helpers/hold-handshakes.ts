import type { ImRelayServer } from '../../server/create-server';

/**
 * Keeps new handshakes waiting (after the real auth) until released: a reconnect that is
 * "in progress" for as long as a test needs, with no timers.
 */
export function holdHandshakes(server: { io: ImRelayServer['io'] }) {
  const waiting: Array<() => void> = [];
  const hold = {
    on: false,
    waiting: () => waiting.length,
    release() {
      hold.on = false;
      waiting.splice(0).forEach((next) => next());
    },
    /** Holds new handshakes, then cuts the transport of every socket of `userid`: its reconnect waits here. */
    cut(userid: string) {
      hold.on = true;
      for (const socket of server.io.of('/').sockets.values()) if (socket.data.userid === userid) socket.conn.close();
    },
  };
  server.io.use((_socket, next) => (hold.on ? waiting.push(() => next()) : next()));
  return hold;
}
