import { Router, type Request } from 'express';
import { ImError, LEGACY_MESSAGES, parseLogFilename, singleField } from '../../packages/protocol';
import { roomList, sourceConfig, type ServerContext } from '../context';
import { claimNonce, signFields, verifyNotifySign } from '../security/verify-sign';
import { sendOk } from './error-handler';

export interface NotifyRequest {
  source: string;
  rooms: string[];
  data: string;
  /** The checked log file name, undefined when the message is not to be logged. */
  filename?: string;
}

/** The notify `data` field: a string, signed and delivered exactly as sent. Numbers become their text. */
function dataField(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    throw new ImError(
      'INVALID_PARAMETER',
      'data must be a string: JSON-encode objects, sign the encoded text and send that text',
    );
  }
  return singleField(value, 'data');
}

/**
 * Checks a notify body in the contract's order, so old clients see the messages they expect;
 * then the newer checks (strong sign timestamp and replay, origin, limits).
 */
export async function parseNotify(ctx: ServerContext, req: Request): Promise<NotifyRequest> {
  const body: Record<string, unknown> =
    req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
  const source = singleField(body.source, 'source');
  if (!source) throw new ImError('SOURCE_REQUIRED', LEGACY_MESSAGES.sourceRequired);
  const data = dataField(body.data);
  if (!data) throw new ImError('DATA_REQUIRED', LEGACY_MESSAGES.dataRequired);
  const sign = singleField(body.sign, 'sign');
  if (!sign) throw new ImError('SIGN_REQUIRED', LEGACY_MESSAGES.signRequired);
  const roomId = singleField(body.room_id, 'room_id');
  if (!roomId) throw new ImError('ROOMS_REQUIRED', LEGACY_MESSAGES.roomIdRequired);
  const cfg = sourceConfig(ctx, source);
  const verified = verifyNotifySign(ctx, cfg, source, roomId, data, { ...signFields(body), sign }, LEGACY_MESSAGES.notifySignFailed);
  const origin = req.get('origin');
  if (origin && !originAllowed(cfg.corsOrigins, origin)) {
    throw new ImError('FORBIDDEN', `origin ${origin} may not push to source ${source}`);
  }
  const { limits } = ctx.config;
  const rooms = roomList(ctx, roomId, 'message', LEGACY_MESSAGES.roomIdRequired);
  if (Buffer.byteLength(data) > limits.maxMessageBytes) {
    throw new ImError('PAYLOAD_TOO_LARGE', `data is larger than ${limits.maxMessageBytes} bytes`);
  }
  const filename =
    body.filename === undefined ? undefined : parseLogFilename(singleField(body.filename, 'filename'), limits.maxFilenameLength);
  await claimNonce(ctx, verified);
  return { source, rooms, data, filename };
}

export function originAllowed(allowed: readonly string[], origin: string): boolean {
  return allowed.includes('*') || allowed.includes(origin);
}

/** POST /api/notify: a signed push from a back end (form-encoded or JSON). */
export function notifyRouter(ctx: ServerContext): Router {
  const router = Router();
  router.post('/api/notify', async (req, res) => {
    const { rateLimits } = ctx.config;
    await ctx.security.rates.consume('ip', req.ip ?? 'unknown', rateLimits.perIp);
    const n = await parseNotify(ctx, req);
    // Counted once the sign is verified, so nobody else can use up a source's allowance.
    await ctx.security.rates.consume('source', n.source, ctx.config.sources[n.source]?.maxMessagesPerSecond ?? rateLimits.perSource);
    // Answer only once the message is accepted: in the room history, handed to the adapter
    // and, when asked for, written to its log.
    await ctx.relay.publish(n.source, n.rooms, n.data);
    if (n.filename !== undefined) {
      await ctx.messageLog.append(n.source, n.filename, {
        ts: new Date(ctx.now()).toISOString(),
        instance: ctx.instanceId,
        source: n.source,
        room_id: n.rooms.join(','),
        data: n.data,
      });
    }
    sendOk(res, LEGACY_MESSAGES.notifyOk);
  });
  return router;
}
