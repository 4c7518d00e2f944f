import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { SECRET_PARAMS } from '../../packages/protocol';

/** An `X-Request-Id` a caller may choose; anything else gets a fresh UUID. */
const GIVEN_ID = /^[\w.-]{1,64}$/;

const SECRET_NAMES: ReadonlySet<string> = new Set(SECRET_PARAMS);
/** A quick pre-check: a query with none of these letters in a name has nothing to redact. */
const MAYBE_SECRET = /(?:sign|ts|nonce|key|token|%)[^&=]*=/i;

function secretName(raw: string): boolean {
  let name = raw;
  try {
    name = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: judge the name as written.
  }
  // `sign[]=` and `sign[0]=` are the same field to the query parser.
  const base = name.trim().toLowerCase().replace(/\[.*$/, '');
  return SECRET_NAMES.has(base);
}

/**
 * The URL with the values of sign, ts, nonce and key parameters replaced by `[redacted]`:
 * whoever reads the log (or the log shipper) must not be able to replay a request from it.
 * Names are compared decoded (`si%67n` is `sign` to the server too).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url.slice(q + 1);
  if (!MAYBE_SECRET.test(query)) return url;
  const parts = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    return secretName(name) ? `${name}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/**
 * Gives every request an id (the caller's `X-Request-Id` when it is sane, else a UUID), answers
 * it in `X-Request-Id`, keeps it in `res.locals.requestId` for the error handler, and logs one
 * line per request when it ends: `request completed` (status ≥ 500 at error level) or
 * `request aborted` when the client left first. Sign parameters in the URL are redacted.
 *
 * This replaces pino-http, which built a child logger and serialised the request for every
 * request, whatever the log level: an eighth of the CPU of a `POST /api/notify` (bench/).
 */
export function requestLog(logger: Logger, quiet: (path: string) => boolean): RequestHandler {
  return (req, res, next) => {
    res.locals.requestId = trackRequest(logger, quiet, req, res, req.path, req.originalUrl, () => req.ip);
    next();
  };
}

/**
 * The same for a request answered before Express (server/http/notify.ts): the id is returned
 * for the error log; `url` is the URL as received, `ip` is read only when a line is logged.
 */
export function trackRequest(
  logger: Logger,
  quiet: (path: string) => boolean,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  url: string,
  ip: () => string | undefined,
): string {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && GIVEN_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', requestId);
  if (logger.isLevelEnabled('info') && !quiet(path)) {
    const start = performance.now();
    res.once('close', () => {
      const line = {
        reqId: requestId,
        method: req.method,
        url: redactUrl(url),
        status: res.statusCode,
        ms: Math.round((performance.now() - start) * 10) / 10,
        ip: ip(),
      };
      if (!res.writableFinished) logger.info(line, 'request aborted');
      else if (res.statusCode >= 500) logger.error(line, 'request completed');
      else logger.info(line, 'request completed');
    });
  }
  return requestId;
}
