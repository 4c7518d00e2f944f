import { ImError, OPERATOR_ACTIONS, OPERATOR_ACTION_NAMES, isOperatorAction } from '../../packages/protocol';
import {
  NONCE_PATTERN,
  TS_PATTERN,
  legacyConnectSign,
  legacyNotifySign,
  operatorSign,
  signRequest,
  strongConnectCanonical,
  strongNotifyCanonical,
} from '../../packages/signing';
import { DEFAULT_SOURCE, resolveCredential } from '../options/credentials';
import { resolveIdentity, resolveScheme, type ConnectAuthFields } from '../options/signing';
import { loadViewerConfig } from '../options/viewer-config';
import type { CliIo } from './io';

export interface SignFlags {
  source?: string;
  signKey?: string;
  config?: string;
  /** Connect sign: the room_ids exactly as the page sends them. */
  rooms?: string;
  /** Notify sign: room_id and data. */
  room?: string;
  data?: string;
  /** Operator sign: action, subject, ts. */
  action?: string;
  subject?: string;
  ts?: string;
  /** Strong signs (HMAC-SHA256 with ts and nonce) for connect and notify; false with --no-strong. */
  strong?: boolean;
  /** Strong sign nonce (default: a fresh random one). */
  nonce?: string;
  /** The user a connect query (and a strong connect sign) is for. */
  user?: string;
  userid?: string;
  json?: boolean;
}

/** Every action the server signs for, from the one list in packages/protocol. */
export { OPERATOR_ACTION_NAMES };

/** The extra fields of a strong sign (the legacy md5 report has none of them). */
export interface StrongParts {
  scheme: 'strong';
  sign_type: string;
  ts: string;
  nonce: string;
  /** The signed text, lines joined with "\n". */
  canonical: string;
}

type Legacy = { scheme?: undefined };

export interface SignReport {
  source: string;
  keyFrom: string;
  connect?: { room_ids: string; sign: string; query: string } & (Legacy | (StrongParts & { userid: string; auth: ConnectAuthFields }));
  notify?: { room_id: string; data: string; sign: string; body: string } & (Legacy | StrongParts);
  operator?: OperatorSignReport;
}

/** An operator sign as `im-debug sign --action … --json` prints it, with the request to make. */
export interface OperatorSignReport {
  action: string;
  subject: string;
  ts: string;
  sign: string;
  query: string;
  /** The request to make: the action's first route with the query (sign and ts in it, for older servers). */
  request: string;
  /** The same request with the sign in headers instead (what the pages do; stays out of URLs and logs). */
  headers: { request: string; 'X-Im-Sign': string; 'X-Im-Ts': string };
}

/** The query of an operator request: source, the subject's parameters (as the action's route reads them), ts and sign. */
export function operatorQuery(action: keyof typeof OPERATOR_ACTIONS, source: string, subject: string, cred?: { ts: string; sign: string }): string {
  const q = new URLSearchParams({ source, ...OPERATOR_ACTIONS[action].subjectParams(subject) });
  if (cred) {
    q.set('ts', cred.ts);
    q.set('sign', cred.sign);
  }
  return q.toString();
}

/** --ts for a strong sign: Unix seconds, default now (a strong sign is only accepted near its ts). */
function strongTimestamp(ts: string | undefined, now: number): string {
  const value = ts ?? String(Math.floor(now / 1000));
  if (!TS_PATTERN.test(value)) throw new ImError('INVALID_PARAMETER', '--ts is Unix time in seconds');
  return value;
}

function strongParts(f: Record<string, string>, canonical: string): StrongParts {
  return { scheme: 'strong', sign_type: f.sign_type!, ts: f.ts!, nonce: f.nonce!, canonical };
}

/** The signs of the contract (or, with --strong, the strong ones) for the given values (no server is contacted). */
export function computeSigns(flags: SignFlags, io: CliIo, now: number = Date.now()): SignReport {
  const { config } = loadViewerConfig(flags.config, io.env);
  const source = flags.source ?? io.env.IM_SOURCE ?? config.source ?? DEFAULT_SOURCE;
  if (flags.rooms === undefined && flags.room === undefined && flags.action === undefined) {
    throw new ImError('INVALID_PARAMETER', 'say what to sign: --rooms R1,R2 (connect), --room R --data D (notify) or --action ACTION --subject S (operator)');
  }
  if ((flags.room === undefined) !== (flags.data === undefined) && flags.action === undefined) {
    throw new ImError('INVALID_PARAMETER', 'a notify sign needs both --room and --data');
  }
  // Signing sends nothing anywhere, so the demo key is fine here (the note says it is used).
  const credential = resolveCredential({ server: 'http://127.0.0.1', source, signKey: flags.signKey, env: io.env, config });
  if (credential.kind !== 'key') throw new ImError('SIGN_REQUIRED', 'signing needs a key (--sign-key KEY or IM_SIGN_KEY)');
  const key = credential.key;
  const strong = resolveScheme(flags.strong, io.env, config).scheme === 'strong';
  const strongTs = strong ? strongTimestamp(flags.ts, now) : '';
  if (flags.nonce !== undefined) {
    if (!strong) throw new ImError('INVALID_PARAMETER', '--nonce is part of a strong sign: add --strong');
    if (!NONCE_PATTERN.test(flags.nonce)) throw new ImError('INVALID_PARAMETER', '--nonce must be 8 to 64 characters of A-Z a-z 0-9 _ -');
    // The server remembers nonces per source, whatever the kind: one nonce, one sign.
    if (flags.rooms !== undefined && flags.room !== undefined) {
      throw new ImError('INVALID_PARAMETER', '--nonce makes one sign: a nonce is accepted once per source, so sign the connect and the notify separately');
    }
  }
  const report: SignReport = { source, keyFrom: credential.origin === 'demo' ? 'the public demo key' : credential.origin === 'flag' ? '--sign-key' : credential.origin === 'env' ? 'IM_SIGN_KEY' : 'the config file' };
  if (flags.rooms !== undefined && strong) {
    const { userid, username } = resolveIdentity(flags, config);
    const f = signRequest({ kind: 'connect', scheme: 'strong', source, roomIds: flags.rooms, userid, signKey: key, ts: Number(strongTs), nonce: flags.nonce });
    const parts = strongParts(f, strongConnectCanonical({ source, roomIds: flags.rooms, userid, ts: f.ts!, nonce: f.nonce! }));
    const query = new URLSearchParams({ userid, username, ...f }).toString();
    const auth = { sign: f.sign!, sign_type: f.sign_type!, ts: f.ts!, nonce: f.nonce! };
    report.connect = { room_ids: flags.rooms, userid, sign: f.sign!, ...parts, query, auth };
  } else if (flags.rooms !== undefined) {
    const sign = legacyConnectSign(source, flags.rooms, key);
    const query = new URLSearchParams({ userid: flags.userid ?? flags.user ?? '1', username: flags.user ?? 'me', source, room_ids: flags.rooms, sign }).toString();
    report.connect = { room_ids: flags.rooms, sign, query };
  }
  if (flags.room !== undefined && flags.data !== undefined && strong) {
    const f = signRequest({ kind: 'notify', scheme: 'strong', source, roomId: flags.room, data: flags.data, signKey: key, ts: Number(strongTs), nonce: flags.nonce });
    const parts = strongParts(f, strongNotifyCanonical({ source, roomId: flags.room, data: flags.data, ts: f.ts!, nonce: f.nonce! }));
    report.notify = { room_id: flags.room, data: flags.data, sign: f.sign!, ...parts, body: new URLSearchParams(f).toString() };
  } else if (flags.room !== undefined && flags.data !== undefined) {
    const sign = legacyNotifySign(source, flags.room, flags.data, key);
    report.notify = { room_id: flags.room, data: flags.data, sign, body: new URLSearchParams({ source, room_id: flags.room, data: flags.data, sign }).toString() };
  }
  if (flags.action !== undefined) {
    const action = flags.action;
    if (!isOperatorAction(action)) {
      throw new ImError('INVALID_PARAMETER', `--action must be one of ${OPERATOR_ACTION_NAMES.join(', ')}`);
    }
    const subject = flags.subject ?? flags.room ?? flags.rooms ?? '';
    const ts = flags.ts ?? String(Math.floor(now / 1000));
    if (!/^\d+$/.test(ts)) throw new ImError('INVALID_PARAMETER', '--ts is Unix time in seconds');
    const sign = operatorSign(key, action, source, subject, ts);
    const route = OPERATOR_ACTIONS[action].routes[0];
    const query = operatorQuery(action, source, subject, { ts, sign });
    report.operator = {
      action,
      subject,
      ts,
      sign,
      query,
      request: `${route.method} ${route.path}?${query}`,
      headers: { request: `${route.method} ${route.path}?${operatorQuery(action, source, subject)}`, 'X-Im-Sign': sign, 'X-Im-Ts': ts },
    };
  }
  return report;
}

export function formatSignReport(r: SignReport): string {
  const rows: Array<[string, string]> = [['source', `${r.source} (key: ${r.keyFrom})`]];
  if (r.connect?.scheme === 'strong') {
    const c = r.connect;
    rows.push(['connect sign', `${c.sign}  = HMAC-SHA256(key, ${JSON.stringify(c.canonical)})`]);
    rows.push(['connect fields', `sign_type=${c.sign_type} ts=${c.ts} nonce=${c.nonce} (userid ${JSON.stringify(c.userid)}, room_ids ${JSON.stringify(c.room_ids)})`]);
    rows.push(['connect query', `?${c.query}`]);
    rows.push(['connect auth', `${JSON.stringify(c.auth)}  (Socket.IO auth: these fields win over the query's)`]);
  } else if (r.connect) {
    rows.push(['connect sign', `${r.connect.sign}  = md5(source + room_ids + key), room_ids ${JSON.stringify(r.connect.room_ids)}`]);
    rows.push(['connect query', `?${r.connect.query}`]);
  }
  if (r.notify?.scheme === 'strong') {
    const n = r.notify;
    rows.push(['notify sign', `${n.sign}  = HMAC-SHA256(key, ${JSON.stringify(n.canonical)}), data ${JSON.stringify(n.data)}`]);
    rows.push(['notify fields', `sign_type=${n.sign_type} ts=${n.ts} nonce=${n.nonce}`]);
    rows.push(['notify body', n.body]);
  } else if (r.notify) {
    rows.push(['notify sign', `${r.notify.sign}  = md5(source + room_id + data + key), room_id ${JSON.stringify(r.notify.room_id)}, data ${JSON.stringify(r.notify.data)}`]);
    rows.push(['notify body', r.notify.body]);
  }
  if (r.operator) {
    const input = JSON.stringify(`${r.operator.action}\n${r.source}\n${r.operator.subject}\n${r.operator.ts}`);
    rows.push(['operator sign', `${r.operator.sign}  = HMAC-SHA256(key, ${input})`]);
    rows.push(['operator query', `?${r.operator.query}`]);
    rows.push(['request', r.operator.request]);
    rows.push(['or headers', `${r.operator.headers.request}  with  X-Im-Sign: ${r.operator.sign}  X-Im-Ts: ${r.operator.ts}  (keeps the sign out of URLs and logs)`]);
  }
  if (r.connect?.scheme === 'strong' || r.notify?.scheme === 'strong') {
    rows.push(['note', "a strong sign is accepted once, within the server's window around ts (default ±300 s): sign again for the next request"]);
  }
  return rows.map(([k, v]) => `${k.padEnd(15)}${v}`).join('\n') + '\n';
}

export function runSign(flags: SignFlags, io: CliIo): number {
  const report = computeSigns(flags, io);
  io.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : formatSignReport(report));
  return 0;
}
