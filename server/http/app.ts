import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import cors from 'cors';
import express, { type Express } from 'express';
import { ImError } from '../../packages/protocol';
import { ASSETS } from '../core/assets';
import type { Health } from '../adapters/health';
import type { ServerContext } from '../context';
import type { Presence } from '../presence/presence';
import { securityHeaderSet, securityHeaders } from '../security/headers';
import { originAllowed } from '../security/origins';
import { bodyParser } from './body';
import { debugPageRouter } from './debug-page';
import { errorHandler } from './error-handler';
import type { Inflight } from './inflight';
import { legacyRoutes } from './legacy-routes';
import { leanPushRoutes, NOTIFY_BATCH_PATH, notifyRouter } from './notify';
import { operatorRouter } from './operator';
import { presenceRouter } from './presence-routes';
import { probesRouter } from './probes';
import { requestLog } from './request-log';

export interface WebAppOptions {
  /** Admission and the in-flight count, shared by the push routes and the Express app. */
  inflight: Inflight;
  presence: Presence;
  /** The backends' readiness and adapter kind, for /readyz (server/backends.ts). */
  backends: { health: Health; kind: string };
  /** Metrics text for the whole machine (`--workers`: all workers, summed by the primary). */
  metricsText?: () => Promise<string>;
}

export interface WebApp {
  app: Express;
  /** The HTTP server's request listener: the push routes first, then Express. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
}

/** Probes are polled every few seconds: logging them would drown everything else. */
const quiet = (p: string) => p === '/healthz' || p === '/readyz' || p === '/metrics';

/**
 * Every HTTP route of the server. POST /api/notify[/batch] is answered before Express
 * (`leanPushRoutes`, server/http/notify.ts) so the hot path meets no other route on its way;
 * the same routes are also in the Express app, for `app` used on its own.
 */
export function createWebApp(ctx: ServerContext, opts: WebAppOptions): WebApp {
  const { config, logger, metrics } = ctx;
  const { inflight, presence } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use((_req, res, next) => {
    if (inflight.admit(res)) next();
  });
  app.use(requestLog(logger, quiet));

  const allowedByAnySource = (origin: string) => Object.values(config.sources).some((s) => originAllowed(s.corsOrigins, origin));
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
  const pushRoutes = leanPushRoutes(ctx, { logger, inflight, quiet, headersFor, cors: apiCors });

  app.use(notifyRouter(ctx));
  app.use(
    probesRouter({
      health: opts.backends.health,
      registry: metrics.registry,
      instanceId: ctx.instanceId,
      adapter: opts.backends.kind,
      connections: () => ctx.io.engine.clientsCount,
      metricsText: opts.metricsText,
    }),
  );
  app.use(operatorRouter(ctx));
  app.use(presenceRouter(ctx, presence));
  // The original's URLs (GET /, /readmsg, …).
  const original = legacyRoutes(ctx, presence, metrics, ASSETS.root);
  app.use(original.router);
  app.use('/js', express.static(ASSETS.browserJs, { maxAge: '5m', etag: true, fallthrough: true }));
  // The SDK's example pages (chat, dashboard, refresh), written as an SDK user would write them.
  app.use('/examples', express.static(path.join(ASSETS.root, 'examples'), { maxAge: '5m', etag: true, fallthrough: true }));
  app.use(debugPageRouter(ASSETS.root));
  app.use((req, _res, next) => next(new ImError('NOT_FOUND', `no route for ${req.method} ${req.path}`)));
  app.use(errorHandler(logger));

  return {
    app,
    handle(req, res) {
      if (!pushRoutes(req, res)) app(req, res);
    },
    close: () => original.close(),
  };
}
