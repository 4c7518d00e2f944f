import { describe, expect, it } from 'vitest';
import { Health, type HealthStatus } from '../../server/adapters/health';

describe('instance health', () => {
  it('is ok with no dependencies, starting until each tracked one is up, degraded when one goes down after', () => {
    const health = new Health(() => 1000);
    const changes: HealthStatus[] = [];
    health.on('change', (s) => changes.push(s));
    expect(health.status).toBe('ok');
    health.track('redis:command');
    health.track('redis:adapter');
    expect(health.status).toBe('starting');
    health.set('redis:command', true);
    expect(health.status).toBe('starting');
    health.set('redis:adapter', true);
    expect(health.status).toBe('ok');
    expect(health.allUp).toBe(true);
    health.set('redis:adapter', false, 'connect ECONNREFUSED');
    expect(health.status).toBe('degraded');
    expect(health.allUp).toBe(false);
    expect(health.report().checks['redis:adapter']).toEqual({ up: false, since: 1000, error: 'connect ECONNREFUSED' });
    health.set('redis:adapter', true);
    health.setDraining();
    expect(changes).toEqual(['starting', 'ok', 'degraded', 'ok', 'draining']);
  });

  it('waitFor resolves on the status and rejects after its time limit', async () => {
    const health = new Health();
    health.track('x');
    const ok = health.waitFor('ok');
    health.set('x', true);
    await ok;
    await expect(health.waitFor('degraded', 10)).rejects.toThrow(/did not become degraded/);
  });
});
