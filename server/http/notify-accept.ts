import { ImError, LEGACY_MESSAGES, parseLogFilename, singleField } from '../../packages/protocol';
import { roomList, sourceConfig, type ServerContext } from '../context';
import { originAllowed } from '../security/origins';
import { claimNonce, signFields, verifyNotifySign, type VerifiedSign } from '../security/verify-sign';

/**
 * POST /api/notify's checks, in the contract's order, and what accepting a message does (history,
 * adapter, the `filename` log). The routes are in notify.ts, the batch in notify-batch.ts.
 */

/** A push that passed every check. */
export interface NotifyRequest {
  source: string;
  rooms: string[];
  data: string;
  /** The checked log file name, undefined when the message is not to be logged. */
  filename?: string;
}

/** Who sent a push: what the rate limits and the origin check read. */
export interface NotifyMeta {
  ip: string;
  origin?: string;
}

/** The notify `data` field: a string, signed and delivered exactly as sent. Numbers become their text. */
export function dataField(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    throw new ImError(
      'INVALID_PARAMETER',
      'data must be a string: JSON-encode objects, sign the encoded text and send that text',
    );
  }
  return singleField(value, 'data');
}

export function fieldsOf(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** The contract's first four checks, in its order: the fields every message needs. */
function requiredFields(body: Record<string, unknown>, needSign: boolean): { source: string; data: string; sign: string; roomId: string } {
  const source = singleField(body.source, 'source');
  if (!source) throw new ImError('SOURCE_REQUIRED', LEGACY_MESSAGES.sourceRequired);
  const data = dataField(body.data);
  if (!data) throw new ImError('DATA_REQUIRED', LEGACY_MESSAGES.dataRequired);
  const sign = singleField(body.sign, 'sign');
  if (needSign && !sign) throw new ImError('SIGN_REQUIRED', LEGACY_MESSAGES.signRequired);
  const roomId = singleField(body.room_id, 'room_id');
  if (!roomId) throw new ImError('ROOMS_REQUIRED', LEGACY_MESSAGES.roomIdRequired);
  return { source, data, sign, roomId };
}

/** The checks after the sign: origin, room list, size, file name. */
export function checkedMessage(ctx: ServerContext, source: string, roomId: string, data: string, filenameField: unknown, origin: string | undefined, corsOrigins: readonly string[]): NotifyRequest {
  if (origin && !originAllowed(corsOrigins, origin)) {
    throw new ImError('FORBIDDEN', `origin ${origin} may not push to source ${source}`);
  }
  const { limits } = ctx.config;
  const rooms = roomList(ctx, roomId, 'message', LEGACY_MESSAGES.roomIdRequired);
  if (Buffer.byteLength(data) > limits.maxMessageBytes) {
    throw new ImError('PAYLOAD_TOO_LARGE', `data is larger than ${limits.maxMessageBytes} bytes`);
  }
  const filename =
    filenameField === undefined ? undefined : parseLogFilename(singleField(filenameField, 'filename'), limits.maxFilenameLength);
  return { source, rooms, data, filename };
}

/**
 * Checks a notify body in the contract's order, so old clients see the messages they expect;
 * then the newer checks (strong sign timestamp and replay, origin, limits).
 */
export async function parseNotify(ctx: ServerContext, rawBody: unknown, origin: string | undefined): Promise<NotifyRequest> {
  const { n, verified } = checkNotify(ctx, rawBody, origin);
  await claimNonce(ctx, verified);
  return n;
}

/** parseNotify up to the nonce, which the caller claims (a strong sign's replay check). */
export function checkNotify(ctx: ServerContext, rawBody: unknown, origin: string | undefined): { n: NotifyRequest; verified: VerifiedSign } {
  const body = fieldsOf(rawBody);
  const { source, data, sign, roomId } = requiredFields(body, true);
  const cfg = sourceConfig(ctx, source);
  const fields = signFields(body);
  fields.sign = sign;
  const verified = verifyNotifySign(ctx, cfg, source, roomId, data, fields, LEGACY_MESSAGES.notifySignFailed);
  return { n: checkedMessage(ctx, source, roomId, data, body.filename, origin, cfg.corsOrigins), verified };
}

/** Counted once the sign is verified, so nobody else can use up a source's allowance. */
export function consumeSource(ctx: ServerContext, source: string, points: number): Promise<void> {
  const perSource = ctx.config.sources[source]?.maxMessagesPerSecond ?? ctx.config.rateLimits.perSource;
  return ctx.security.rates.consume('source', source, perSource, points);
}

/** The `filename` log lines of accepted messages, in order. */
export async function logMessages(ctx: ServerContext, accepted: ReadonlyArray<AcceptedMessage>): Promise<void> {
  for (const n of accepted) {
    if (n.filename === undefined) continue;
    await ctx.messageLog.append(n.source, n.filename, {
      ts: new Date(ctx.now()).toISOString(),
      instance: ctx.instanceId,
      source: n.source,
      room_id: n.rooms.join(','),
      data: n.data,
    });
  }
}

/** A checked message on its way out; `data` is any JSON value for the xin_common_chat channel's unsigned sources. */
export type AcceptedMessage = Omit<NotifyRequest, 'data'> & { data: unknown };

/**
 * The way out of one checked message, for /api/notify and the xin_common_chat channel
 * (server/legacy/legacy-channel.ts): the source's rate, the room history and the broadcast,
 * then its log line.
 */
export async function publishAccepted(ctx: ServerContext, n: AcceptedMessage): Promise<void> {
  await consumeSource(ctx, n.source, 1);
  await ctx.relay.publish(n.source, n.rooms, n.data);
  await logMessages(ctx, [n]);
}

/** POST /api/notify: one signed push. Resolves once it is accepted (history, adapter, log). */
export async function acceptNotify(ctx: ServerContext, body: unknown, meta: NotifyMeta): Promise<void> {
  await ctx.security.rates.consume('ip', meta.ip, ctx.config.rateLimits.perIp);
  const n = await parseNotify(ctx, body, meta.origin);
  // Answer only once the message is accepted: in the room history, handed to the adapter
  // and, when asked for, written to its log.
  await publishAccepted(ctx, n);
}
