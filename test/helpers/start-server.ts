import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createServer, type CreateServerOptions, type ImRelayServer } from '../../server/create-server';
import { demoConfigInput, type ServerConfigInput } from '../../server/config';

export interface TestServer extends ImRelayServer {
  port: number;
  url: string;
  logDir: string;
}

/**
 * Starts a real server on a free port with the demo sources and a private log folder.
 * `config` is merged over the demo configuration.
 */
export async function startServer(
  config: Partial<ServerConfigInput> = {},
  extra: Omit<CreateServerOptions, 'config'> = {},
  /** A fixed port (e.g. to restart a relay where its clients reconnect); a free one by default. */
  port = 0,
): Promise<TestServer> {
  const logDir = config.logDir ?? mkdtempSync(path.join(tmpdir(), 'im-logs-'));
  const server = createServer({
    config: { ...demoConfigInput(), demo: false, logLevel: 'silent', ...config, logDir },
    logger: extra.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...extra,
  });
  const bound = await server.listen(port, '127.0.0.1');
  return Object.assign(server, { port: bound, url: `http://127.0.0.1:${bound}`, logDir });
}
