import { ImError, singleField } from '../../packages/protocol';
import {
  LEGACY_SIGN_TYPE,
  NONCE_PATTERN,
  STRONG_SIGN_TYPE,
  TS_PATTERN,
  legacyConnectSign,
  legacyNotifySign,
  signsEqual,
  strongConnectSign,
  strongBatchSign,
  strongNotifySign,
  type StrongBatchMessage,
} from '../../packages/signing';
import type { SourceConfig } from '../config';
import type { NonceStore } from './nonce-store';
import { signingModeFor } from '../config/security';

/** The sign-related fields of a request, each a single string ('' when absent). */
export interface SignFields {
  sign: string;
  signType: string;
  ts: string;
  nonce: string;
}

/** How a request was signed; a strong sign also names the nonce still to be claimed. */
export interface VerifiedSign {
  scheme: 'legacy' | 'strong';
  nonceKey?: string;
}

/** Reads the sign fields from merged request parameters (strings only: arrays are refused). */
export function signFields(params: Record<string, unknown>): SignFields {
  return {
    sign: singleField(params.sign, 'sign'),
    signType: singleField(params.sign_type, 'sign_type'),
    ts: singleField(params.ts, 'ts'),
    nonce: singleField(params.nonce, 'nonce'),
  };
}

/** What a sign covers. Data, not closures: a push checks one per message (bench/: push). */
type Signed =
  | { kind: 'connect'; roomIds: string; userid: string }
  | { kind: 'notify'; roomId: string; data: string }
  | { kind: 'batch'; messages: readonly StrongBatchMessage[] };

interface Check {
  source: string;
  cfg: SourceConfig;
  fields: SignFields;
  signed: Signed;
  /** The contract's message for a wrong sign. */
  failMessage: string;
}

function legacySign(c: Check): string {
  const s = c.signed;
  if (s.kind === 'connect') return legacyConnectSign(c.source, s.roomIds, c.cfg.signKey);
  if (s.kind === 'notify') return legacyNotifySign(c.source, s.roomId, s.data, c.cfg.signKey);
  return '';
}

function strongSign(c: Check, ts: string, nonce: string): string {
  const s = c.signed;
  const { source } = c;
  if (s.kind === 'connect') return strongConnectSign(c.cfg.signKey, { source, roomIds: s.roomIds, userid: s.userid, ts, nonce });
  if (s.kind === 'notify') return strongNotifySign(c.cfg.signKey, { source, roomId: s.roomId, data: s.data, ts, nonce });
  return strongBatchSign(c.cfg.signKey, { source, messages: s.messages, ts, nonce });
}

/** What checking a sign reads of the server (a ServerContext has it). */
export interface SignContext {
  config: { signatureWindowSeconds: number };
  now(): number;
  security: { nonces: Pick<NonceStore, 'claim'> };
}

function verify(ctx: SignContext, c: Check): VerifiedSign {
  const mode = signingModeFor(c.cfg.signing, c.signed.kind === 'connect' ? 'connect' : 'notify');
  const type = c.fields.signType.toLowerCase();
  if (type === '' || type === LEGACY_SIGN_TYPE) {
    if (mode === 'strong') {
      throw new ImError(
        'BAD_SIGN',
        `source ${c.source} requires strong signs: send sign_type=${STRONG_SIGN_TYPE} with ts and nonce (see SECURITY.md)`,
      );
    }
    if (!signsEqual(legacySign(c), c.fields.sign)) throw new ImError('BAD_SIGN', c.failMessage);
    return { scheme: 'legacy' };
  }
  if (type !== STRONG_SIGN_TYPE) {
    throw new ImError('INVALID_PARAMETER', `sign_type must be "${STRONG_SIGN_TYPE}" (or "${LEGACY_SIGN_TYPE}" / absent for the legacy sign)`);
  }
  if (mode === 'legacy') throw new ImError('BAD_SIGN', `source ${c.source} accepts only legacy md5 signs`);
  const { ts, nonce } = c.fields;
  if (!TS_PATTERN.test(ts)) {
    throw new ImError('INVALID_PARAMETER', `ts (Unix time in seconds) is required with sign_type=${STRONG_SIGN_TYPE}`);
  }
  if (!NONCE_PATTERN.test(nonce)) {
    throw new ImError('INVALID_PARAMETER', 'nonce (8 to 64 characters of A-Z a-z 0-9 _ -, new for every request) is required');
  }
  let expected: string;
  try {
    expected = strongSign(c, ts, nonce);
  } catch (err) {
    // A line break in a signed field would make the canonical string ambiguous.
    throw new ImError('INVALID_PARAMETER', (err as Error).message);
  }
  if (!signsEqual(expected, c.fields.sign)) throw new ImError('BAD_SIGN', c.failMessage);
  const window = ctx.config.signatureWindowSeconds;
  const skew = Math.abs(ctx.now() / 1000 - Number(ts));
  if (skew > window) {
    throw new ImError('STALE_TIMESTAMP', `ts is ${Math.round(skew)} s away from server time (window ${window} s): sign each request when it is sent`);
  }
  return { scheme: 'strong', nonceKey: `${c.source}:${nonce}` };
}

/** The connect sign: legacy md5(source + room_ids + key) or the strong one over source, rooms, userid. */
export function verifyConnectSign(
  ctx: SignContext,
  cfg: SourceConfig,
  source: string,
  roomIds: string,
  userid: string,
  fields: SignFields,
  failMessage: string,
): VerifiedSign {
  return verify(ctx, { source, cfg, fields, failMessage, signed: { kind: 'connect', roomIds, userid } });
}

/** The notify sign: legacy md5(source + room_id + data + key) or the strong one over source, rooms, sha256(data). */
export function verifyNotifySign(
  ctx: SignContext,
  cfg: SourceConfig,
  source: string,
  roomId: string,
  data: string,
  fields: SignFields,
  failMessage: string,
): VerifiedSign {
  return verify(ctx, { source, cfg, fields, failMessage, signed: { kind: 'notify', roomId, data } });
}

/**
 * One strong sign over a whole `POST /api/notify/batch` (packages/signing strongBatchCanonical).
 * There is no legacy form of it: md5 signs are made per message.
 */
export function verifyBatchSign(
  ctx: SignContext,
  cfg: SourceConfig,
  source: string,
  messages: readonly StrongBatchMessage[],
  fields: SignFields,
  failMessage: string,
): VerifiedSign {
  if (fields.signType.toLowerCase() !== STRONG_SIGN_TYPE) {
    throw new ImError(
      'INVALID_PARAMETER',
      `a batch signed as a whole needs sign_type=${STRONG_SIGN_TYPE} with ts and nonce (or leave the batch unsigned and sign each message)`,
    );
  }
  return verify(ctx, { source, cfg, fields, failMessage, signed: { kind: 'batch', messages } });
}

/** Records a strong sign's nonce; a second use within the window is REPLAYED_SIGN, on any instance with Redis. */
export async function claimNonce(ctx: SignContext, verified: VerifiedSign): Promise<void> {
  if (!verified.nonceKey) return;
  const ttlMs = (2 * ctx.config.signatureWindowSeconds + 1) * 1000;
  if (!(await ctx.security.nonces.claim(verified.nonceKey, ttlMs))) {
    throw new ImError('REPLAYED_SIGN', 'this sign was already used (nonce seen before): sign every request with a new nonce');
  }
}
