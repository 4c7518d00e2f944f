import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Socket as NetSocket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cors from 'cors';
import express, { type Express } from 'express';
import { pino, type Logger } from 'pino';
import { Server } from 'socket.io';
import { ImError } from '../packages/protocol';
import { backendMode, createBackends, type BackendOverrides, type Backends } from './backends';
import { createRelay, type Relay } from './relay/relay';
import type { ImServer } from './im-server';
import { parseConfig, type ServerConfig, type ServerConfigInput } from './config';
import type { ServerContext } from './context';
import { bodyParser } from './http/body';
import { errorHandler } from './http/error-handler';
import { createInflight } from './http/inflight';
import { leanPushRoutes, NOTIFY_BATCH_PATH, notifyRouter } from './http/notify';
import { operatorRouter } from './http/operator';
import { debugPageRouter } from './http/debug-page';
import { presenceRouter } from './http/presence-routes';
import { legacyRoutes } from './http/legacy-routes';
import { startLegacyChannel } from './legacy/legacy-channel';
import { probesRouter } from './http/probes';
import { requestLog } from './http/request-log';
import { createMetrics, type ServerMetrics } from './metrics';
import { createPresence, type Presence } from './presence/presence';
import { originAllowed } from './security/origins';
import { securityHeaderSet, securityHeaders } from './security/headers';
import { createSecurityServices } from './security/services';
import { guardSocket, trackConnection } from './socket/socket-guard';
import { handshakeMiddleware } from './socket/auth';
import { coalesceWrites, tcpOf, type Transport } from './socket/coalesce-writes';
import { createAnswerAdmission } from './socket/answer-admission';
import { createOutputBudget } from './socket/output-budget';
import { createSlowConsumers, type SlowConsumers } from './socket/slow-consumers';
import { registerHandlers } from './socket/handlers';
import { createLegacyRefusals } from './socket/legacy-v2';
import { ASSETS } from './assets';

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

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // The push routes are answered before Express (server/http/notify.ts), everything else by it.
  let pushRoutes: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  const httpServer = createHttpServer((req, res) => {
    if (!pushRoutes?.(req, res)) app(req, res);
  });

  // Admission and the in-flight count, shared by the push routes and the Express app.
  const inflight = createInflight();
  const io: ImServer = new Server(httpServer, {
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
  });
  const metrics = createMetrics(io);
  const slowConsumers = createSlowConsumers({ now, logger }, metrics);
  const outputBudget = createOutputBudget({
    perConnection: config.limits.maxQueuedBytesPerConnection,
    total: config.limits.maxQueuedBytes,
    onCut: slowConsumers.cut,
  });
  // One system call per subscriber per turn of the event loop, not per message (bench/: fan-out);
  // what is left queued to the connections written to is measured then, once per turn.
  coalesceWrites(io, {
    afterFlush(clients) {
      try {
        outputBudget.check(clients);
      } catch (err) {
        // Runs in setImmediate: a throw here would take the process down.
        logger.error({ err }, 'output budget check failed');
      }
    },
  });

  const mode = backendMode(config, options.workerOf !== undefined);
  const backends = createBackends({ mode, config, logger, metrics, now, io, instanceId, overrides: options.backends });
  // History answers wait their turn while the output queued to all connections is at its budget.
  const answers = createAnswerAdmission({
    budget: config.limits.maxQueuedBytes,
    queued: () => outputBudget.counted,
    onRefuse: () => metrics.boundHits.inc({ bound: 'history_answers_deferred', source: '' }),
  });
  const relay = createRelay(io, backends.history, now, {
    metrics,
    cluster: backends,
    maxHistoryAnswerBytes: config.limits.maxHistoryAnswerBytes,
    admitAnswer: answers.admit,
  });
  const messageLog = backends.messageLog;
  const security = createSecurityServices({ config, stores: backends, onRefuse: (bound, source) => metrics.boundHits.inc({ bound, source }) });
  const ctx: ServerContext = { config, io, relay, messageLog, logger, instanceId, now, security, metrics };
  const presence = createPresence(ctx, backends.presence);

  app.use((_req, res, next) => {
    if (inflight.admit(res)) next();
  });
  // Probes are polled every few seconds: logging them would drown everything else.
  const quiet = (p: string) => p === '/healthz' || p === '/readyz' || p === '/metrics';
  app.use(requestLog(logger, quiet));

  const allowedByAnySource = (origin: string) =>
    Object.values(config.sources).some((s) => originAllowed(s.corsOrigins, origin));
  const apiCors = cors({
    origin: (origin, cb) => cb(null, origin === undefined || allowedByAnySource(origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
    maxAge: 600,
  });
  const headersFor = securityHeaderSet(config.securityHeaders);
  app.use(securityHeaders(headersFor));
  app.use(['/api', '/refreshpage'], apiCors);
  // One body reader (server/http/body.ts) for the app and the push routes.
  app.use(NOTIFY_BATCH_PATH, bodyParser({ limit: config.limits.maxBatchBodyBytes }));
  app.use(bodyParser({ limit: config.limits.maxBodyBytes }));
  pushRoutes = leanPushRoutes(ctx, { logger, inflight, quiet, headersFor, cors: apiCors });

  // First: the hot path (a push per back-end event) meets no other route on its way. (The HTTP
  // server answers POST /api/notify[/batch] before Express; these serve `app` used on its own.)
  app.use(notifyRouter(ctx));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', instance: instanceId, uptime: process.uptime(), connections: io.engine.clientsCount });
  });
  app.use(
    probesRouter({
      health: backends.health,
      registry: metrics.registry,
      instanceId,
      adapter: backends.kind,
      metricsText: options.workerOf?.metricsText,
    }),
  );
  app.use(operatorRouter(ctx));
  app.use(presenceRouter(ctx, presence));
  // The original's URLs (GET /, /readmsg, …) and its Redis channel xin_common_chat (opt-in).
  const original = { routes: legacyRoutes(ctx, presence, metrics, ASSETS.root), channel: startLegacyChannel({ ctx, registry: metrics.registry, redis: backends.redis }) };
  app.use(original.routes.router);
  app.use('/js', express.static(ASSETS.browserJs, { maxAge: '5m', etag: true, fallthrough: true }));
  // The SDK's example pages (chat, dashboard, refresh), written as an SDK user would write them.
  app.use('/examples', express.static(path.join(ASSETS.root, 'examples'), { maxAge: '5m', etag: true, fallthrough: true }));
  app.use(debugPageRouter(ASSETS.root));
  app.use((req, _res, next) => next(new ImError('NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logger));

  // A refused Socket.IO 2 client is told with `sys_error`, then let go (server/socket/legacy-v2.ts).
  const legacy = createLegacyRefusals();
  io.use(legacy.wrap(handshakeMiddleware(ctx)));
  io.on('connection', (socket) => {
    if (legacy.handle(socket)) return;
    metrics.trackSocket(socket);
    trackConnection(ctx, socket);
    guardSocket(ctx, socket);
    registerHandlers(ctx, socket);
    presence.attach(socket);
    slowConsumers.greet(socket);
  });

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

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      inflight.drain();
      backends.health.setDraining();
      // Live monitor streams never finish by themselves.
      presence.endStreams();
      // One budget for the whole shutdown: whatever has not finished by then is cut.
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref());
      // Stop accepting new connections; keep the open ones until their requests finish.
      httpServer.close();
      if (inflight.count > 0) await Promise.race([inflight.idle(), deadline]);
      // Node's close() waits for every connection to end, even one a browser opened and never
      // used, or one stalled halfway through its headers. So: every Engine.IO session gets its
      // close (WebSockets a close frame, pending polls a close packet), then what is left of
      // plain HTTP is cut, and WebSocket peers that never answer their close frame are cut at
      // the deadline.
      const webSockets = webSocketConnections(io);
      io.engine.close();
      httpServer.closeAllConnections();
      const ioClosed = io.close();
      await Promise.race([ioClosed, deadline]);
      for (const tcp of webSockets) tcp.destroy();
      await ioClosed;
      original.routes.close();
      await original.channel?.close();
      await presence.close();
      // The stores, the message log and the connections under them (Redis, IPC).
      await backends.close();
      logger.flush?.();
    })());

  return {
    app,
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

/**
 * The TCP connections under the open WebSockets. Engine.IO forgets a session as soon as it has
 * sent its close frame, while ws waits up to 30 s for the answer: read them before closing.
 */
function webSocketConnections(io: ImServer): NetSocket[] {
  const clients = (io.engine as unknown as { clients: Record<string, { transport?: Transport }> }).clients;
  return Object.values(clients).flatMap((c) => tcpOf(c.transport) ?? []);
}
