import type { Request } from 'express';
import {
  ImError,
  LEGACY_MESSAGES,
  OPERATOR_SIGN_HEADER,
  OPERATOR_TS_HEADER,
  singleField,
  type OperatorActionName,
} from '../../packages/protocol';
import { operatorSign, secretsEqual, signsEqual } from '../../packages/signing';
import { sourceConfig, type ServerContext } from '../context';

/** A request's parameters: the query string merged with a form or JSON body. */
export function params(req: Request): Record<string, unknown> {
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
  return { ...(req.query as Record<string, unknown>), ...(body as Record<string, unknown>) };
}

/** True when the request carries `Authorization: Bearer <adminKey>`. */
export function isAdmin(ctx: ServerContext, req: Request): boolean {
  const key = ctx.config.adminKey;
  const header = req.get('authorization');
  if (!key || !header?.startsWith('Bearer ')) return false;
  // Exact and constant-time: the admin key is a secret, not a hex sign (no case folding).
  return secretsEqual(key, header.slice(7).trim());
}

/** For read-outs across sources: only the admin key opens them (FORBIDDEN otherwise, also when none is configured). */
export function requireAdmin(ctx: ServerContext, req: Request): void {
  if (isAdmin(ctx, req)) return;
  throw new ImError(
    'FORBIDDEN',
    ctx.config.adminKey ? 'this read-out needs Authorization: Bearer <adminKey>' : 'this read-out needs an adminKey in the server configuration',
  );
}

/**
 * Authorizes an operator call for one source: the admin key, or an operator sign
 * (packages/signing/operator.ts) over `action`, the source, `subject` and a fresh `ts`.
 * The sign and ts come from the X-Im-Sign / X-Im-Ts headers (so they stay out of URLs),
 * else from the query or body (older callers). `action` is a name from OPERATOR_ACTIONS.
 * Returns the source name.
 */
export function authorizeOperator(ctx: ServerContext, req: Request, action: OperatorActionName, subject: string): string {
  const p = params(req);
  const source = singleField(p.source, 'source');
  if (!source) throw new ImError('SOURCE_REQUIRED', LEGACY_MESSAGES.sourceRequired);
  const cfg = sourceConfig(ctx, source);
  if (isAdmin(ctx, req)) return source;

  const headerSign = req.get(OPERATOR_SIGN_HEADER);
  const fromHeaders = headerSign !== undefined && headerSign !== '';
  const sign = fromHeaders ? headerSign.trim() : singleField(p.sign, 'sign');
  if (!sign) throw new ImError('SIGN_REQUIRED', `${LEGACY_MESSAGES.signRequired} (or send Authorization: Bearer <adminKey>)`);
  const tsText = fromHeaders ? (req.get(OPERATOR_TS_HEADER) ?? '').trim() : singleField(p.ts, 'ts');
  const ts = Number(tsText);
  if (!tsText || !Number.isInteger(ts)) throw new ImError('INVALID_PARAMETER', fromHeaders ? `${OPERATOR_TS_HEADER} (Unix time in seconds) is required with ${OPERATOR_SIGN_HEADER}` : 'ts (Unix time in seconds) is required');
  const skew = Math.abs(ctx.now() / 1000 - ts);
  if (skew > ctx.config.signatureWindowSeconds) {
    throw new ImError('STALE_TIMESTAMP', `ts is ${Math.round(skew)} s away from server time (window ${ctx.config.signatureWindowSeconds} s)`);
  }
  if (!signsEqual(operatorSign(cfg.signKey, action, source, subject, tsText), sign)) {
    throw new ImError('BAD_SIGN', `sign verify failed for ${action}: expected hex HMAC-SHA256(sign_key, "${action}\\n<source>\\n<subject>\\n<ts>")`);
  }
  return source;
}
