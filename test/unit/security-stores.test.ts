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
    const rates = createRateLimits({ now: c.now, windowSeconds: 2, prefix: 't' });
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
    const rates = createRateLimits({ now: () => 0, windowSeconds: 1, prefix: 't' });
    for (let i = 0; i < 1000; i++) await rates.consume('source', 's', 0);
  });
});

describe('connection caps', () => {
  const none = { maxHookPerIp: 0, maxHookPerSource: 0 };
  it('counts per IP and per user', () => {
    const refused: string[] = [];
    const caps = createConnectionLimits({ maxPerIp: 2, maxPerUser: 1, ...none, onRefuse: (b) => refused.push(b) });
    const u1 = { ip: 'ip', user: 's:u1', source: 's' };
    caps.check(u1);
    expect(caps.track(u1)).toBeUndefined();
    expect(() => caps.check(u1)).toThrow('for this user');
    const hook = { ip: 'ip', hookSource: 's', source: 's' };
    caps.check(hook);
    expect(caps.track(hook)).toBeUndefined();
    expect(() => caps.check({ ip: 'ip', user: 's:u2', source: 's' })).toThrow('from this IP address');
    // A racing third connection learns it on track().
    const u3 = { ip: 'ip', user: 's:u3', source: 's' };
    expect(caps.track(u3)?.code).toBe('TOO_MANY_CONNECTIONS');
    expect(refused).toEqual(['connections_per_user', 'connections_per_ip', 'connections_per_ip']);
    for (const k of [u3, u1, hook]) caps.release(k);
    expect(caps.open).toEqual({ ips: 0, users: 0, hookIps: 0, hookSources: 0 });
  });

  it('unsigned hooks per IP and per source', () => {
    const caps = createConnectionLimits({ maxPerIp: 0, maxPerUser: 0, maxHookPerIp: 2, maxHookPerSource: 3 });
    const hook = (ip: string, source = 's') => ({ ip, hookSource: source, source });
    for (const k of [hook('a'), hook('a')]) caps.track(k);
    expect(() => caps.check(hook('a'))).toThrow('of unsigned hooks from this IP address (at most 2)');
    // Signed connections from that address are not hooks.
    caps.check({ ip: 'a', user: 's:u', source: 's' });
    caps.track(hook('b'));
    expect(() => caps.check(hook('c'))).toThrow('of unsigned hooks for source s (at most 3)');
    caps.check(hook('c', 'other'));
  });
});
