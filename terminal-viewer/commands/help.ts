/**
 * The long help of each im-debug command (printed after its options by `--help`) and of the
 * program. Static text only, so `--help` loads no command.
 */
import { OPERATOR_ACTIONS, OPERATOR_ACTION_NAMES } from '../../packages/protocol';
import { KEY_HELP } from '../state/keys';

export const TAIL_HELP = `
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

export const SEND_HELP = `
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

export const MCP_HELP = `
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

export const SIGN_HELP = `
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

export const OPEN_HELP = `
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

export const SERVE_HELP = `Usage: im-debug serve [options]

Starts the relay server exactly as \`npm start -- [options]\` does; every option is passed on.

Examples:
  $ im-debug serve                         # demo configuration on port 4000 (loud warning)
  $ im-debug serve --port 4100
  $ im-debug serve --config /etc/node-socket-im.json

The server's own options:
`;

export const PROGRAM_HELP = `
Examples:
  $ im-debug serve                          # a local server with the demo keys
  $ im-debug tail --room console-log        # its remote-debug console, live
  $ im-debug mcp --room console-log         # the same for a coding agent (MCP on stdio)
  $ im-debug send --room console-log --level error --data 'boom'
  $ im-debug sign --rooms console-log
  $ im-debug open debug                     # the /debug page of the local server, signed, in the browser
  $ im-debug open monitor --source demo     # its live presence monitor
Run im-debug <command> --help for each command's options and examples.`;
