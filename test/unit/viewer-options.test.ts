import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_SOURCES } from '../../server/config';
import { parseRooms } from '../../terminal-viewer/commands/tail';
import { isLocalServer, parseServerUrl, resolveCredential } from '../../terminal-viewer/options/credentials';
import { parsePositiveInt, parseSince } from '../../terminal-viewer/options/duration';
import { loadViewerConfig } from '../../terminal-viewer/options/viewer-config';

const LOCAL = 'http://127.0.0.1:4000';

describe('im-debug options', () => {
  it('takes a sign or key from flags, then env, then the config file', () => {
    const base = { server: LOCAL, source: 'shop', env: {}, config: {} };
    expect(resolveCredential({ ...base, sign: 's', signKey: 'k' })).toEqual({ kind: 'sign', sign: 's', origin: 'flag' });
    expect(resolveCredential({ ...base, signKey: 'k', env: { IM_SIGN_KEY: 'e' } })).toEqual({ kind: 'key', key: 'k', origin: 'flag' });
    expect(resolveCredential({ ...base, signEnv: 'IM_SIGN', env: { IM_SIGN: 'es', IM_SIGN_KEY: 'e' } })).toMatchObject({ kind: 'sign', sign: 'es' });
    expect(resolveCredential({ ...base, env: { IM_SIGN_KEY: 'e' }, config: { keys: { shop: 'c' } } })).toMatchObject({ key: 'e', origin: 'env' });
    expect(resolveCredential({ ...base, config: { keys: { shop: 'c' } } })).toMatchObject({ key: 'c', origin: 'config' });
    expect(resolveCredential({ ...base, config: { source: 'shop', signKey: 'c2' } })).toMatchObject({ key: 'c2', origin: 'config' });
    // signKey belongs to the file's own source, not to any source asked for.
    expect(() => resolveCredential({ ...base, config: { source: 'other', signKey: 'c2' } })).toThrow(/no sign key for source "shop"/);
  });

  it('uses the demo key only against this machine, and says so', () => {
    const told: string[] = [];
    const got = resolveCredential({ server: 'http://localhost:4000', source: 'remote_debug', env: {}, config: {}, onDemoKey: (m) => told.push(m) });
    expect(got).toEqual({ kind: 'key', key: DEMO_SOURCES.remote_debug.signKey, origin: 'demo' });
    expect(told[0]).toMatch(/public demo key of source "remote_debug"/);
    for (const server of ['https://im.example.com', 'http://10.0.0.5:4000', 'http://127.0.0.1.example.com']) {
      expect(() => resolveCredential({ server, source: 'remote_debug', env: {}, config: {} })).toThrow(/only with a server on this machine/);
    }
  });

  it('knows which servers are local and accepts host:port', () => {
    expect(['http://127.0.0.1:4000', 'http://localhost', 'http://[::1]:4000', 'http://127.8.0.1', 'http://app.localhost'].every(isLocalServer)).toBe(true);
    expect(['http://192.168.1.2', 'https://example.com', 'http://localhost.evil.com'].some(isLocalServer)).toBe(false);
    expect(parseServerUrl('127.0.0.1:4517')).toBe('http://127.0.0.1:4517');
    expect(parseServerUrl('https://im.example.com/')).toBe('https://im.example.com');
    expect(() => parseServerUrl('ftp://x')).toThrow(/http:\/\/ or https:\/\//);
  });

  it('reads durations and dates for --since, whole numbers for --tail', () => {
    const now = Date.UTC(2026, 10, 26, 12);
    expect(parseSince('5m', now)).toBe(now - 300_000);
    expect(parseSince('1h30m', now)).toBe(now - 5_400_000);
    expect(parseSince('2026-11-26T10:00:00Z', now)).toBe(Date.UTC(2026, 10, 26, 10));
    expect(() => parseSince('yesterday', now)).toThrow(/30s, 5m, 2h, 1d/);
    expect(parsePositiveInt('20', '--tail')).toBe(20);
    expect(() => parsePositiveInt('-3', '--tail')).toThrow(/--tail must be a positive whole number/);
  });

  it('splits and merges --room values', () => {
    expect(parseRooms(['a', 'b,c', ' a '])).toEqual(['a', 'b', 'c']);
    expect(() => parseRooms([])).toThrow(/--room/);
  });

  it('reads the config file, and names a wrong key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'im-debug-cfg-'));
    const good = path.join(dir, 'im-debug.json');
    writeFileSync(good, JSON.stringify({ server: 'https://im.example.com', keys: { shop: 'k' } }));
    expect(loadViewerConfig(good, {}).config).toEqual({ server: 'https://im.example.com', keys: { shop: 'k' } });
    // The default place is $XDG_CONFIG_HOME/im-debug.json; a missing default file is no error.
    expect(loadViewerConfig(undefined, { XDG_CONFIG_HOME: dir }).path).toBe(good);
    expect(loadViewerConfig(undefined, { XDG_CONFIG_HOME: path.join(dir, 'none') }).config).toEqual({});
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ sever: 'typo' }));
    expect(() => loadViewerConfig(bad, {})).toThrow(/sever/);
    expect(() => loadViewerConfig(path.join(dir, 'missing.json'), {})).toThrow(/cannot read config file/);
  });
});
