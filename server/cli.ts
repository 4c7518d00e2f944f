import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { runPrimary } from './workers/workers';
import { legacyConnectSign } from '../packages/signing';
import { ConfigError, DEMO_SOURCES, loadConfig } from './config';
import { createServer } from './create-server';

/**
 * Starts the server from command-line arguments: `npm start -- ...` and `im-debug serve ...`
 * both come here. server/main.ts is the only caller that hands it process.env.
 */
export async function runServer(argv: string[], processEnv: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      workers: { type: 'string', short: 'w' },
      'legacy-redis-channel': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`Usage: npm start -- [--config FILE] [--port N] [--workers N|auto]

Starts the node-socket-im relay server.

  -c, --config FILE   JSON configuration (or env IM_CONFIG); without one the embedded demo
                      configuration is used (refused when NODE_ENV=production). The original's
                      files work too: a CommonJS config/production.js, or its folder (config.js
                      + config/{local,development,production}.js, picked by NODE_ENV)
      --legacy-redis-channel
                      take messages back ends PUBLISH to the Redis channel xin_common_chat,
                      as the original did (needs Redis; config key legacyRedisChannel)
  -p, --port N        port to listen on (or env PORT; default 4000)
  -w, --workers N     run N processes behind the one port (node:cluster, sticky sessions);
                      "auto" = one per CPU core. They share messages through the primary
                      process, or through Redis when REDIS_URL / adapter.type "redis" is set

Environment: PORT, HOST, IM_CONFIG, LOG_DIR, LOG_LEVEL, REDIS_URL, REDIS_PREFIX,
REDIS_TRANSPORT (streams|pubsub), REDIS_STARTUP (fail|wait), IM_ADMIN_KEY,
IM_LEGACY_REDIS_CHANNEL (1: as --legacy-redis-channel).
`);
    return;
  }
  const env = { ...processEnv };
  if (values.port !== undefined) env.PORT = values.port;
  if (values['legacy-redis-channel']) env.IM_LEGACY_REDIS_CHANNEL = '1';
  const notices: Array<[string, 'info' | 'warn']> = [];
  const config = loadConfig({ file: values.config, env, notice: (message, level) => notices.push([message, level]) });
  const workers = parseWorkers(values.workers);
  if (config.demo) process.stderr.write(DEMO_BANNER);
  const where = { host: config.host, sources: Object.keys(config.sources), adapter: config.adapter.type };

  if (workers > 1) {
    const log = pino({ level: config.logLevel });
    for (const [message, level] of notices) log[level](message);
    const primary = await runPrimary({ workers, config, logger: log });
    log.info({ port: primary.port, workers, ...where }, `node-socket-im listening on http://${config.host}:${primary.port} with ${workers} workers`);
    if (config.demo) process.stderr.write(demoLinks(config.host, primary.port));
    closeOnSignals(log, () => primary.close(), config.shutdownTimeoutMs + 4000);
    return;
  }

  const server = createServer({ config });
  collectDefaultMetrics({ register: server.metrics.registry });
  const log = server.context.logger;
  for (const [message, level] of notices) log[level](message);
  const port = await server.listen();
  log.info({ port, ...where }, `node-socket-im listening on http://${config.host}:${port}`);
  if (config.demo) process.stderr.write(demoLinks(config.host, port));
  closeOnSignals(log, () => server.close(), config.shutdownTimeoutMs + 2000);
}

/** `--workers`: a whole number ≥ 1, or "auto" for one per core. */
function parseWorkers(raw: string | undefined): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ConfigError(`--workers must be a whole number from 1 to 256 or "auto", got ${JSON.stringify(raw)}`);
  return n;
}

function closeOnSignals(log: Logger, close: () => Promise<void>, forceAfterMs: number): void {
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long, exiting');
      process.exit(1);
    }, forceAfterMs);
    force.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

const DEMO_BANNER = `
################################################################################
#  DEMO KEYS IN USE: sources "demo" and "remote_debug" run with the public     #
#  sign keys from the contract. Anyone can sign for them. This is for local    #
#  development only: give a real configuration with --config FILE (IM_CONFIG). #
################################################################################
`;

/** In demo mode: the ready /debug link of remote_debug/console-log and the commands that read it. */
export function demoLinks(host: string, port: number): string {
  const any = host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
  const base = `http://${any ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`;
  const sign = legacyConnectSign('remote_debug', 'console-log', DEMO_SOURCES.remote_debug.signKey);
  const server = base === 'http://127.0.0.1:4000' ? '' : ` --server ${base}`;
  return `
  Remote-debug console (demo keys): ${base}/debug#source=remote_debug&room=console-log&sign=${sign}
  In the terminal:                  npx im-debug tail --room console-log${server}
  Presence monitor:                 npx im-debug open monitor --source demo${server}

`;
}

/** Prints a start-up failure the way an operator needs it and exits non-zero. */
export function exitOnStartError(err: unknown): never {
  const name = (err as { name?: string }).name;
  if (err instanceof ConfigError || name === 'StartupError' || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`node-socket-im: ${(err as Error).message}\n`);
  } else {
    process.stderr.write(`node-socket-im: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
}
