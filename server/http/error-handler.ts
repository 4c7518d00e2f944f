import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ImError, type ErrorCode } from '../../packages/protocol';

/**
 * The contract's envelope (`code` 0/1, `msg`, `data`) for old clients, plus a proper HTTP
 * status and a machine-readable `error` code beside it.
 */
export function sendError(res: Response, err: ImError): void {
  const retryAfterMs = (err as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof retryAfterMs === 'number') res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  res.status(err.status).json({ code: 0, msg: err.message, data: '', error: err.code });
}

export function sendOk(res: Response, msg: string, data: unknown = ''): void {
  res.status(200).json({ code: 1, msg, data });
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
  return (err, _req, res, _next) => {
    const reqId = res.locals.requestId as string | undefined;
    const known = err instanceof ImError ? err : fromParserError(err ?? {});
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
  };
}
