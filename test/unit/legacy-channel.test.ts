import { describe, expect, it } from 'vitest';
import { legacyNotifySign } from '../../packages/signing';
import { parseConfig } from '../../server/config';
import type { ServerContext } from '../../server/context';
import { checkLegacyMessage } from '../../server/legacy/legacy-message';
import { mapLegacyConfig, pickLegacyEnvFile } from '../../server/config/legacy';

const KEY = 'unit-test-key-0123456789';
const ctx = {
  config: parseConfig({
    adapter: { type: 'redis', url: 'redis://127.0.0.1:6379' },
    legacyRedisChannel: true,
    sources: {
      shop: { signKey: KEY },
      open: { signKey: KEY, publishMsgVerify: false },
      strict: { signKey: KEY, signing: 'strong' },
    },
  }),
} as unknown as ServerContext;

describe('checkLegacyMessage', () => {
  it('signs a numeric room_id as its text, as the original\'s "" + room_id did', () => {
    const raw = JSON.stringify({ source: 'shop', room_id: 10000020, data: 'x', sign: legacyNotifySign('shop', '10000020', 'x', KEY) });
    expect(checkLegacyMessage(ctx, raw)).toEqual({ ok: true, message: { source: 'shop', rooms: ['10000020'], data: 'x', filename: undefined } });
  });

  it('takes an empty filename as msg.log and refuses a path', () => {
    const base = { source: 'open', room_id: 'r', data: { a: 1 } };
    expect(checkLegacyMessage(ctx, JSON.stringify({ ...base, filename: '' }))).toMatchObject({ ok: true, message: { filename: 'msg.log' } });
    expect(checkLegacyMessage(ctx, JSON.stringify({ ...base, filename: 'a/b.log' }))).toMatchObject({ ok: false, reason: 'bad-filename' });
  });

  it('refuses every message of a strong-only source (the channel cannot carry a strong sign)', () => {
    const raw = JSON.stringify({ source: 'strict', room_id: 'r', data: 'x', sign: legacyNotifySign('strict', 'r', 'x', KEY) });
    expect(checkLegacyMessage(ctx, raw)).toMatchObject({ ok: false, reason: 'strong-sign-required' });
  });

  it.each([
    ['an array room_id', { source: 'open', room_id: ['a', 'b'], data: 'x' }, 'bad-room'],
    ['empty data', { source: 'open', room_id: 'r', data: '' }, 'no-data'],
    ['a bad room id', { source: 'open', room_id: 'a b', data: 'x' }, 'bad-room'],
    ['from_sys: false (the key alone marks the original relay)', { source: 'open', room_id: 'r', data: 'x', from_sys: false }, 'from-sys'],
    ['sys_info: false', { sys_info: false, source: 'open', room_id: 'r', data: 'x' }, 'sys-info'],
  ])('drops %s', (_what, msg, reason) => {
    expect(checkLegacyMessage(ctx, JSON.stringify(msg))).toMatchObject({ ok: false, reason });
  });
});

describe('mapLegacyConfig', () => {
  it('maps every key and reports the mapping in one line', () => {
    const out = mapLegacyConfig(
      { env: 'production', port: '4001', redis_config: { host: '10.0.0.5', port: 6380 }, log_dir: '/data/logs/', source_list: { a: { sign_key: 'k1234567', publish_msg_verify: false } } },
      'f.js',
    );
    expect(out.input).toEqual({
      port: 4001,
      adapter: { type: 'redis', url: 'redis://10.0.0.5:6380' },
      logDir: '/data/logs/',
      sources: { a: { signKey: 'k1234567', publishMsgVerify: false } },
    });
    expect(out.summary.split('\n')).toHaveLength(1);
    expect(out.summary).toContain('env "production" ignored');
    expect(out.warn).toBe(false);
  });

  it('picks the NODE_ENV file as the original config.js did', () => {
    expect(pickLegacyEnvFile(undefined)).toBe('local');
    expect(pickLegacyEnvFile('test')).toBe('local');
    expect(pickLegacyEnvFile('production')).toBe('production');
    expect(pickLegacyEnvFile('development')).toBe('development');
  });

  it('refuses what it cannot map', () => {
    expect(() => mapLegacyConfig({ port: 70000 }, 'f.js')).toThrow('port must be a port number');
    expect(() => mapLegacyConfig([], 'f.js')).toThrow('module.exports must be an object');
    expect(() => mapLegacyConfig({ redis_config: { host: 'a/b' } }, 'f.js')).toThrow('redis_config.host');
  });
});
