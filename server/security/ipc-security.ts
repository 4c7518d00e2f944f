import { ImError } from '../../packages/protocol';
import { createIpcClient, serveIpc } from '../adapters/ipc';
import type { ServerConfig } from '../config';
import { createMemoryNonceStore, type NonceStore } from './nonce-store';
import { RateLimitedError, createRateLimits, type RateLimits } from './rate-limits';

const CHANNEL = 'im:security';

/** What the primary answers to `consume`: nothing when allowed, the refusal otherwise. */
interface ConsumeAnswer {
  message?: string;
  retryAfterMs?: number;
}

/**
 * `--workers N` without Redis: strong-sign nonces and the per-IP and per-source counts live in
 * the primary, so a replay or a burst spread over workers is caught as on one instance.
 * (Per-connection counts stay in the worker that holds the socket.)
 */
export interface IpcSecurity {
  nonces: NonceStore;
  rates: RateLimits;
  close(): void;
}

export function createIpcSecurity(timeoutMs?: number): IpcSecurity {
  const ipc = createIpcClient(CHANNEL, timeoutMs);
  return {
    nonces: {
      claim: (key, ttlMs) => ipc.request<boolean>('claim', { key, ttlMs }),
    },
    rates: {
      async consume(scope, id, perSecond, points = 1) {
        if (perSecond <= 0) return;
        const answer = await ipc.request<ConsumeAnswer>('consume', { scope, id, perSecond, points });
        if (answer?.message) throw new RateLimitedError(answer.message, answer.retryAfterMs ?? 1000);
      },
    },
    close: () => ipc.close(),
  };
}

/** The primary's side. Returns a function that stops serving. */
export function serveSecurityToWorkers(config: ServerConfig, now: () => number = Date.now): () => void {
  const nonces = createMemoryNonceStore(now, config.limits.maxNonces);
  const rates = createRateLimits({ now, windowSeconds: config.rateLimits.windowSeconds, prefix: 'im' });
  return serveIpc(CHANNEL, async (op, payload) => {
    const p = payload as { key: string; ttlMs: number; scope: 'ip' | 'source'; id: string; perSecond: number; points: number };
    if (op === 'claim') return nonces.claim(String(p.key), Number(p.ttlMs));
    if (op === 'consume') {
      try {
        await rates.consume(p.scope, String(p.id), Number(p.perSecond), Number(p.points));
        return {} satisfies ConsumeAnswer;
      } catch (err) {
        if (err instanceof RateLimitedError) return { message: err.message, retryAfterMs: err.retryAfterMs } satisfies ConsumeAnswer;
        throw err;
      }
    }
    throw new ImError('INVALID_PARAMETER', `unknown security operation ${op}`);
  });
}
