import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { pino, type Logger } from 'pino';
import { Server } from 'socket.io';
import { createBackends, type BackendOverrides, type Backends } from './backends';
import { createRelay, type Relay } from './relay/relay';
import type { ImServer } from './core/im-server';
import { parseConfig, type ServerConfig, type ServerConfigInput } from './config';
import type { ServerContext } from './context';
import { attachEngine, type EngineOptions } from './engine';
import { createWebApp } from './http/app';
import { createInflight, type Inflight } from './http/inflight';
import { startLegacyChannel } from './legacy/legacy-channel';
import { createMetrics, type ServerMetrics } from './core/metrics';
import { createPresence, type Presence } from './presence/presence';
import { createSecurityServices } from './security/services';
import { createShutdown } from './shutdown';
import { createAnswerAdmission } from './socket/answer-admission';
import { createSocketLayer } from './socket/layer';
import { defineMessageEvents } from './socket/message-events';
import { createOutputBudget } from './socket/output-budget';
import { createSlowConsumers, type SlowConsumers } from './socket/slow-consumers';

/** The repository's root when running from source (tests and tools use it); served files: ASSETS. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface CreateServerOptions {
  /** A validated config, or input for parseConfig. */
  config: ServerConfig | ServerConfigInput;
  logger?: Logger;
  /** Clock, for tests. */
  now?: () => number;
  /**
   * Set by `--workers N` in each worker process: connections come from the primary
   * (@socket.io/sticky), /metrics answers for all workers (`metricsText`, from the primary) and,
   * without Redis, every backend is the primary's (server/backends.ts, mode `worker`).
   */
  workerOf?: { metricsText?: () => Promise<string> };
  /** Stores used instead of the ones the mode chooses (tests, benches): `history`, `presence`. */
  backends?: BackendOverrides;
  /**
   * Switches off one use of the engine's private members at a time (server/engine/), for the
   * benchmarks that measure what each buys. Every one is on by default.
   */
  engine?: EngineOptions;
}

export interface ImRelayServer {
  app: Express;
  httpServer: HttpServer;
  io: ImServer;
  relay: Relay;
  context: ServerContext;
  /** The Socket.IO adapter and every store, chosen from one mode, with the instance's health (server/backends.ts). */
  backends: Backends;
  metrics: ServerMetrics;
  /** Online users, join/leave signals, browser info and page views. */
  presence: Presence;
  /** Connections cut by an output budget, and the SLOW_CONSUMER notices waiting for them. */
  slowConsumers: SlowConsumers;
  /** Starts listening (once Redis answers, per adapter.onStartup); resolves with the bound port (pass 0 for a free one). */
  listen(port?: number, host?: string): Promise<number>;
  /** HTTP requests being handled right now. */
  readonly inflightRequests: number;
  /** Graceful shutdown: stop accepting, finish in-flight requests, close sockets and files. */
  close(): Promise<void>;
}

export function createServer(options: CreateServerOptions): ImRelayServer {
  const config = parseConfig(options.config);
  const logger = options.logger ?? pino({ level: config.logLevel });
  const now = options.now ?? Date.now;
  const instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  let handle: (req: IncomingMessage, res: ServerResponse) => void = () => {};
  const httpServer = createHttpServer((req, res) => handle(req, res));
  // Admission and the in-flight count, shared by the push routes and the Express app.
  const inflight = createInflight();
  const io: ImServer = new Server(httpServer, engineOptions(config, inflight));
  const metrics = createMetrics(io);
  const slowConsumers = createSlowConsumers({ now, logger }, metrics);
  const outputBudget = createOutputBudget({
    perConnection: config.limits.maxQueuedBytesPerConnection,
    total: config.limits.maxQueuedBytes,
    onCut: slowConsumers.cut,
  });
  // One system call per subscriber per turn of the event loop, not per message (bench/: fan-out);
  // what is left queued to the connections written to is measured then, once per turn.
  const engine = attachEngine(io, {
    logger,
    options: options.engine,
    afterFlush(clients) {
      try {
        outputBudget.check(clients);
      } catch (err) {
        // Runs in setImmediate: a throw here would take the process down.
        logger.error({ err }, 'output budget check failed');
      }
    },
  });

  const backends = createBackends({ workerProcess: options.workerOf !== undefined, config, logger, metrics, now, io, instanceId, overrides: options.backends });
  // History answers wait their turn while the output queued to all connections is at its budget.
  const answers = createAnswerAdmission({
    budget: config.limits.maxQueuedBytes,
    queued: () => outputBudget.counted,
    onRefuse: () => metrics.boundHits.inc({ bound: 'history_answers_deferred', source: '' }),
  });
  const relay = createRelay(io, backends.history, now, {
    metrics,
    backends,
    maxHistoryAnswerBytes: config.limits.maxHistoryAnswerBytes,
    admitAnswer: answers.admit,
  });
  const messageLog = backends.messageLog;
  const security = createSecurityServices({ config, stores: backends, onRefuse: (bound, source) => metrics.boundHits.inc({ bound, source }) });
  const ctx: ServerContext = { config, io, relay, messageLog, logger, instanceId, now, security, metrics };
  const presence = createPresence(ctx, backends.presence);

  const web = createWebApp(ctx, { inflight, presence, backends, metricsText: options.workerOf?.metricsText });
  handle = web.handle;
  // The original's Redis channel xin_common_chat (opt-in).
  const legacyChannel = startLegacyChannel({ ctx, registry: metrics.registry, redis: backends.redis });

  const layer = createSocketLayer(ctx, engine);
  defineMessageEvents(ctx, layer);
  presence.register(layer);
  layer.onConnection(slowConsumers.greet);

  if (config.recovery.maxDisconnectionSeconds !== undefined) {
    logger.warn(
      { key: 'recovery.maxDisconnectionSeconds' },
      'recovery.maxDisconnectionSeconds no longer does anything: Socket.IO connection state recovery is off; ' +
        'reconnecting clients catch up from room history (history.size, history.maxAgeSeconds). Remove the key.',
    );
  }
  if (config.demo) {
    logger.warn(
      '*** DEMO KEYS IN USE: sources "demo" and "remote_debug" use the public keys from the contract. ' +
        'Anyone can sign for them. Never run this configuration in production: pass --config FILE. ***',
    );
  }

  const close = createShutdown({
    config,
    logger,
    httpServer,
    io,
    inflight,
    engine,
    health: backends.health,
    // In this order, after the connections are gone.
    beforeConnections: [presence.endStreams],
    // backends.close: the stores, the message log, then the connections under them (Redis, IPC).
    afterConnections: [web.close, () => legacyChannel?.close(), () => presence.close(), () => backends.close()],
  });

  return {
    app: web.app,
    httpServer,
    io,
    relay,
    context: ctx,
    backends,
    metrics,
    presence,
    slowConsumers,
    get inflightRequests() {
      return inflight.count;
    },
    async listen(port = config.port, host = config.host) {
      try {
        await backends.ready();
      } catch (err) {
        // Start-up failed (Redis unreachable, onStartup "fail"): release timers and sockets.
        await close().catch(() => {});
        throw err;
      }
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const addr = httpServer.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      });
    },
    close,
  };
}

/** The Socket.IO server's options. */
function engineOptions(config: ServerConfig, inflight: Inflight): ConstructorParameters<typeof Server>[1] {
  return {
    // No new Socket.IO sessions while shutting down (a kept-alive connection can still ask).
    allowRequest: (_req, answer) => answer(inflight.draining ? 'server is shutting down' : null, !inflight.draining),
    // Room ids and payloads are checked per message; this caps the raw frame.
    maxHttpBufferSize: Math.max(1e6, config.limits.maxMessageBytes * 2 + 64 * 1024),
    cors: { origin: true, credentials: true },
    serveClient: false,
    // Socket.IO 2 clients (Engine.IO 3): the original's deployed node_im.min.js and debug hook.
    allowEIO3: true,
    // No connectionStateRecovery: it appends an offset argument to every broadcast, keeps every
    // broadcast packet for its window and restores rooms before the handshake is checked. A
    // reconnecting client catches up from room history instead, checked like any request.
  };
}
