import { ImError, LEGACY_MESSAGES, singleField, toImError } from '../../packages/protocol';
import type { PublishItem } from '../relay/relay';
import { sourceConfig, type ServerContext } from '../context';
import { claimNonce, signFields, verifyBatchSign, type VerifiedSign } from '../security/verify-sign';
import { checkedMessage, checkNotify, consumeSource, dataField, fieldsOf, logMessages, type NotifyMeta, type NotifyRequest } from './notify-accept';

/** One message's answer in a batch. */
export interface BatchResult {
  code: 0 | 1;
  msg: string;
  error?: string;
}

export interface BatchAnswer {
  code: 1;
  msg: string;
  data: '';
  accepted: number;
  refused: number;
  results: BatchResult[];
}

const BATCH_SIGN_FIELDS = ['sign', 'sign_type', 'ts', 'nonce'] as const;

function refusal(err: unknown): BatchResult {
  const im = toImError(err);
  return { code: 0, msg: im.message, error: im.code };
}

/**
 * POST /api/notify/batch: `{messages: [...]}`, each message signed as for /api/notify, or
 * `{source, sign_type, ts, nonce, sign, messages: [{room_id, data, filename?}]}` with one strong
 * sign over the whole batch. Each message is answered in `results`, in order; the accepted ones
 * reach the history store in one round trip. What makes the whole request unusable (no list,
 * too many messages, a wrong batch sign, the IP's rate, the store down with `whenDown: reject`)
 * is answered as one error instead.
 */
export async function acceptBatch(ctx: ServerContext, rawBody: unknown, meta: NotifyMeta): Promise<BatchAnswer> {
  const body = fieldsOf(rawBody);
  const list = body.messages;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ImError('INVALID_PARAMETER', 'messages must be a non-empty array of message objects (JSON body: {"messages": [...]})');
  }
  const max = ctx.config.limits.maxBatchMessages;
  if (list.length > max) {
    throw new ImError('PAYLOAD_TOO_LARGE', `a batch holds at most ${max} messages (limits.maxBatchMessages); this one has ${list.length}: split it`);
  }
  await ctx.security.rates.consume('ip', meta.ip, ctx.config.rateLimits.perIp, list.length);

  const results: Array<BatchResult | undefined> = new Array(list.length);
  const checked: Array<NotifyRequest | undefined> = new Array(list.length);
  const batchSigned = body.sign !== undefined || body.sign_type !== undefined;
  if (batchSigned) {
    // One sign over the batch: its source and strong sign fields sit beside `messages`.
    const source = singleField(body.source, 'source');
    if (!source) throw new ImError('SOURCE_REQUIRED', LEGACY_MESSAGES.sourceRequired);
    const fields = signFields(body);
    if (!fields.sign) throw new ImError('SIGN_REQUIRED', LEGACY_MESSAGES.signRequired);
    const cfg = sourceConfig(ctx, source);
    const signed = list.map((m, i) => {
      const f = fieldsOf(m);
      if (f.source !== undefined && singleField(f.source, `messages[${i}].source`) !== source) {
        throw new ImError('INVALID_PARAMETER', `messages[${i}].source differs from the batch's source: a batch signed as a whole is for one source`);
      }
      for (const name of BATCH_SIGN_FIELDS) {
        if (f[name] !== undefined) throw new ImError('INVALID_PARAMETER', `messages[${i}].${name}: a batch signed as a whole carries no per-message signs`);
      }
      return { roomId: singleField(f.room_id, `messages[${i}].room_id`), data: dataField(f.data) };
    });
    const verified: VerifiedSign = verifyBatchSign(ctx, cfg, source, signed, fields, LEGACY_MESSAGES.notifySignFailed);
    await claimNonce(ctx, verified);
    signed.forEach((m, i) => {
      try {
        if (!m.data) throw new ImError('DATA_REQUIRED', LEGACY_MESSAGES.dataRequired);
        if (!m.roomId) throw new ImError('ROOMS_REQUIRED', LEGACY_MESSAGES.roomIdRequired);
        checked[i] = checkedMessage(ctx, source, m.roomId, m.data, fieldsOf(list[i]).filename, meta.origin, cfg.corsOrigins);
      } catch (err) {
        results[i] = refusal(err);
      }
    });
  } else {
    // Each message checked as /api/notify checks it (synchronously: md5 signs need no round
    // trip); then the strong signs' nonces are claimed, in order, so a nonce used twice in one
    // batch is refused the second time.
    const claims: Array<Promise<void>> = [];
    const claimed: number[] = [];
    list.forEach((m, i) => {
      try {
        const { n, verified } = checkNotify(ctx, m, meta.origin);
        checked[i] = n;
        if (verified.nonceKey) {
          claims.push(claimNonce(ctx, verified));
          claimed.push(i);
        }
      } catch (err) {
        results[i] = refusal(err);
      }
    });
    (await Promise.allSettled(claims)).forEach((c, k) => {
      if (c.status === 'fulfilled') return;
      const i = claimed[k]!;
      checked[i] = undefined;
      results[i] = refusal(c.reason);
    });
  }

  // Source allowances count the messages that passed their checks, per source.
  const bySource = new Map<string, number[]>();
  checked.forEach((n, i) => {
    if (!n) return;
    const indexes = bySource.get(n.source);
    if (indexes) indexes.push(i);
    else bySource.set(n.source, [i]);
  });
  await Promise.all(
    [...bySource].map(async ([source, indexes]) => {
      try {
        await consumeSource(ctx, source, indexes.length);
      } catch (err) {
        for (const i of indexes) {
          results[i] = refusal(err);
          checked[i] = undefined;
        }
      }
    }),
  );

  const accepted = checked.filter((n): n is NotifyRequest => n !== undefined);
  const items: PublishItem[] = accepted.map((n) => ({ source: n.source, rooms: n.rooms, data: n.data }));
  await ctx.relay.publishMany(items);
  await logMessages(ctx, accepted);
  const ok: BatchResult = { code: 1, msg: LEGACY_MESSAGES.notifyOk };
  // Array.from, not map: `results` has holes where messages were accepted.
  const out = Array.from(results, (r) => r ?? ok);
  const refused = list.length - accepted.length;
  return {
    code: 1,
    msg: `batch notify: ${accepted.length} accepted, ${refused} refused`,
    data: '',
    accepted: accepted.length,
    refused,
    results: out,
  };
}
