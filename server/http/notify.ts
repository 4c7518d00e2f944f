import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ImError, LEGACY_MESSAGES, parseLogFilename, singleField, toImError } from '../../packages/protocol';
import type { PublishItem } from '../relay/relay';
import { roomList, sourceConfig, type ServerContext } from '../context';
import { clientIp } from '../security/client-ip';
import { setAll, type HeaderList } from '../security/headers';
import { originAllowed } from '../security/origins';
import { claimNonce, signFields, verifyBatchSign, verifyNotifySign, type VerifiedSign } from '../security/verify-sign';
import { requestBody } from './body';
import { replyError, sendJson, sendJsonText } from './error-handler';
import type { Inflight } from './inflight';
import { trackRequest } from './request-log';

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
function dataField(value: unknown): string {
  if (value !== null && typeof value === 'object') {
    throw new ImError(
      'INVALID_PARAMETER',
      'data must be a string: JSON-encode objects, sign the encoded text and send that text',
    );
  }
  return singleField(value, 'data');
}

function fieldsOf(body: unknown): Record<string, unknown> {
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
function checkedMessage(ctx: ServerContext, source: string, roomId: string, data: string, filenameField: unknown, origin: string | undefined, corsOrigins: readonly string[]): NotifyRequest {
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
function checkNotify(ctx: ServerContext, rawBody: unknown, origin: string | undefined): { n: NotifyRequest; verified: VerifiedSign } {
  const body = fieldsOf(rawBody);
  const { source, data, sign, roomId } = requiredFields(body, true);
  const cfg = sourceConfig(ctx, source);
  const fields = signFields(body);
  fields.sign = sign;
  const verified = verifyNotifySign(ctx, cfg, source, roomId, data, fields, LEGACY_MESSAGES.notifySignFailed);
  return { n: checkedMessage(ctx, source, roomId, data, body.filename, origin, cfg.corsOrigins), verified };
}

/** Counted once the sign is verified, so nobody else can use up a source's allowance. */
function consumeSource(ctx: ServerContext, source: string, points: number): Promise<void> {
  const perSource = ctx.config.sources[source]?.maxMessagesPerSecond ?? ctx.config.rateLimits.perSource;
  return ctx.security.rates.consume('source', source, perSource, points);
}

/** The `filename` log lines of accepted messages, in order. */
async function logMessages(ctx: ServerContext, accepted: ReadonlyArray<AcceptedMessage>): Promise<void> {
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

/** What the routes served before Express share with the Express app (create-server.ts). */
export interface HttpShared {
  logger: Logger;
  inflight: Inflight;
  /** Paths not worth a request-log line. */
  quiet: (path: string) => boolean;
  /** The security headers of an answer to a path (server/security/headers.ts). */
  headersFor: (path: string) => HeaderList;
  /** The API's CORS middleware (the `cors` package works on node's request and response). */
  cors: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
}

export const NOTIFY_PATH = '/api/notify';
export const NOTIFY_BATCH_PATH = '/api/notify/batch';

const NOTIFY_OK_TEXT = JSON.stringify({ code: 1, msg: LEGACY_MESSAGES.notifyOk, data: '' });

/** The route a POST is for, matched as Express matches it (any case, one trailing slash). */
function pushRoute(url: string): typeof NOTIFY_PATH | typeof NOTIFY_BATCH_PATH | undefined {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path === NOTIFY_PATH) return NOTIFY_PATH;
  const p = (path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase();
  if (p === NOTIFY_PATH) return NOTIFY_PATH;
  if (p === NOTIFY_BATCH_PATH) return NOTIFY_BATCH_PATH;
  return undefined;
}

/**
 * The push routes, served before the Express stack (bench/: Express's router, res.json and its
 * ETag, and body-parser were most of a notify's CPU). They go through the same steps as the
 * app, each from the one place it lives: admission and in-flight count (inflight.ts), request id
 * and log (request-log.ts), security headers (headers.ts), the API's CORS middleware, the body
 * reader (body.ts), the error answers (error-handler.ts). Returns false for any other request,
 * which then goes to Express.
 */
export function leanPushRoutes(ctx: ServerContext, shared: HttpShared): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { logger, inflight, quiet, headersFor, cors } = shared;
  const { limits } = ctx.config;
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '/';
    const route = pushRoute(url);
    if (!route) return false;
    if (!inflight.admit(res)) return true;
    const ip = () => clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const reqId = trackRequest(logger, quiet, req, res, route, url, ip);
    setAll(res, headersFor(route));
    const fail = (err: unknown) => replyError(logger, res, err, reqId);
    cors(req, res, (err) => {
      if (err) return fail(err);
      const batch = route === NOTIFY_BATCH_PATH;
      const origin = req.headers.origin;
      requestBody(req, { limit: batch ? limits.maxBatchBodyBytes : limits.maxBodyBytes })
        .then((body) => {
          const meta = { ip: ip(), origin };
          if (batch) return acceptBatch(ctx, body, meta).then((answer) => sendJson(res, 200, answer));
          return acceptNotify(ctx, body, meta).then(() => sendJsonText(res, 200, NOTIFY_OK_TEXT));
        })
        .catch(fail);
    });
    return true;
  };
}

/**
 * The same routes inside Express, for the app used on its own (`server.app` mounted elsewhere);
 * createServer's HTTP server answers them before Express. Body, headers and CORS come from the
 * app's middlewares then.
 */
export function notifyRouter(ctx: ServerContext): Router {
  const router = Router();
  const meta = (req: Request): NotifyMeta => ({ ip: req.ip ?? 'unknown', origin: req.get('origin') });
  router.post(NOTIFY_PATH, async (req: Request, res: Response) => {
    await acceptNotify(ctx, req.body, meta(req));
    sendJsonText(res, 200, NOTIFY_OK_TEXT);
  });
  router.post(NOTIFY_BATCH_PATH, async (req: Request, res: Response) => {
    sendJson(res, 200, await acceptBatch(ctx, req.body, meta(req)));
  });
  return router;
}
