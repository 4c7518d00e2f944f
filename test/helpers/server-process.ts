/**
 * A relay server in its own process, for tests that must crash an instance for real
 * (kill -9). Configuration comes as JSON in IM_TEST_CONFIG (merged over the demo sources);
 * prints `LISTENING <port>` once it accepts connections; SIGTERM closes it gracefully.
 */
import { pino } from 'pino';
import { demoConfigInput } from '../../server/config';
import { createServer } from '../../server/create-server';

const overrides = JSON.parse(process.env.IM_TEST_CONFIG ?? '{}') as Record<string, unknown>;
const server = createServer({
  config: { ...demoConfigInput(), demo: false, logLevel: 'silent', ...overrides },
  logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
});
const port = await server.listen(0, '127.0.0.1');
process.stdout.write(`LISTENING ${port}\n`);
process.once('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
