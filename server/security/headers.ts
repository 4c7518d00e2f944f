import type { ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { SecurityHeadersConfig } from '../config/security';

/**
 * The CSP of the server's own pages (/debug, /monitor, …): everything from this origin,
 * inline scripts and styles allowed (the pages are small and self-contained), no plugins, no
 * framing by other sites, no foreign form targets. Replace it with `securityHeaders.contentSecurityPolicy`.
 */
export const DEFAULT_PAGE_CSP: Record<string, string[]> = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'unsafe-inline'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
};

/** Answers read by other origins: scripts in <script src> tags and the CORS API. */
const SHARED_PREFIXES = ['/js/', '/api/', '/refreshpage', '/healthz'];

/**
 * helmet on every Express answer (Socket.IO's own endpoint is not Express). Pages get the full
 * set with a CSP; the bundles under /js and the API keep Cross-Origin-Resource-Policy
 * cross-origin, because the contract's pages load /js/node_im.min.js from another origin and
 * post to /api/notify cross-origin (CORS, which CORP would not block, but a no-cors fetch would be).
 */
export function securityHeaders(cfg: SecurityHeadersConfig | ((path: string) => HeaderList)): RequestHandler {
  const headersFor = typeof cfg === 'function' ? cfg : securityHeaderSet(cfg);
  return (req, res, next) => {
    setAll(res, headersFor(req.path));
    next();
  };
}

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/**
 * The security headers of an answer to `path` (none when turned off), for the Express
 * middleware above and the routes served before Express (server/http/notify.ts).
 */
export function securityHeaderSet(cfg: SecurityHeadersConfig): (path: string) => HeaderList {
  if (!cfg.enabled) return () => [];
  const hsts = cfg.hstsMaxAge > 0 ? { maxAge: cfg.hstsMaxAge, includeSubDomains: false } : false;
  const pageCsp =
    cfg.contentSecurityPolicy === false ? false : { useDefaults: false, directives: cfg.contentSecurityPolicy ?? DEFAULT_PAGE_CSP };
  const pages = helmet({ contentSecurityPolicy: pageCsp, strictTransportSecurity: hsts });
  const shared = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    strictTransportSecurity: hsts,
  });
  const pageHeaders = headersSetBy(pages);
  const sharedHeaders = headersSetBy(shared);
  return (path) => (SHARED_PREFIXES.some((p) => path.startsWith(p)) ? sharedHeaders : pageHeaders);
}

export function setAll(res: ServerResponse, headers: HeaderList): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}

/**
 * The headers a helmet middleware sets. With static options (no nonce functions) they never
 * depend on the request, so they are read once at start-up rather than rebuilt by helmet's
 * chain of thirteen middlewares on every answer (bench/: part of the cost of a notify).
 */
function headersSetBy(middleware: RequestHandler): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: () => {},
  };
  let done = false;
  middleware({} as Request, recorder as unknown as Response, () => (done = true));
  if (!done) throw new Error('helmet did not finish synchronously: the security headers cannot be precomputed');
  return headers;
}
