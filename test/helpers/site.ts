import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

export interface TestSite {
  /** e.g. http://localhost:34567: another origin than the relay's, as a customer's site is. */
  url: string;
  /** Adds or replaces a page (HTML unless `contentType` says otherwise). */
  set(pathname: string, body: string, contentType?: string): void;
  close(): Promise<void>;
}

/**
 * A customer's web server on loopback: serves `files` (URL path → a file on disk, read at each
 * request, e.g. a built bundle) as scripts, the pages given with `set`, and 404 for anything
 * else; nothing is cached. `host` is `localhost` (another origin than the relay's 127.0.0.1,
 * even on the same port range) unless told otherwise.
 */
export async function startSite(files: Record<string, string> = {}, host: 'localhost' | '127.0.0.1' = 'localhost'): Promise<TestSite> {
  const pages = new Map<string, [type: string, body: string | Buffer]>();
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    const file = files[pathname];
    const page = file !== undefined ? (['text/javascript', readFileSync(file)] as const) : pages.get(pathname);
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': page[0], 'cache-control': 'no-store' }).end(page[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host}:${port}`,
    set: (pathname, body, contentType = 'text/html; charset=utf-8') => void pages.set(pathname, [contentType, body]),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
