import { cliVersion as version } from './version';
import { Command, Option } from 'commander';
import { ImError, LOG_LEVELS, OPERATOR_ACTIONS, OPERATOR_ACTION_NAMES } from '../packages/protocol';
import { processIo, type CliIo } from './commands/io';
import type { McpFlags } from './commands/mcp';
import type { SendFlags } from './commands/send';
import type { OpenFlags } from './commands/open';
import { runSign, type SignFlags } from './commands/sign';
import type { TailFlags } from './commands/tail';
import { KEY_HELP } from './state/keys';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const TAIL_HELP = `
Connects to the server as a normal signed client and shows every message of the rooms:
remote-debug log entries coloured by level, anything else (a notify string, a chat
object) as a plain row. On a terminal it is an interactive viewer; piped, it writes one
line per entry (--json: one NDJSON object per entry, the message as received).

Sign: --sign, --sign-key, env IM_SIGN / IM_SIGN_KEY, the config file (~/.config/im-debug.json,
{"server": URL, "source": NAME, "keys": {"<source>": "<key>"}}), or, only for a server on
this machine, the public demo key of the source (the CLI says so when it uses it).
--strong (env IM_STRONG=1, config "strong": true) signs with HMAC-SHA256, ts and nonce, as
sources with signing "strong" require: a fresh sign for every connection attempt, sent in
Socket.IO's auth, so reconnects are not refused as replays. It needs the key (not --sign).
Env: IM_SERVER, IM_SOURCE, IM_SIGN, IM_SIGN_KEY, IM_STRONG, IM_DEBUG_CONFIG.

Keys (interactive):
${KEY_HELP.map(([k, v]) => `  ${k.padEnd(15)} ${v}`).join('\n')}

Examples:
  $ im-debug tail --room console-log                      # local demo server, demo key
  $ im-debug tail --room console-log --level warn --grep 'timeout|refused'
  $ im-debug tail --room a --room b --server https://im.example.com --sign-key "$KEY"
  $ im-debug tail --room orders --source shop --sign-key "$KEY" --strong --userid ops-1
  $ im-debug tail --room console-log --tail 100 --no-follow > last-100.log
  $ im-debug tail --room console-log --since 5m --json | jq -r 'select(.data.level=="error") | .data.args'
`;

const SEND_HELP = `
Pushes one message with a signed POST /api/notify (sign = md5(source + room_id + data + key),
or with --strong / IM_STRONG=1 HMAC-SHA256 with a fresh ts and nonce) and prints the server's
answer. Exit status 0 when accepted, 1 otherwise (the server's
message is printed on stderr).

Examples:
  $ im-debug send --room monitor_room --source demo --data hello
  $ im-debug send --room r1,r2 --source demo --data '{"type":"order","id":42}' --filename orders.log
  $ im-debug send --room console-log --level warn --data 'disk almost full'   # as a log entry
  $ echo 'from a pipe' | im-debug send --room monitor_room --source demo --data -
  $ im-debug send --room orders --source shop --sign-key "$KEY" --strong --data '{"id":42}'
`;

const MCP_HELP = `
A Model Context Protocol server on stdio for coding agents: it connects to the rooms once (the
same connection, sign and config options as tail), keeps the newest --buffer entries (history
first, then live) and offers the tools recent_logs, list_sessions, wait_for_log and get_entry.
stdout carries only MCP messages; status lines go to stderr. Entries are page data: the tools
tell the agent they are untrusted. A lost relay connection is retried; the next tool result
says so (notices) and what was caught up from history.

Options, with an example each:
  --room console-log                 room(s) to read (repeat or a,b)
  --server http://127.0.0.1:4000     the relay (env IM_SERVER); the demo key only for this machine
  --source remote_debug              the rooms' source (env IM_SOURCE)
  --sign-key "$KEY"                  the source's sign key (env IM_SIGN_KEY, config keys.<source>)
  --sign 5b092ffd2f7bcd3eddc9a7655600a998   a ready-made connect sign instead (env IM_SIGN)
  --strong                           strong signs, made afresh for every (re)connect (env IM_STRONG=1)
  --config ~/.config/im-debug.json   settings file (env IM_DEBUG_CONFIG)
  --no-strong                        legacy md5 signs even if IM_STRONG=1 or the config file says strong
  --user agent-1                     userid/username to connect as (default im-debug)
  --userid 1305                      userid to connect as, if not --user (a strong sign covers it)
  --buffer 20000                     entries kept (default 5000, at most 50000; oldest go first)
  --tail 200                         history read per room on connect (default min(buffer, 500))
  --since 30m                        history since a time instead: 30s, 5m, 2h, 1d or an ISO time
  --progress-every 5                 seconds between wait_for_log progress notifications (default 10)
  --quiet                            no status lines on stderr

Agent configuration (an "mcpServers" entry; Claude Code: claude mcp add im-debug -- npx im-debug mcp --room console-log):
  {"mcpServers": {"im-debug": {"command": "npx",
    "args": ["im-debug", "mcp", "--server", "http://127.0.0.1:4000", "--room", "console-log"]}}}

Examples:
  $ im-debug mcp --room console-log                                  # local demo server, demo key
  $ im-debug mcp --room console-log --server https://im.example.com --sign-key "$KEY"
  $ im-debug mcp --room kiosk-3 --source shop --sign-key "$KEY" --strong --buffer 20000
  $ im-debug mcp --room a,b --since 1h --progress-every 5 --quiet
`;

const SIGN_HELP = `
Prints the contract's signs for the given values; nothing is sent anywhere.
  connect sign   md5(source + room_ids + key)            (--rooms, exactly as the page sends them)
  notify sign    md5(source + room_id + data + key)      (--room and --data)
  operator sign  HMAC-SHA256(key, action\\nsource\\nsubject\\nts)  (--action, --subject, --ts)
With --strong (IM_STRONG=1) the connect and notify signs are the strong ones (SECURITY.md):
  connect        HMAC-SHA256(key, im-v2\\nconnect\\nsource\\nroom_ids\\nuserid\\nts\\nnonce)
                 (userid: --userid, the config's userid, --user or im-debug, as tail connects)
  notify         HMAC-SHA256(key, im-v2\\nnotify\\nsource\\nroom_id\\nsha256_hex(data)\\nts\\nnonce)
  sent as sign_type=hmac-sha256, ts, nonce and sign; each is accepted once, near its ts.

Operator actions (--action; the sign also goes in X-Im-Sign and X-Im-Ts headers, or ?ts=&sign=):
${OPERATOR_ACTION_NAMES.map((name) => {
  const a = OPERATOR_ACTIONS[name];
  const routes = a.routes.map((r) => `${r.method} ${r.path}`).join(', ');
  return `  ${name.padEnd(10)} ${a.allows}\n  ${''.padEnd(10)} subject: ${a.subject}; ${routes}`;
}).join('\n')}

Examples:
  $ im-debug sign --rooms console-log                     # 5b092ffd2f7bcd3eddc9a7655600a998 with the demo key
  $ im-debug sign --source demo --room monitor_room --data hello
${OPERATOR_ACTION_NAMES.map((name) => {
  const a = OPERATOR_ACTIONS[name];
  const subject = a.exampleSubject === '' ? '' : ` --subject ${a.exampleSubject}`;
  return `  $ im-debug sign --source shop --sign-key "$KEY" --action ${name}${subject}`;
}).join('\n')}
  $ im-debug sign --source demo --action monitor --json  # the demo key, for a local server
  $ im-debug sign --source shop --sign-key "$KEY" --strong --rooms lobby,user-1305 --userid 1305 --json
  $ im-debug sign --source shop --sign-key "$KEY" --strong --room lobby --data hello
`;

const OPEN_HELP = `
Makes the ready link to a page of the server, signed with the key im-debug knows (--sign-key,
env IM_SIGN_KEY, the config file, or the public demo key for a server on this machine, as
tail finds it), prints it and opens the system browser ($BROWSER, xdg-open, open, start)
unless --print or there is none. The sign sits in the URL fragment (#…), which browsers never
send to a server; the pages pass it on in Socket.IO's auth (/debug) or in headers (/monitor).

  debug     /debug for one room (--room, default console-log; --source, default remote_debug):
            the md5 connect sign, which does not expire; with --strong a strong connect sign,
            accepted once: a reload is refused as a replay, so run open again for a new link
  monitor   /monitor (live presence of --source): an operator sign for "monitor", valid for
            the server's signature window around its ts (300 s by default; --window to say
            otherwise); reloads work until then, the page says when the link expired.
            --room pre-fills its room filter.

Examples:
  $ im-debug open debug                                   # local demo server: remote_debug / console-log
  $ im-debug open debug --room checkout --print           # print the link only
  $ im-debug open monitor --source demo
  $ im-debug open monitor --source shop --server https://im.example.com --sign-key "$KEY"
  $ im-debug open debug --source shop --room orders --sign-key "$KEY" --strong
  $ im-debug open monitor --source demo --ts 1795670830 --print   # a link signed for another moment
`;

const SERVE_HELP = `Usage: im-debug serve [options]

Starts the relay server exactly as \`npm start -- [options]\` does; every option is passed on.

Examples:
  $ im-debug serve                         # demo configuration on port 4000 (loud warning)
  $ im-debug serve --port 4100
  $ im-debug serve --config /etc/node-socket-im.json

The server's own options:
`;

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

  program.addHelpText(
    'after',
    `
Examples:
  $ im-debug serve                          # a local server with the demo keys
  $ im-debug tail --room console-log        # its remote-debug console, live
  $ im-debug mcp --room console-log         # the same for a coding agent (MCP on stdio)
  $ im-debug send --room console-log --level error --data 'boom'
  $ im-debug sign --rooms console-log
  $ im-debug open debug                     # the /debug page of the local server, signed, in the browser
  $ im-debug open monitor --source demo     # its live presence monitor
Run im-debug <command> --help for each command's options and examples.`,
  );
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
