import cluster, { type Worker } from 'node:cluster';
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setupPrimary as setupClusterAdapterPrimary } from '@socket.io/cluster-adapter';
import { setupMaster as setupStickyPrimary, setupWorker as setupStickyWorker } from '@socket.io/sticky';
import type { Logger } from 'pino';
import { AggregatorRegistry, collectDefaultMetrics, type Registry } from 'prom-client';
import { parseConfig, type ServerConfig } from '../config';
import type { Server } from 'socket.io';
import { COMPILED } from '../core/assets';
import { createIpcClient, serveIpc } from '../adapters/ipc';
import { createMemoryHistoryStore } from '../relay/history-store';
import { serveHistoryToWorkers } from '../relay/ipc-history-store';
import { serveSecurityToWorkers } from '../security/ipc-security';
import { servePresenceToWorkers } from '../presence/ipc-presence-store';

/** Messages between the primary and its workers about their life cycle. */
type LifeMessage =
  | { im: 'im:worker'; op: 'hello' }
  | { im: 'im:worker'; op: 'config'; config: ServerConfig }
  | { im: 'im:worker'; op: 'ready' }
  | { im: 'im:worker'; op: 'failed'; message: string };

function isLife(m: unknown): m is LifeMessage {
  return typeof m === 'object' && m !== null && (m as { im?: unknown }).im === 'im:worker';
}

export interface PrimaryOptions {
  workers: number;
  config: ServerConfig;
  logger: Logger;
  /** Port and host to listen on (the config's by default). */
  port?: number;
  host?: string;
}

export interface Primary {
  port: number;
  /** Stops accepting, lets every worker shut down gracefully, then resolves. */
  close(): Promise<void>;
}

/**
 * `--workers N`: this process listens on the port and hands each connection to one of N
 * worker processes (@socket.io/sticky keeps an HTTP long-polling session on the worker that
 * owns it). Workers share messages through @socket.io/cluster-adapter over IPC, or through
 * Redis when the adapter is Redis. Without Redis the room history lives here, in the
 * primary, so every worker hands out the same positions. A worker that dies is replaced.
 */
export async function runPrimary(opts: PrimaryOptions): Promise<Primary> {
  const { config, logger, workers } = opts;
  const httpServer = createHttpServer();
  setupStickyPrimary(httpServer, { loadBalancingMethod: 'least-connection' });
  setupClusterAdapterPrimary();

  const stops: Array<() => void> = [];
  if (config.adapter.type === 'memory') {
    // Bytes evicted here are not counted in a worker's metrics (the primary has no registry of its own).
    const store = createMemoryHistoryStore({
      size: config.history.size,
      maxAgeMs: config.history.maxAgeSeconds * 1000,
      maxBytes: config.history.maxBytes,
      maxRoomBytes: config.history.maxRoomBytes,
    });
    stops.push(serveHistoryToWorkers(store));
    // Presence too: the workers agree on who is online (server/presence/ipc-presence-store.ts).
    stops.push(servePresenceToWorkers(config));
    // And strong-sign nonces and per-IP/per-source rates (server/security/ipc-security.ts).
    stops.push(serveSecurityToWorkers(config));
  }
  // /metrics on any worker answers for all of them: the primary sums their registries.
  const aggregator = new AggregatorRegistry();
  stops.push(serveIpc('im:metrics', () => aggregator.clusterMetrics()));

  cluster.setupPrimary({
    // The compiled package has dist/worker-main.js beside its bundle (scripts/build-packages.mjs).
    exec: fileURLToPath(new URL(COMPILED ? './worker-main.js' : '../worker-main.ts', import.meta.url)),
    args: [],
    execArgv: workerExecArgv(),
    // @socket.io/sticky hands the first bytes of each connection over as a Buffer.
    serialization: 'advanced',
  });

  let shuttingDown = false;
  const recentCrashes: number[] = [];

  function fork(): Promise<Worker> {
    const worker = cluster.fork() as Worker & { clientsCount?: number };
    // Sticky's least-connection balancer would pick a new worker (0 clients) before it can take
    // connections; look infinitely busy until it is ready.
    worker.clientsCount = Number.POSITIVE_INFINITY;
    return new Promise((resolve, reject) => {
      const onMessage = (m: unknown) => {
        if (!isLife(m)) return;
        // The worker asks once it listens: a message sent before that would be lost.
        if (m.op === 'hello') worker.send({ im: 'im:worker', op: 'config', config } satisfies LifeMessage);
        else if (m.op === 'ready') {
          worker.clientsCount = 0;
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          resolve(worker);
        } else if (m.op === 'failed') {
          worker.off('message', onMessage);
          reject(new Error(m.message));
        }
      };
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`worker ${worker.id} exited during start-up (${signal ?? `code ${code}`})`));
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });
  }

  try {
    await Promise.all(Array.from({ length: workers }, fork));
  } catch (err) {
    shuttingDown = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    stops.forEach((s) => s());
    throw err;
  }

  cluster.on('exit', (worker, code, signal) => {
    if (shuttingDown) return;
    logger.error({ worker: worker.id, code, signal }, 'worker died; starting a new one (its clients reconnect to the others)');
    const now = Date.now();
    recentCrashes.push(now);
    while (recentCrashes.length && recentCrashes[0]! < now - 60_000) recentCrashes.shift();
    // A worker that dies over and over is not fixed by restarting it in a tight loop.
    const delay = recentCrashes.length > 5 ? 5000 : 0;
    setTimeout(() => {
      if (shuttingDown) return;
      fork().catch((err: unknown) => logger.error({ err }, 'replacement worker failed to start'));
    }, delay).unref();
  });

  const port = await new Promise<number>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port ?? config.port, opts.host ?? config.host, () => {
      const addr = httpServer.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });

  return {
    port,
    async close() {
      shuttingDown = true;
      httpServer.close();
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
      await Promise.all(
        alive.map(
          (w) =>
            new Promise<void>((resolve) => {
              const force = setTimeout(() => w.process.kill('SIGKILL'), config.shutdownTimeoutMs + 2000);
              w.once('exit', () => {
                clearTimeout(force);
                resolve();
              });
              w.process.kill('SIGTERM');
            }),
        ),
      );
      stops.forEach((s) => s());
    },
  };
}

/**
 * From source (development), workers run TypeScript: give them tsx's loader when this process
 * did not start with it. The compiled package runs JavaScript and never loads tsx.
 */
function workerExecArgv(): string[] {
  const args = [...process.execArgv];
  if (!COMPILED && !args.some((a) => a.includes('tsx'))) args.push('--import', import.meta.resolve('tsx'));
  return args;
}

/**
 * What a worker needs of the server it runs: create-server's ImRelayServer, passed in by
 * server/worker-main.ts (so workers/ never imports the layer above it).
 */
export interface WorkerServer {
  io: Server;
  metrics: { registry: Registry };
  backends: { ready(): Promise<void> };
  close(): Promise<void>;
}
export type StartWorkerServer<S extends WorkerServer> = (options: {
  config: ServerConfig;
  logger: Logger;
  workerOf: { metricsText: () => Promise<string> };
}) => S;

/**
 * One worker: waits for its configuration from the primary, builds the server (no listen: the
 * primary passes connections in) and tells the primary when it is ready. SIGTERM closes it.
 */
export async function runWorker<S extends WorkerServer>(start: StartWorkerServer<S>, makeLogger: (config: ServerConfig) => Logger): Promise<S> {
  const config = await new Promise<ServerConfig>((resolve) => {
    const onMessage = (m: unknown) => {
      if (!isLife(m) || m.op !== 'config') return;
      process.off('message', onMessage);
      resolve(parseConfig(m.config));
    };
    process.on('message', onMessage);
    process.send?.({ im: 'im:worker', op: 'hello' } satisfies LifeMessage);
  });
  const logger = makeLogger(config);
  const metricsIpc = createIpcClient('im:metrics', 6000);
  let server: S;
  try {
    server = start({ config, logger, workerOf: { metricsText: () => metricsIpc.request<string>('metrics', null) } });
    // The primary's AggregatorRegistry asks each worker for this server's registry.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([server.metrics.registry]);
    collectDefaultMetrics({ register: server.metrics.registry });
    setupStickyWorker(server.io);
    await server.backends.ready();
  } catch (err) {
    process.send?.({ im: 'im:worker', op: 'failed', message: (err as Error).message } satisfies LifeMessage);
    throw err;
  }
  process.send?.({ im: 'im:worker', op: 'ready' } satisfies LifeMessage);
  process.once('SIGTERM', () => {
    metricsIpc.close();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  return server;
}
