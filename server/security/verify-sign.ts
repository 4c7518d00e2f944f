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
import type { ServerContext } from '../context';
import { signingModeFor } from './security-config';

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

interface Check {
  kind: 'connect' | 'notify';
  source: string;
  cfg: SourceConfig;
  fields: SignFields;
  legacy: () => string;
  strong: (ts: string, nonce: string) => string;
  /** The contract's message for a wrong sign. */
  failMessage: string;
}

function verify(ctx: ServerContext, c: Check): VerifiedSign {
  const mode = signingModeFor(c.cfg.signing, c.kind);
  const type = c.fields.signType.toLowerCase();
  if (type === '' || type === LEGACY_SIGN_TYPE) {
    if (mode === 'strong') {
      throw new ImError(
        'BAD_SIGN',
        `source ${c.source} requires strong signs: send sign_type=${STRONG_SIGN_TYPE} with ts and nonce (see SECURITY.md)`,
      );
    }
    if (!signsEqual(c.legacy(), c.fields.sign)) throw new ImError('BAD_SIGN', c.failMessage);
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
    expected = c.strong(ts, nonce);
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
  ctx: ServerContext,
  cfg: SourceConfig,
  source: string,
  roomIds: string,
  userid: string,
  fields: SignFields,
  failMessage: string,
): VerifiedSign {
  return verify(ctx, {
    kind: 'connect',
    source,
    cfg,
    fields,
    failMessage,
    legacy: () => legacyConnectSign(source, roomIds, cfg.signKey),
    strong: (ts, nonce) => strongConnectSign(cfg.signKey, { source, roomIds, userid, ts, nonce }),
  });
}

/** The notify sign: legacy md5(source + room_id + data + key) or the strong one over source, rooms, sha256(data). */
export function verifyNotifySign(
  ctx: ServerContext,
  cfg: SourceConfig,
  source: string,
  roomId: string,
  data: string,
  fields: SignFields,
  failMessage: string,
): VerifiedSign {
  return verify(ctx, {
    kind: 'notify',
    source,
    cfg,
    fields,
    failMessage,
    legacy: () => legacyNotifySign(source, roomId, data, cfg.signKey),
    strong: (ts, nonce) => strongNotifySign(cfg.signKey, { source, roomId, data, ts, nonce }),
  });
}

/**
 * One strong sign over a whole `POST /api/notify/batch` (packages/signing strongBatchCanonical).
 * There is no legacy form of it: md5 signs are made per message.
 */
export function verifyBatchSign(
  ctx: ServerContext,
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
  return verify(ctx, {
    kind: 'notify',
    source,
    cfg,
    fields,
    failMessage,
    legacy: () => '',
    strong: (ts, nonce) => strongBatchSign(cfg.signKey, { source, messages, ts, nonce }),
  });
}

/** Records a strong sign's nonce; a second use within the window is REPLAYED_SIGN, on any instance with Redis. */
export async function claimNonce(ctx: ServerContext, verified: VerifiedSign): Promise<void> {
  if (!verified.nonceKey) return;
  const ttlMs = (2 * ctx.config.signatureWindowSeconds + 1) * 1000;
  if (!(await ctx.security.nonces.claim(verified.nonceKey, ttlMs))) {
    throw new ImError('REPLAYED_SIGN', 'this sign was already used (nonce seen before): sign every request with a new nonce');
  }
}
