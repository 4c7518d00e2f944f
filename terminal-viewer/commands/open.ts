import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { ImError, OPERATOR_ACTIONS, ROOM_ID_PATTERN } from '../../packages/protocol';
import { legacyConnectSign, operatorSign, signRequest, TS_PATTERN } from '../../packages/signing';
import { DEFAULT_SERVER, DEFAULT_SOURCE, parseServerUrl, resolveCredential } from '../options/credentials';
import { resolveIdentity, resolveScheme } from '../options/signing';
import { loadViewerConfig } from '../options/viewer-config';
import type { CliIo } from './io';

export const OPEN_PAGES = ['debug', 'monitor'] as const;
export type OpenPage = (typeof OPEN_PAGES)[number];

/** The server's default `signatureWindowSeconds`; the server's own setting decides. */
export const DEFAULT_SIGNATURE_WINDOW = 300;
const DEFAULT_DEBUG_ROOM = 'console-log';

export interface OpenFlags {
  server?: string;
  source?: string;
  room?: string;
  signKey?: string;
  config?: string;
  /** true with --strong (a single-use strong connect sign for /debug), false with --no-strong. */
  strong?: boolean;
  user?: string;
  userid?: string;
  /** Unix seconds the sign is made for (default now): a link for another moment. */
  ts?: string;
  /** Seconds the server accepts an operator sign around its ts (default 300, as the server). */
  window?: string;
  print?: boolean;
  json?: boolean;
}

export interface OpenLink {
  page: OpenPage;
  url: string;
  source: string;
  room?: string;
  /** When a new stream (/monitor) or the first connect (strong /debug) stops being accepted, ms. */
  expiresAt?: number;
  /** True when the link works once (a strong connect sign: reloads are refused as replays). */
  singleUse: boolean;
  /** What to tell the user about the link (stderr lines). */
  notes: string[];
}

function unixSeconds(flag: string | undefined, now: number): string {
  const ts = flag ?? String(Math.floor(now / 1000));
  if (!TS_PATTERN.test(ts)) throw new ImError('INVALID_PARAMETER', '--ts is Unix time in seconds');
  return ts;
}

function windowSeconds(flag: string | undefined): number {
  if (flag === undefined) return DEFAULT_SIGNATURE_WINDOW;
  const n = Number(flag);
  if (!Number.isSafeInteger(n) || n < 1) throw new ImError('INVALID_PARAMETER', '--window is a whole number of seconds ≥ 1');
  return n;
}

const clock = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** The command that makes a new link like this one, for the notes. */
function againCommand(page: OpenPage, server: string, source: string, room: string | undefined, strong: boolean): string {
  const parts = ['im-debug open', page];
  if (source !== DEFAULT_SOURCE) parts.push('--source', source);
  if (room !== undefined && !(page === 'debug' && room === DEFAULT_DEBUG_ROOM)) parts.push('--room', room);
  if (server !== DEFAULT_SERVER) parts.push('--server', server);
  if (strong) parts.push('--strong');
  return parts.join(' ');
}

/**
 * The ready link to /debug or /monitor, signed with the key im-debug knows (as `tail` finds
 * it). Every credential sits in the fragment, which the browser never sends to the server;
 * the pages send it on in Socket.IO's auth (/debug) or in headers (/monitor).
 */
export function buildOpenLink(pageArg: string | undefined, flags: OpenFlags, io: CliIo, now: number = Date.now()): OpenLink {
  if (!(OPEN_PAGES as readonly string[]).includes(pageArg ?? '')) {
    throw new ImError('INVALID_PARAMETER', `say which page to open: im-debug open debug|monitor (got ${JSON.stringify(pageArg ?? '')})`);
  }
  const page = pageArg as OpenPage;
  const { config } = loadViewerConfig(flags.config, io.env);
  const server = parseServerUrl(flags.server ?? io.env.IM_SERVER ?? config.server ?? DEFAULT_SERVER);
  const source = flags.source ?? io.env.IM_SOURCE ?? config.source ?? DEFAULT_SOURCE;
  const notes: string[] = [];
  const credential = resolveCredential({ server, source, signKey: flags.signKey, env: io.env, config, onDemoKey: (text) => notes.push(text) });
  if (credential.kind !== 'key') throw new ImError('SIGN_REQUIRED', 'im-debug open makes the sign itself: give the key (--sign-key KEY or IM_SIGN_KEY)');
  const key = credential.key;
  const fragment = new URLSearchParams({ source });

  if (page === 'monitor') {
    if (flags.strong) throw new ImError('INVALID_PARAMETER', '--strong is for /debug: the monitor link holds an operator sign (HMAC-SHA256 with ts), which is never single-use');
    const ts = unixSeconds(flags.ts, now);
    const window = windowSeconds(flags.window);
    fragment.set('ts', ts);
    fragment.set('sign', operatorSign(key, OPERATOR_ACTIONS.monitor.name, source, '', ts));
    if (flags.room !== undefined && flags.room !== '') fragment.set('room', flags.room);
    const expiresAt = (Number(ts) + window) * 1000;
    const again = againCommand(page, server, source, flags.room, false);
    notes.push(
      expiresAt > now
        ? `link valid until ${clock(expiresAt)} (ts ± ${window} s, the server's signatureWindowSeconds${flags.window ? '' : ' by default'}): ` +
            `reloading the page works until then; after it the page says the link expired (an open stream stays open). New link: ${again}`
        : `this link expired at ${clock(expiresAt)} (ts ${ts} is more than ${window} s ago): the page will say so. New link: ${again}`,
    );
    notes.push('the sign is in the fragment (#…), which the browser never sends; the page sends it in the X-Im-Sign and X-Im-Ts headers');
    return { page, url: `${server}/monitor#${fragment.toString()}`, source, room: flags.room, expiresAt, singleUse: false, notes };
  }

  const room = flags.room ?? DEFAULT_DEBUG_ROOM;
  if (room === '' || room.includes(',') || !ROOM_ID_PATTERN.test(room)) {
    throw new ImError('INVALID_ROOM', `--room must be one room id (the /debug page reads one room), got ${JSON.stringify(room)}`);
  }
  fragment.set('room', room);
  const strong = resolveScheme(flags.strong, io.env, config).scheme === 'strong';
  const again = againCommand(page, server, source, room, strong);
  let expiresAt: number | undefined;
  if (strong) {
    const { userid, username } = resolveIdentity(flags, config);
    const ts = unixSeconds(flags.ts, now);
    const f = signRequest({ kind: 'connect', scheme: 'strong', source, roomIds: room, userid, signKey: key, ts: Number(ts) });
    fragment.set('userid', userid);
    fragment.set('username', username);
    for (const k of ['sign_type', 'ts', 'nonce', 'sign'] as const) fragment.set(k, f[k]!);
    expiresAt = (Number(ts) + windowSeconds(flags.window)) * 1000;
    notes.push(
      `single use: this link holds a strong connect sign, accepted once, before ${clock(expiresAt)}. ` +
        'Reloading the page (or a reconnect after the connection drops) is refused as a replay (REPLAYED_SIGN) and the page says so. ' +
        `New link: ${again}`,
    );
  } else {
    fragment.set('sign', legacyConnectSign(source, room, key));
    notes.push(`the md5 connect sign does not expire: anyone with this link can read room ${room} of ${source}; reloading it always works`);
  }
  notes.push('the sign is in the fragment (#…), which the browser never sends; the page sends it in Socket.IO\'s auth');
  return { page, url: `${server}/debug#${fragment.toString()}`, source, room, expiresAt, singleUse: strong, notes };
}

/** Finds a program on PATH (no shell involved). */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The system's way to open a URL: $BROWSER, else open (macOS), rundll32 (Windows) or xdg-open. */
export function browserCommand(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): { file: string; args: string[]; name: string } | undefined {
  const browser = env.BROWSER?.trim();
  if (browser) return { file: browser, args: [], name: browser };
  if (platform === 'darwin') return { file: 'open', args: [], name: 'open' };
  // rundll32 takes the URL as one argument; `start` would go through cmd.exe and split it at '&'.
  if (platform === 'win32') return { file: 'rundll32', args: ['url.dll,FileProtocolHandler'], name: 'start' };
  const xdg = onPath('xdg-open', env);
  return xdg ? { file: xdg, args: [], name: 'xdg-open' } : undefined;
}

/** Starts the browser and leaves it running; resolves with an error text when it could not start. */
function launch(cmd: { file: string; args: string[] }, url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd.file, [...cmd.args, url], { detached: true, stdio: 'ignore' });
      child.once('error', (err) => resolve(err.message));
      child.once('spawn', () => {
        child.unref();
        resolve(undefined);
      });
    } catch (err) {
      resolve((err as Error).message);
    }
  });
}

/**
 * `im-debug open debug|monitor`: prints the ready link on stdout (notes on stderr) and opens
 * it in the system browser unless --print or there is none. Exit 0 when the link was made.
 */
export async function runOpen(page: string | undefined, flags: OpenFlags, io: CliIo): Promise<number> {
  const link = buildOpenLink(page, flags, io);
  if (flags.json) io.stdout.write(`${JSON.stringify(link)}\n`);
  else io.stdout.write(`${link.url}\n`);
  for (const note of link.notes) io.stderr.write(`im-debug: ${note}\n`);
  if (flags.print) return 0;
  const cmd = browserCommand(io.env);
  if (!cmd) {
    io.stderr.write('im-debug: no browser opener found (xdg-open, $BROWSER): open the link above yourself\n');
    return 0;
  }
  const failed = await launch(cmd, link.url);
  io.stderr.write(failed ? `im-debug: could not start ${cmd.name} (${failed}): open the link above yourself\n` : `im-debug: opened with ${cmd.name}\n`);
  return 0;
}
