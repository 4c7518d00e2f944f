import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { LEGACY_MESSAGES } from '../../packages/protocol';
import type { ServerContext } from '../context';
import { clientIp } from '../security/client-ip';
import { setAll, type HeaderList } from '../security/headers';
import { requestBody } from './body';
import { replyError, sendJson, sendJsonText } from './error-handler';
import type { Inflight } from './inflight';
import { trackRequest } from './request-log';
import { acceptNotify, type NotifyMeta } from './notify-accept';
import { acceptBatch } from './notify-batch';

/**
 * The push routes: POST /api/notify and /api/notify/batch, served before Express
 * (`leanPushRoutes`) and, for `app` used on its own, by Express (`notifyRouter`).
 */

/** What the routes served before Express share with the Express app (http/app.ts). */
export interface HttpShared {
  logger: Logger;
  inflight: Inflight;
  /** Paths not worth a request-log line. */
  quiet: (path: string) => boolean;
  /** The security headers of an answer to a path (server/security/headers.ts). */
  headersFor: (path: string) => HeaderList;
  /** The API's CORS middleware (the `cors` package works on node's request and response). */
  cors: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
}

export const NOTIFY_PATH = '/api/notify';
export const NOTIFY_BATCH_PATH = '/api/notify/batch';

const NOTIFY_OK_TEXT = JSON.stringify({ code: 1, msg: LEGACY_MESSAGES.notifyOk, data: '' });

/** The route a POST is for, matched as Express matches it (any case, one trailing slash). */
function pushRoute(url: string): typeof NOTIFY_PATH | typeof NOTIFY_BATCH_PATH | undefined {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path === NOTIFY_PATH) return NOTIFY_PATH;
  const p = (path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase();
  if (p === NOTIFY_PATH) return NOTIFY_PATH;
  if (p === NOTIFY_BATCH_PATH) return NOTIFY_BATCH_PATH;
  return undefined;
}

/**
 * The push routes, served before the Express stack (bench/: Express's router, res.json and its
 * ETag, and body-parser were most of a notify's CPU). They go through the same steps as the
 * app, each from the one place it lives: admission and in-flight count (inflight.ts), request id
 * and log (request-log.ts), security headers (headers.ts), the API's CORS middleware, the body
 * reader (body.ts), the error answers (error-handler.ts). Returns false for any other request,
 * which then goes to Express.
 */
export function leanPushRoutes(ctx: ServerContext, shared: HttpShared): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { logger, inflight, quiet, headersFor, cors } = shared;
  const { limits } = ctx.config;
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '/';
    const route = pushRoute(url);
    if (!route) return false;
    if (!inflight.admit(res)) return true;
    const ip = () => clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const reqId = trackRequest(logger, quiet, req, res, route, url, ip);
    setAll(res, headersFor(route));
    const fail = (err: unknown) => replyError(logger, res, err, reqId);
    cors(req, res, (err) => {
      if (err) return fail(err);
      const batch = route === NOTIFY_BATCH_PATH;
      const origin = req.headers.origin;
      requestBody(req, { limit: batch ? limits.maxBatchBodyBytes : limits.maxBodyBytes })
        .then((body) => {
          const meta = { ip: ip(), origin };
          if (batch) return acceptBatch(ctx, body, meta).then((answer) => sendJson(res, 200, answer));
          return acceptNotify(ctx, body, meta).then(() => sendJsonText(res, 200, NOTIFY_OK_TEXT));
        })
        .catch(fail);
    });
    return true;
  };
}

/**
 * The same routes inside Express, for the app used on its own (`server.app` mounted elsewhere);
 * createServer's HTTP server answers them before Express. Body, headers and CORS come from the
 * app's middlewares then.
 */
export function notifyRouter(ctx: ServerContext): Router {
  const router = Router();
  const meta = (req: Request): NotifyMeta => ({ ip: req.ip ?? 'unknown', origin: req.get('origin') });
  router.post(NOTIFY_PATH, async (req: Request, res: Response) => {
    await acceptNotify(ctx, req.body, meta(req));
    sendJsonText(res, 200, NOTIFY_OK_TEXT);
  });
  router.post(NOTIFY_BATCH_PATH, async (req: Request, res: Response) => {
    sendJson(res, 200, await acceptBatch(ctx, req.body, meta(req)));
  });
  return router;
}
