import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  NONCE_PATTERN,
  legacyConnectSign,
  legacyNotifySign,
  newNonce,
  secretsEqual,
  signRequest,
  signsEqual,
  strongConnectCanonical,
  strongConnectSign,
  strongNotifyCanonical,
  strongNotifySign,
} from '../../packages/signing';

const key = 'k3y-for-tests';

describe('strong signs', () => {
  it('uses a delimited canonical string with a version tag and the kind', () => {
    const f = { source: 'shop', roomIds: 'r1,r2', userid: '42', ts: 1700000000, nonce: 'abcdefgh' };
    expect(strongConnectCanonical(f)).toBe('im-v2\nconnect\nshop\nr1,r2\n42\n1700000000\nabcdefgh');
    const expected = createHmac('sha256', key).update('im-v2\nconnect\nshop\nr1,r2\n42\n1700000000\nabcdefgh').digest('hex');
    expect(strongConnectSign(key, f)).toBe(expected);
  });

  it('covers the SHA-256 of the notify data, so data of any size or shape signs the same way', () => {
    const data = '{"a":"line1\\nline2"}\n';
    const f = { source: 'shop', roomId: 'r1', data, ts: '1700000000', nonce: 'abcdefgh' };
    const hash = createHash('sha256').update(data).digest('hex');
    expect(strongNotifyCanonical(f)).toBe(`im-v2\nnotify\nshop\nr1\n${hash}\n1700000000\nabcdefgh`);
    expect(strongNotifySign(key, f)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with every signed field', () => {
    const base = { source: 's', roomIds: 'r', userid: 'u', ts: 1, nonce: 'nonce-001' };
    const sign = strongConnectSign(key, base);
    for (const change of [{ source: 't' }, { roomIds: 'r2' }, { userid: 'v' }, { ts: 2 }, { nonce: 'nonce-002' }]) {
      expect(strongConnectSign(key, { ...base, ...change })).not.toBe(sign);
    }
    expect(strongConnectSign('other-key', base)).not.toBe(sign);
  });

  it('cannot be shifted between fields: line breaks are refused', () => {
    // Without the refusal "r1\nu1" + "x" and "r1" + "u1\nx" would sign the same string.
    expect(() => strongConnectSign(key, { source: 's', roomIds: 'r1\nu1', userid: 'x', ts: 1, nonce: 'nonce-001' })).toThrow(/line break/);
    expect(() => strongConnectSign(key, { source: 's', roomIds: 'r1', userid: 'u1\nx', ts: 1, nonce: 'nonce-001' })).toThrow(/line break/);
  });

  it('signRequest gives the wire fields for both schemes', () => {
    const strong = signRequest({ kind: 'connect', source: 's', roomIds: 'r1', userid: 'u', signKey: key, ts: 10, nonce: 'nonce-001' });
    expect(strong).toEqual({
      source: 's',
      room_ids: 'r1',
      userid: 'u',
      sign_type: 'hmac-sha256',
      ts: '10',
      nonce: 'nonce-001',
      sign: strongConnectSign(key, { source: 's', roomIds: 'r1', userid: 'u', ts: 10, nonce: 'nonce-001' }),
    });
    const legacy = signRequest({ kind: 'notify', source: 's', roomId: 'r1', data: 'd', signKey: key, scheme: 'legacy' });
    expect(legacy).toEqual({ source: 's', room_id: 'r1', data: 'd', sign: legacyNotifySign('s', 'r1', 'd', key) });
    const fresh = signRequest({ kind: 'notify', source: 's', roomId: 'r1', data: 'd', signKey: key });
    expect(fresh.nonce).toMatch(NONCE_PATTERN);
    expect(Math.abs(Number(fresh.ts) - Date.now() / 1000)).toBeLessThan(5);
    expect(newNonce()).not.toBe(newNonce());
    expect(signRequest({ kind: 'connect', source: 's', roomIds: 'r', userid: 'u', signKey: key, scheme: 'legacy' }).sign).toBe(
      legacyConnectSign('s', 'r', key),
    );
  });
});

describe('constant-time comparison', () => {
  it('secretsEqual is exact: case and length matter', () => {
    expect(secretsEqual('Admin-Key-0123456789', 'Admin-Key-0123456789')).toBe(true);
    expect(secretsEqual('Admin-Key-0123456789', 'admin-key-0123456789')).toBe(false);
    expect(secretsEqual('Admin-Key-0123456789', 'Admin-Key-012345678')).toBe(false);
    expect(secretsEqual('x', '')).toBe(false);
  });

  it('signsEqual folds hex case only', () => {
    const s = legacyConnectSign('a', 'b', 'c');
    expect(signsEqual(s, s.toUpperCase())).toBe(true);
    expect(signsEqual(s, `${s}0`)).toBe(false);
  });
});
