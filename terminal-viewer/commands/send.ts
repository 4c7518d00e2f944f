import { ImError, LEGACY_MESSAGES } from '../../packages/protocol';
import { legacyNotifySign, signRequest } from '../../packages/signing';
import { DEFAULT_SERVER, DEFAULT_SOURCE, parseServerUrl, resolveCredential } from '../options/credentials';
import { refuseReadyMadeSign, resolveScheme, schemeHint } from '../options/signing';
import { loadViewerConfig } from '../options/viewer-config';
import { parseLevel } from '../state/filters';
import { parseRooms } from './tail';
import type { CliIo } from './io';

export interface SendFlags {
  room?: string[];
  data?: string;
  filename?: string;
  server?: string;
  source?: string;
  sign?: string;
  signKey?: string;
  config?: string;
  /** true with --strong (HMAC-SHA256 with ts and nonce), false with --no-strong. */
  strong?: boolean;
  /** Wrap the data in a remote-debug log entry of this level. */
  level?: string;
  session?: string;
}

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** A log entry as a back end would push it: JSON text that viewers recognize (packages/protocol/log-entry.ts). */
export function logEntryText(level: string, text: string, session: string, now: number): string {
  const lvl = parseLevel(level);
  return JSON.stringify({ kind: 'log', v: 1, level: lvl, method: lvl, args: [text], ts: now, seq: 1, session, origin: 'cli' });
}

/**
 * `im-debug send`: a signed POST /api/notify (legacy md5, or with --strong HMAC-SHA256 with a
 * fresh ts and nonce). Prints the server's answer; exit 0 when the message was accepted, 1
 * otherwise (with the server's message on stderr).
 */
export async function runSend(flags: SendFlags, io: CliIo): Promise<number> {
  const { config } = loadViewerConfig(flags.config, io.env);
  const server = parseServerUrl(flags.server ?? io.env.IM_SERVER ?? config.server ?? DEFAULT_SERVER);
  const source = flags.source ?? io.env.IM_SOURCE ?? config.source ?? DEFAULT_SOURCE;
  const roomId = parseRooms(flags.room).join(',');
  if (flags.data === undefined) throw new ImError('DATA_REQUIRED', 'give --data TEXT (or --data - to read it from stdin)');
  let data = flags.data === '-' ? await readAll(io.stdin) : flags.data;
  if (flags.level !== undefined) data = logEntryText(flags.level, data, flags.session ?? 'im-debug-send', Date.now());
  if (data === '') throw new ImError('DATA_REQUIRED', LEGACY_MESSAGES.dataRequired);
  const choice = resolveScheme(flags.strong, io.env, config);
  if (choice.scheme === 'strong' && flags.sign) refuseReadyMadeSign(choice, 'notify');
  const credential = resolveCredential({
    server,
    source,
    sign: flags.sign,
    signKey: flags.signKey,
    env: io.env,
    config,
    onDemoKey: (text) => io.stderr.write(`im-debug: ${text}\n`),
  });
  const body = new URLSearchParams(
    credential.kind === 'sign'
      ? { source, room_id: roomId, data, sign: credential.sign }
      : choice.scheme === 'strong'
        ? signRequest({ kind: 'notify', scheme: 'strong', source, roomId, data, signKey: credential.key })
        : { source, room_id: roomId, data, sign: legacyNotifySign(source, roomId, data, credential.key) },
  );
  if (flags.filename !== undefined) body.set('filename', flags.filename);

  let res: Response;
  try {
    res = await fetch(`${server}/api/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    io.stderr.write(`im-debug send: cannot reach ${server}: ${cause?.code ?? cause?.message ?? (err as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  let answer: { code?: unknown; msg?: unknown; error?: unknown } | undefined;
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    answer = undefined;
  }
  if (res.ok && answer?.code === 1) {
    io.stdout.write(`${text.trim()}\n`);
    return 0;
  }
  const reason = answer && typeof answer.msg === 'string' ? `${answer.msg}${typeof answer.error === 'string' ? ` (${answer.error})` : ''}` : text.slice(0, 500);
  io.stderr.write(`im-debug send: HTTP ${res.status}: ${reason}\n`);
  const hint = answer && typeof answer.msg === 'string' ? schemeHint(answer.msg, choice.scheme) : '';
  if (hint) io.stderr.write(`im-debug send: ${hint}\n`);
  return 1;
}
