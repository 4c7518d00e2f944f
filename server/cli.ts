import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config';
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
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`Usage: npm start -- [--config FILE] [--port N]

Starts the node-socket-im relay server.

  -c, --config FILE   JSON configuration (or env IM_CONFIG); without one the embedded demo
                      configuration is used (refused when NODE_ENV=production)
  -p, --port N        port to listen on (or env PORT; default 4000)

Environment: PORT, HOST, IM_CONFIG, LOG_DIR, LOG_LEVEL, REDIS_URL, IM_ADMIN_KEY.
`);
    return;
  }
  const env = { ...processEnv };
  if (values.port !== undefined) env.PORT = values.port;
  const config = loadConfig({ file: values.config, env });
  if (config.demo) process.stderr.write(DEMO_BANNER);
  const server = createServer({ config });
  const port = await server.listen();
  const log = server.context.logger;
  log.info({ port, host: config.host, sources: Object.keys(config.sources), adapter: config.adapter.type }, `node-socket-im listening on http://${config.host}:${port}`);

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long, exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000);
    force.unref();
    server.close().then(
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

/** Prints a start-up failure the way an operator needs it and exits non-zero. */
export function exitOnStartError(err: unknown): never {
  if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`node-socket-im: ${(err as Error).message}\n`);
  } else {
    process.stderr.write(`node-socket-im: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
}
