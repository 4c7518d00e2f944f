import path from 'node:path';
import { Router } from 'express';

/**
 * GET /debug: the live remote-debug log page (debug-viewer/). The page itself holds no secret:
 * it asks for the room's sign, and keeps it in the URL fragment, which browsers never send.
 * A strict CSP backs up the page's own rule of rendering entries as text only.
 */
export function debugPageRouter(projectRoot: string): Router {
  const router = Router();
  const dir = path.join(projectRoot, 'debug-viewer');
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    // The page may read a room on another relay server (the `server` field).
    'connect-src * ws: wss:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  router.get(['/debug', '/debug/'], (_req, res) => {
    res.set({ 'Content-Security-Policy': csp, 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
    res.sendFile(path.join(dir, 'index.html'));
  });
  // The source-map fetcher (a worker): its own CSP lets it connect only to the origins the
  // user allowed in /debug, given as ?origin=… (untrusted input: http(s) origins only).
  router.get('/debug/source-map-worker.js', (req, res) => {
    const asked = new URL(req.originalUrl, 'http://x').searchParams.getAll('origin');
    const origins: string[] = [];
    for (const o of asked.slice(0, 51)) {
      let u: URL | undefined;
      try {
        u = new URL(o);
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== o) {
        res.status(400).type('text/plain').send(`origin ${JSON.stringify(o.slice(0, 200))} is not an http(s) origin such as https://shop.example.com`);
        return;
      }
      origins.push(o);
    }
    if (origins.length > 50) {
      res.status(400).type('text/plain').send('at most 50 origins');
      return;
    }
    res.set({
      'Content-Security-Policy': `default-src 'none'; connect-src ${origins.length ? origins.join(' ') : "'none'"}`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    });
    res.type('text/javascript').sendFile(path.join(dir, 'source-map-worker.js'));
  });
  router.get('/debug/debug.css', (_req, res) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
    res.sendFile(path.join(dir, 'debug.css'));
  });
  return router;
}
