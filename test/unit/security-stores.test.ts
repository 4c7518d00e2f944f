import { describe, expect, it } from 'vitest';
import { createConnectionLimits } from '../../server/security/connection-limits';
import { createMemoryNonceStore } from '../../server/security/nonce-store';
import { RateLimitedError, createRateLimits } from '../../server/security/rate-limits';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('memory nonce store', () => {
  it('accepts a nonce once while it lives, then forgets it', async () => {
    const c = clock();
    const store = createMemoryNonceStore(c.now, 10);
    expect(await store.claim('demo:n1', 1000)).toBe(true);
    expect(await store.claim('demo:n1', 1000)).toBe(false);
    expect(await store.claim('other:n1', 1000)).toBe(true);
    c.advance(1001);
    expect(await store.claim('demo:n1', 1000)).toBe(true);
  });

  it('fails closed when full, and frees room as entries expire', async () => {
    const c = clock();
    const store = createMemoryNonceStore(c.now, 2);
    await store.claim('a', 1000);
    await store.claim('b', 1000);
    await expect(store.claim('c', 1000)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    c.advance(1000);
    expect(await store.claim('c', 1000)).toBe(true);
  });
});

describe('rate limits', () => {
  it('allows rate × window per aligned window of the injected clock', async () => {
    const c = clock(10_000);
    const rates = createRateLimits({ now: c.now, windowSeconds: 2, redis: () => undefined, prefix: 't' });
    for (let i = 0; i < 6; i++) await rates.consume('ip', '1.2.3.4', 3);
    const err = await rates.consume('ip', '1.2.3.4', 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(2000);
    await rates.consume('ip', '5.6.7.8', 3);
    c.advance(1500);
    expect((await rates.consume('ip', '1.2.3.4', 3).catch((e: RateLimitedError) => e.retryAfterMs))).toBe(500);
    c.advance(500);
    await rates.consume('ip', '1.2.3.4', 3);
  });

  it('0 means no limit', async () => {
    const rates = createRateLimits({ now: () => 0, windowSeconds: 1, redis: () => undefined, prefix: 't' });
    for (let i = 0; i < 1000; i++) await rates.consume('source', 's', 0);
  });
});

describe('connection caps', () => {
  it('counts per IP and per user and releases once', () => {
    const caps = createConnectionLimits({ maxPerIp: 2, maxPerUser: 1 });
    caps.check('ip', 'u1');
    const a = caps.track('ip', 'u1');
    expect(a.over).toBeUndefined();
    expect(() => caps.check('ip', 'u1')).toThrow('for this user');
    caps.check('ip', undefined);
    const b = caps.track('ip', undefined);
    expect(() => caps.check('ip', 'u2')).toThrow('from this IP address');
    // A racing third connection learns it on track().
    const c = caps.track('ip', 'u3');
    expect(c.over?.code).toBe('RATE_LIMITED');
    c.release();
    a.release();
    a.release();
    b.release();
    expect(caps.open).toEqual({ ips: 0, users: 0 });
  });
});
