import { createServer, type Server } from 'node:http';

/**
 * The HTTP side both baselines share: POST /api/notify with a form body, no sign check, no
 * validation; `deliver` is called once per room of `room_id`.
 */
export function createBaselineNotifyServer(deliver: (source: string, room: string, data: string) => void): Server {
  return createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/api/notify') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const source = form.get('source') ?? '';
      const data = form.get('data') ?? '';
      for (const room of (form.get('room_id') ?? '').split(',')) deliver(source, room, data);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":1,"msg":"message notify successed!","data":""}');
    });
  });
}

/** Listens on a free loopback port and returns it. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}
