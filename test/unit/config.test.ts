import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../server/config';

function file(content: string): string {
  const p = path.join(mkdtempSync(path.join(tmpdir(), 'im-cfg-')), 'config.json');
  writeFileSync(p, content);
  return p;
}

describe('loadConfig', () => {
  it('falls back to the demo sources outside production', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg.demo).toBe(true);
    expect(Object.keys(cfg.sources)).toEqual(['demo', 'remote_debug']);
    expect(cfg.port).toBe(4000);
  });

  it('never falls back to demo keys in production', () => {
    expect(() => loadConfig({ env: { NODE_ENV: 'production' } })).toThrow(/never falls back to the demo keys/);
  });

  it('applies environment overrides', () => {
    const cfg = loadConfig({ env: { PORT: '4100', LOG_DIR: '/tmp/x', REDIS_URL: 'redis://127.0.0.1:6379' } });
    expect(cfg.port).toBe(4100);
    expect(cfg.logDir).toBe('/tmp/x');
    expect(cfg.adapter).toMatchObject({ type: 'redis', url: 'redis://127.0.0.1:6379' });
  });

  it('refuses a non-numeric PORT', () => {
    expect(() => loadConfig({ env: { PORT: 'abc' } })).toThrow(/PORT must be a whole number/);
  });

  it('reads a file and names every wrong key', () => {
    const p = file(JSON.stringify({ port: 'x', sources: { 'bad name': { signKey: 'short' } }, colour: 1 }));
    let err: unknown;
    try {
      loadConfig({ file: p, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain(p);
    expect(msg).toMatch(/port:/);
    expect(msg).toMatch(/colour/);
    expect(msg).toMatch(/sources\.bad name/);
  });

  it('reports unreadable and non-JSON files clearly', () => {
    expect(() => loadConfig({ file: '/nonexistent/im.json', env: {} })).toThrow(/cannot read config file/);
    expect(() => loadConfig({ file: file('{ nope'), env: {} })).toThrow(/is not valid JSON/);
  });

  it('accepts a full configuration', () => {
    const cfg = parseConfig({
      port: 4001,
      sources: { shop: { signKey: 'a-long-secret', corsOrigins: ['https://shop.example'] } },
      limits: { maxMessageBytes: 1000 },
      adapter: { type: 'memory' },
    });
    expect(cfg.sources.shop!.corsOrigins).toEqual(['https://shop.example']);
    expect(cfg.limits.maxMessageBytes).toBe(1000);
    expect(cfg.limits.maxRoomsPerMessage).toBe(50);
  });
});
