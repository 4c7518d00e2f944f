/**
 * The im-debug CLI's entry (bin/im-debug.js runs `main`): the commands and their options.
 * Each command's code loads on use; its long help is in commands/help.ts.
 */
import { Command, Option } from 'commander';
import { ImError, LOG_LEVELS, OPERATOR_ACTION_NAMES } from '../packages/protocol';
import { MCP_HELP, OPEN_HELP, PROGRAM_HELP, SEND_HELP, SERVE_HELP, SIGN_HELP, TAIL_HELP } from './commands/help';
import { processIo, type CliIo } from './commands/io';
import type { McpFlags } from './commands/mcp';
import type { OpenFlags } from './commands/open';
import type { SendFlags } from './commands/send';
import { runSign, type SignFlags } from './commands/sign';
import type { TailFlags } from './commands/tail';
import { cliVersion as version } from './commands/version';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The connection options of the commands that read rooms (tail, mcp): one list, one meaning. */
function readerOptions(command: Command): Command {
  return command
    .requiredOption('-r, --room <room>', 'room to read (repeat for several, or a,b)', collect)
    .option('--server <url>', 'server URL (env IM_SERVER, default http://127.0.0.1:4000)')
    .option('--source <name>', 'source the rooms belong to (env IM_SOURCE, default remote_debug)')
    .option('--sign <sign>', 'ready-made connect sign for the rooms joined by commas (env IM_SIGN)')
    .option('--sign-key <key>', 'sign key of the source (env IM_SIGN_KEY)')
    .option('--config <file>', 'settings file (env IM_DEBUG_CONFIG, default ~/.config/im-debug.json)')
    .option('--user <name>', 'userid/username to connect as', undefined)
    .option('--userid <id>', 'userid to connect as, if not --user (a strong sign covers it)')
    .option('--strong', 'strong signs: HMAC-SHA256 with ts and nonce, fresh for every (re)connect (env IM_STRONG=1); needs the key')
    .option('--no-strong', 'legacy md5 sign even if IM_STRONG or the config file asks for strong ones');
}

export function buildProgram(io: CliIo, done: (code: number) => void): Command {
  const program = new Command()
    .name('im-debug')
    .description('Remote-debug console in the terminal, and tools for node-socket-im: tail, mcp, serve, send, sign, open.')
    .version(version())
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)');
  program.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  readerOptions(
    program.command('tail').description("follow rooms live: the remote-debug console of pages with the hook, or any room's messages"),
  )
    .addOption(new Option('-l, --level <level>', 'lowest level shown').choices([...LOG_LEVELS]))
    .option('-g, --grep <regex>', 'only entries whose text matches (a regular expression; /re/i for flags)')
    .option('--session <id>', "only this session's entries")
    .option('--network <mode>', 'network rows of the page (NET GET 503 /api/x 120 ms): only (just them) or hide')
    .option('--source-maps-from <origin...>', 'map call sites through source maps fetched from this origin (only from origins given here)')
    .option('--source-maps <dir>', 'map call sites through the .map files in this folder (bundle.js -> bundle.js.map)')
    .option('-n, --tail <n>', 'first show the last N messages of each room (what the server keeps)')
    .option('--since <time>', 'first show messages since a time: 30s, 5m, 2h, 1d or 2026-11-26T10:00:00Z')
    .option('--json', 'one NDJSON object per entry (the message as received), for jq')
    .option('--plain', 'plain lines even on a terminal')
    .option('--no-follow', 'print the history asked for (--tail/--since) and exit')
    .option('--buffer <n>', 'rows kept by the interactive viewer (default 10000)')
    .option('-q, --quiet', 'no status lines on stderr (piped mode)')
    .option('--no-color', 'no colours in plain lines')
    .addHelpText('after', TAIL_HELP)
    // Commands load on use: `sign` and `--help` need not load socket.io-client or Ink.
    .action(async (flags: TailFlags) => done(await (await import('./commands/tail')).runTail(flags, io)));

  readerOptions(program.command('mcp').description('MCP server on stdio: gives a coding agent the remote console (recent_logs, list_sessions, wait_for_log, get_entry)'))
    .option('--buffer <n>', 'entries kept; the oldest are dropped first (default 5000, at most 50000)')
    .option('-n, --tail <n>', 'history read per room on connect (default the smaller of --buffer and 500)')
    .option('--since <time>', 'read history since a time instead: 30s, 5m, 2h, 1d or 2026-11-26T10:00:00Z')
    .option('--progress-every <seconds>', 'seconds between progress notifications of wait_for_log (default 10)')
    .option('-q, --quiet', 'no status lines on stderr')
    .addHelpText('after', MCP_HELP)
    .action(async (flags: McpFlags) => done(await (await import('./commands/mcp')).runMcp(flags, io)));

  program
    .command('serve')
    .description('start the relay server (same options as npm start)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]', 'server options (see im-debug serve --help)')
    .action(async (args: string[]) => {
      const { runServe } = await import('./commands/serve');
      if (args.includes('--help') || args.includes('-h')) {
        io.stdout.write(SERVE_HELP);
        await runServe(['--help'], io);
        return done(0);
      }
      await runServe(args, io);
    });

  program
    .command('send')
    .description('push a message to rooms with a signed POST /api/notify')
    .requiredOption('-r, --room <room>', 'room to push to (repeat for several, or a,b)', collect)
    .requiredOption('-d, --data <text>', 'the data, sent and signed exactly as given (- reads stdin)')
    .option('--filename <name>', "also append it to the source's message log <name>")
    .option('--server <url>', 'server URL (env IM_SERVER, default http://127.0.0.1:4000)')
    .option('--source <name>', 'source (env IM_SOURCE, default remote_debug)')
    .option('--sign <sign>', 'ready-made notify sign')
    .option('--sign-key <key>', 'sign key of the source (env IM_SIGN_KEY)')
    .option('--config <file>', 'settings file (env IM_DEBUG_CONFIG, default ~/.config/im-debug.json)')
    .addOption(new Option('-l, --level <level>', 'send the data as a remote-debug log entry of this level').choices([...LOG_LEVELS]))
    .option('--session <id>', 'session of that log entry (default im-debug-send)')
    .option('--strong', 'strong sign: HMAC-SHA256 with a fresh ts and nonce (env IM_STRONG=1); needs the key')
    .option('--no-strong', 'legacy md5 sign even if IM_STRONG or the config file asks for strong ones')
    .addHelpText('after', SEND_HELP)
    .action(async (flags: SendFlags) => done(await (await import('./commands/send')).runSend(flags, io)));

  program
    .command('sign')
    .description("print the contract's signs (connect, notify, operator) for given values")
    .option('--source <name>', 'source (env IM_SOURCE, default remote_debug)')
    .option('--sign-key <key>', 'sign key (env IM_SIGN_KEY; the demo key of a demo source otherwise)')
    .option('--config <file>', 'settings file (env IM_DEBUG_CONFIG, default ~/.config/im-debug.json)')
    .option('--rooms <room_ids>', 'connect sign for these room_ids (comma-separated, exactly as sent)')
    .option('--room <room_id>', 'notify sign: the room_id field')
    .option('--data <text>', 'notify sign: the data field')
    .addOption(new Option('--action <action>', 'operator sign for this action (see below)').choices([...OPERATOR_ACTION_NAMES]))
    .option('--subject <subject>', "operator subject: a room (refresh, history, online), date/filename (logs), a date (today), a userid (pageviews), '' (monitor)")
    .option('--ts <seconds>', 'operator (and strong sign) timestamp, Unix seconds (default now)')
    .option('--strong', 'strong connect/notify signs: HMAC-SHA256 with ts and nonce (env IM_STRONG=1)')
    .option('--no-strong', 'legacy md5 signs even if IM_STRONG or the config file asks for strong ones')
    .option('--user <name>', 'connect: the username (and userid, if not --userid) of the query')
    .option('--userid <id>', 'connect: the userid a strong sign covers (default as tail: --user, else im-debug)')
    .option('--nonce <nonce>', 'strong sign nonce (default: a fresh random one; each is accepted once)')
    .option('--json', 'print JSON')
    .addHelpText('after', SIGN_HELP)
    .action((flags: SignFlags) => done(runSign(flags, io)));

  program
    .command('open')
    .description('print and open the ready, signed link to /debug or /monitor')
    .argument('<page>', 'debug or monitor')
    .option('--room <room>', 'debug: the room to read (default console-log); monitor: pre-fill the room filter')
    .option('--source <name>', 'source (env IM_SOURCE, default remote_debug)')
    .option('--server <url>', 'server URL (env IM_SERVER, default http://127.0.0.1:4000)')
    .option('--sign-key <key>', 'sign key of the source (env IM_SIGN_KEY; the demo key for a local server)')
    .option('--config <file>', 'settings file (env IM_DEBUG_CONFIG, default ~/.config/im-debug.json)')
    .option('--strong', 'debug: a strong connect sign (single use) for sources with signing "strong" (env IM_STRONG=1)')
    .option('--no-strong', 'debug: the md5 connect sign even if IM_STRONG or the config file asks for strong ones')
    .option('--user <name>', 'debug with --strong: the username (and userid, if not --userid)')
    .option('--userid <id>', 'debug with --strong: the userid the sign covers (default as tail)')
    .option('--ts <seconds>', 'sign for this Unix time instead of now')
    .option('--window <seconds>', "the server's signatureWindowSeconds, for the expiry shown (default 300)")
    .option('--print', 'print the link only; do not open a browser')
    .option('--json', 'print the link and its notes as JSON')
    .addHelpText('after', OPEN_HELP)
    .action(async (page: string, flags: OpenFlags) => done(await (await import('./commands/open')).runOpen(page, flags, io)));

  program.addHelpText('after', PROGRAM_HELP);
  return program;
}

/**
 * Runs the CLI. Commands that finish (tail, send, sign) end the process with their exit code;
 * `serve` keeps running. Bad input is one line on stderr and exit status 2.
 */
export async function main(argv: string[] = process.argv, io: CliIo = processIo()): Promise<void> {
  const exit = (code: number) => process.exit(code);
  try {
    await buildProgram(io, exit).parseAsync(argv);
  } catch (err) {
    if (err instanceof ImError) {
      io.stderr.write(`im-debug: ${err.message}\n`);
      exit(2);
    }
    throw err;
  }
}
