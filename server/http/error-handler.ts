import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { ImError, type ErrorCode } from '../../packages/protocol';

/**
 * The contract's envelope (`code` 0/1, `msg`, `data`) for old clients, plus a proper HTTP
 * status and a machine-readable `error` code beside it. Written with node's own response
 * methods, so the routes served before Express (server/http/notify.ts) answer the same way.
 */
export function sendError(res: ServerResponse, err: ImError): void {
  const retryAfterMs = (err as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof retryAfterMs === 'number') res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  sendJson(res, err.status, { code: 0, msg: err.message, data: '', error: err.code });
}

export function sendOk(res: ServerResponse, msg: string, data: unknown = ''): void {
  sendJson(res, 200, { code: 1, msg, data });
}

/** A JSON answer (what Express's res.json sent, without an ETag no API client reads). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonText(res, status, JSON.stringify(body));
}

export function sendJsonText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** Errors thrown by body parsers (http-errors) carry `type` and `status`. */
function fromParserError(err: { type?: string; status?: number; message?: string }): ImError | undefined {
  const map: Record<string, [ErrorCode, string]> = {
    'entity.too.large': ['PAYLOAD_TOO_LARGE', 'request body is too large'],
    'entity.parse.failed': ['INVALID_PARAMETER', 'request body is not valid JSON'],
    'encoding.unsupported': ['INVALID_PARAMETER', 'unsupported body encoding'],
    'charset.unsupported': ['INVALID_PARAMETER', 'unsupported body charset'],
    'parameters.too.many': ['INVALID_PARAMETER', 'too many form parameters'],
    'request.aborted': ['INVALID_PARAMETER', 'request aborted'],
    'request.size.invalid': ['INVALID_PARAMETER', 'request size did not match content length'],
  };
  const hit = err.type ? map[err.type] : undefined;
  if (hit) return new ImError(hit[0], hit[1]);
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
    return new ImError('INVALID_PARAMETER', err.message ?? 'bad request');
  }
  return undefined;
}

/** Turns whatever a route threw into the contract's envelope; unknown errors are logged in full. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => replyError(logger, res, err, res.locals.requestId as string | undefined);
}

/** The error handler's answer, also for the routes served before Express. */
export function replyError(logger: Logger, res: ServerResponse, err: unknown, reqId: string | undefined): void {
  const known = err instanceof ImError ? err : fromParserError((err ?? {}) as { type?: string; status?: number; message?: string });
  if (known) {
    logger.info({ reqId, err: known.toJSON() }, 'request refused');
    sendError(res, known);
    return;
  }
  logger.error({ reqId, err }, 'request failed');
  if (res.headersSent) {
    res.end();
    return;
  }
  sendError(res, new ImError('INTERNAL', 'internal server error'));
}
