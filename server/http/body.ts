import type { IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable, Transform } from 'node:stream';
import type { RequestHandler } from 'express';
import { ImError } from '../../packages/protocol';

/**
 * The one reader of HTTP request bodies, for the Express app and for the routes served before it
 * (server/http/notify.ts): form-encoded and JSON bodies, with the answers body-parser gave
 * (413 over the limit, 400 for broken JSON or too many form fields), in a fraction of its time
 * (bench/: body-parser, type-is, raw-body and qs were a tenth of a notify's CPU).
 *
 * - `application/x-www-form-urlencoded`: flat fields (no `a[b]` nesting, like body-parser's
 *   `extended: false`), a repeated field becomes an array (which the routes refuse), at most
 *   `parameterLimit` fields.
 * - `application/json`: any JSON value (`strict: false`); an empty body is `{}`.
 * - anything else: no body (`undefined`), so the routes answer what is missing.
 * Content-Encoding gzip, deflate and br are inflated (the limit counts the inflated bytes).
 */
export interface BodyOptions {
  limit: number;
  parameterLimit?: number;
}

export type BodyKind = 'form' | 'json' | undefined;

const DEFAULT_PARAMETER_LIMIT = 100;

/** Which parser a Content-Type asks for (parameters such as `charset` are checked in parseBody). */
export function bodyKind(contentType: string | undefined): BodyKind {
  if (!contentType) return undefined;
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'application/json') return 'json';
  return undefined;
}

function charsetOf(contentType: string): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return m ? m[1]!.toLowerCase() : undefined;
}

function tooLarge(): ImError {
  return new ImError('PAYLOAD_TOO_LARGE', 'request body is too large');
}

/** True when the request says it has a body (as Node and type-is read it). */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
}

function decoderFor(encoding: string): Transform | undefined {
  switch (encoding) {
    case 'gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

/**
 * Reads the whole body, at most `limit` bytes. Past the limit the rest is still read (and
 * dropped) before the error is given, so the answer reaches a client that is still sending.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let source: Readable = req;
    if (encoding !== 'identity') {
      const decoder = decoderFor(encoding);
      if (!decoder) {
        req.resume();
        req.once('end', () => reject(new ImError('INVALID_PARAMETER', 'unsupported body encoding')));
        req.once('error', () => reject(new ImError('INVALID_PARAMETER', 'request aborted')));
        return;
      }
      req.pipe(decoder);
      source = decoder;
    } else if (declared !== undefined && Number(declared) > limit) {
      req.resume();
      req.once('end', () => reject(tooLarge()));
      req.once('error', () => reject(tooLarge()));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed: ImError | undefined;
    source.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = tooLarge();
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    source.once('end', () => {
      if (failed) reject(failed);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    source.once('error', () => reject(failed ?? new ImError('INVALID_PARAMETER', encoding === 'identity' ? 'request aborted' : 'body could not be inflated')));
    if (source !== req) req.once('error', () => reject(new ImError('INVALID_PARAMETER', 'request aborted')));
  });
}

/** Flat form fields; a field given twice becomes an array (the routes refuse arrays with a clear error). */
export function parseForm(text: string, parameterLimit = DEFAULT_PARAMETER_LIMIT): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (text === '') return out;
  let count = 0;
  for (let i = text.indexOf('&'); ; i = text.indexOf('&', i + 1)) {
    if (++count > parameterLimit) throw new ImError('INVALID_PARAMETER', 'too many form parameters');
    if (i < 0) break;
  }
  for (const [key, value] of new URLSearchParams(text)) {
    // A field named like a prototype member is not a field any route reads.
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const had = Object.hasOwn(out, key) ? out[key] : undefined;
    if (had === undefined) out[key] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[key] = [had, value];
  }
  return out;
}

/** Parses a body read by readBody; `undefined` for a content type this server does not read. */
export function parseBody(contentType: string | undefined, raw: Buffer, opts: { parameterLimit?: number } = {}): unknown {
  const kind = bodyKind(contentType);
  if (!kind) return undefined;
  const charset = charsetOf(contentType!);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ImError('INVALID_PARAMETER', 'unsupported body charset');
  }
  const text = raw.toString('utf8');
  if (kind === 'form') return parseForm(text, opts.parameterLimit);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ImError('INVALID_PARAMETER', 'request body is not valid JSON');
  }
}

/** Reads and parses a request's body: `undefined` when it has none, or one of a type not read here. */
export async function requestBody(req: IncomingMessage, opts: BodyOptions): Promise<unknown> {
  const contentType = req.headers['content-type'];
  if (!hasBody(req) || !bodyKind(contentType)) return undefined;
  return parseBody(contentType, await readBody(req, opts.limit), opts);
}

/** The same reader as Express middleware: sets `req.body` (left undefined as body-parser did for other types). */
export function bodyParser(opts: BodyOptions): RequestHandler {
  return (req, _res, next) => {
    if (req.body !== undefined || !hasBody(req) || !bodyKind(req.headers['content-type'])) {
      next();
      return;
    }
    requestBody(req, opts).then(
      (body) => {
        req.body = body;
        next();
      },
      next,
    );
  };
}
