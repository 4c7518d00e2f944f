import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { serveCommands, settledMemory } from './ipc';

/** What the baselines answer an accepted push with (the contract's success body). */
export const NOTIFY_OK = '{"code":1,"msg":"message notify successed!","data":""}';

/** POST /api/notify with a form body, read whole and handed to `handle`; anything else is a 404. */
export function notifyFormHandler(handle: (form: URLSearchParams, res: ServerResponse) => void): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/api/notify') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), res));
  };
}

/**
 * The HTTP side both baselines share: POST /api/notify with a form body, no sign check, no
 * validation; `deliver` is called once per room of `room_id`.
 */
export function createBaselineNotifyServer(deliver: (source: string, room: string, data: string) => void): Server {
  return createServer(
    notifyFormHandler((form, res) => {
      const source = form.get('source') ?? '';
      const data = form.get('data') ?? '';
      for (const room of (form.get('room_id') ?? '').split(',')) deliver(source, room, data);
      res.writeHead(200, { 'content-type': 'application/json' }).end(NOTIFY_OK);
    }),
  );
}

/** Listens on a free loopback port and returns it. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/**
 * A baseline server's life as a bench child: listens on loopback, then answers bench/run.ts's
 * commands (memory, CPU, connection count) until it is told to exit, when `close` runs.
 */
export async function serveBaseline(server: Server, connections: () => number, close: () => Promise<void> | void): Promise<void> {
  const port = await listenOnLoopback(server);
  serveCommands(
    {
      mem: () => settledMemory(),
      cpu: () => process.cpuUsage(),
      stats: () => ({ connections: connections() }),
    },
    { port, pid: process.pid },
    close,
  );
}
