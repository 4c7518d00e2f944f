// A server instance in its own process, for tests that kill one with SIGKILL.
// Usage: node --import tsx test/helpers/presence-instance.ts '<config JSON merged over the demo config>'
// Prints one line `{"port":N,"instance":"..."}` once it listens.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { demoConfigInput } from '../../server/config';
import { createServer } from '../../server/create-server';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const server = createServer({
  config: { ...demoConfigInput(), demo: false, logLevel: 'silent', logDir: mkdtempSync(path.join(tmpdir(), 'im-logs-')), ...overrides },
  logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
});
const port = await server.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port, instance: server.context.instanceId })}\n`);
