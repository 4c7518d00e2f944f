import type { CliIo } from './io';

/**
 * `im-debug serve [options]`: the relay server exactly as `npm start -- [options]` runs it.
 * Options are handed to the server's runServer (server/cli.ts) untouched, so whatever it accepts works here too.
 */
export async function runServe(args: string[], io: CliIo): Promise<void> {
  const { runServer, exitOnStartError } = await import('../../server');
  await runServer(args, io.env).catch(exitOnStartError);
}
