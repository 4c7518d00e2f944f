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
  router.get('/debug/debug.css', (_req, res) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
    res.sendFile(path.join(dir, 'debug.css'));
  });
  return router;
}
