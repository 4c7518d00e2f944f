import { ImError } from '../../packages/protocol';
import { legacyConnectSign, legacyNotifySign, operatorSign } from '../../packages/signing';
import { DEFAULT_SOURCE, resolveCredential } from '../options/credentials';
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
  json?: boolean;
}

export const OPERATOR_ACTIONS = ['refresh', 'logs', 'history'] as const;

export interface SignReport {
  source: string;
  keyFrom: string;
  connect?: { room_ids: string; sign: string; query: string };
  notify?: { room_id: string; data: string; sign: string; body: string };
  operator?: { action: string; subject: string; ts: string; sign: string; query: string };
}

function operatorQuery(action: string, source: string, subject: string, ts: string, sign: string): string {
  const q = new URLSearchParams({ source });
  if (action === 'logs') {
    const [date = '', ...rest] = subject.split('/');
    q.set('filename', rest.join('/'));
    q.set('date', date);
  } else q.set('room_id', subject);
  q.set('ts', ts);
  q.set('sign', sign);
  return q.toString();
}

/** The signs of the contract for the given values (no server is contacted). */
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
  const report: SignReport = { source, keyFrom: credential.origin === 'demo' ? 'the public demo key' : credential.origin === 'flag' ? '--sign-key' : credential.origin === 'env' ? 'IM_SIGN_KEY' : 'the config file' };
  if (flags.rooms !== undefined) {
    const sign = legacyConnectSign(source, flags.rooms, key);
    const query = new URLSearchParams({ userid: '1', username: 'me', source, room_ids: flags.rooms, sign }).toString();
    report.connect = { room_ids: flags.rooms, sign, query };
  }
  if (flags.room !== undefined && flags.data !== undefined) {
    const sign = legacyNotifySign(source, flags.room, flags.data, key);
    report.notify = { room_id: flags.room, data: flags.data, sign, body: new URLSearchParams({ source, room_id: flags.room, data: flags.data, sign }).toString() };
  }
  if (flags.action !== undefined) {
    if (!(OPERATOR_ACTIONS as readonly string[]).includes(flags.action)) {
      throw new ImError('INVALID_PARAMETER', `--action must be one of ${OPERATOR_ACTIONS.join(', ')}`);
    }
    const subject = flags.subject ?? flags.room ?? flags.rooms ?? '';
    const ts = flags.ts ?? String(Math.floor(now / 1000));
    if (!/^\d+$/.test(ts)) throw new ImError('INVALID_PARAMETER', '--ts is Unix time in seconds');
    const sign = operatorSign(key, flags.action, source, subject, ts);
    report.operator = { action: flags.action, subject, ts, sign, query: operatorQuery(flags.action, source, subject, ts, sign) };
  }
  return report;
}

export function formatSignReport(r: SignReport): string {
  const rows: Array<[string, string]> = [['source', `${r.source} (key: ${r.keyFrom})`]];
  if (r.connect) {
    rows.push(['connect sign', `${r.connect.sign}  = md5(source + room_ids + key), room_ids ${JSON.stringify(r.connect.room_ids)}`]);
    rows.push(['connect query', `?${r.connect.query}`]);
  }
  if (r.notify) {
    rows.push(['notify sign', `${r.notify.sign}  = md5(source + room_id + data + key), room_id ${JSON.stringify(r.notify.room_id)}, data ${JSON.stringify(r.notify.data)}`]);
    rows.push(['notify body', r.notify.body]);
  }
  if (r.operator) {
    const input = JSON.stringify(`${r.operator.action}\n${r.source}\n${r.operator.subject}\n${r.operator.ts}`);
    rows.push(['operator sign', `${r.operator.sign}  = HMAC-SHA256(key, ${input})`]);
    rows.push(['operator query', `?${r.operator.query}`]);
  }
  return rows.map(([k, v]) => `${k.padEnd(15)}${v}`).join('\n') + '\n';
}

export function runSign(flags: SignFlags, io: CliIo): number {
  const report = computeSigns(flags, io);
  io.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : formatSignReport(report));
  return 0;
}
