import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { legacyConnectSign, legacyNotifySign, operatorSign, signsEqual } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';

describe('legacy signs', () => {
  it('reproduces the sign the seed display page hard-codes', () => {
    expect(legacyConnectSign('remote_debug', 'console-log', DEMO_SOURCES.remote_debug.signKey)).toBe(
      '5b092ffd2f7bcd3eddc9a7655600a998',
    );
  });

  it('is md5 of the plain concatenation for notify', () => {
    const key = DEMO_SOURCES.demo.signKey;
    const expected = createHash('md5').update(`demoroom1,room2,room3,room4test${key}`).digest('hex');
    expect(legacyNotifySign('demo', 'room1,room2,room3,room4', 'test', key)).toBe(expected);
  });

  it('hashes UTF-8 text as PHP md5() does', () => {
    expect(legacyConnectSign('s', '房间', 'k')).toBe(createHash('md5').update('s房间k', 'utf8').digest('hex'));
  });
});

describe('signsEqual', () => {
  it('accepts equal signs in either case and refuses others', () => {
    const s = legacyConnectSign('a', 'b', 'c');
    expect(signsEqual(s, s)).toBe(true);
    expect(signsEqual(s, s.toUpperCase())).toBe(true);
    expect(signsEqual(s, s.slice(1))).toBe(false);
    expect(signsEqual(s, '')).toBe(false);
    expect(signsEqual(s, s.replace(/.$/, (c) => (c === '0' ? '1' : '0')))).toBe(false);
  });
});

describe('operatorSign', () => {
  it('binds action, source, subject and time', () => {
    const base = operatorSign('key', 'refresh', 'demo', 'room1', 100);
    expect(operatorSign('key', 'logs', 'demo', 'room1', 100)).not.toBe(base);
    expect(operatorSign('key', 'refresh', 'demo', 'room2', 100)).not.toBe(base);
    expect(operatorSign('key', 'refresh', 'demo', 'room1', 101)).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
});
