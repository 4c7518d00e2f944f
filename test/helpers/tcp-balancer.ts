import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpBalancer {
  port: number;
  url: string;
  /** Backend port each accepted connection went to, in order. */
  readonly routed: number[];
  close(): Promise<void>;
}

/**
 * A round-robin TCP load balancer for tests: each client connection goes to the next backend
 * that accepts it (a refused backend is skipped), like a load balancer in front of a cluster.
 * When either side closes, so does the other, so a crashed instance's clients see the drop
 * and reconnect through the balancer to a live one.
 */
export async function startBalancer(backends: number[]): Promise<TcpBalancer> {
  let next = 0;
  const routed: number[] = [];
  const open = new Set<Socket>();

  function connect(client: Socket, tries: number): void {
    if (tries >= backends.length || client.destroyed) {
      client.destroy();
      return;
    }
    const port = backends[next++ % backends.length]!;
    const upstream = createConnection({ host: '127.0.0.1', port });
    let connected = false;
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      if (connected) client.destroy();
    });
    upstream.on('error', () => {
      if (connected) client.destroy();
      else connect(client, tries + 1);
    });
    upstream.once('connect', () => {
      connected = true;
      routed.push(port);
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    connect(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    routed,
    close() {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
