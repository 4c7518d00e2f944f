import { describe, expect, it } from 'vitest';
import { ROOM_PATTERN } from '../../server/config/security';
import { checkRooms, roomAllowed } from '../../server/security/rights';
import { clientIp } from '../../server/security/client-ip';

const anyone = { userid: '7', userBound: false, joined: [] as string[] };
const strong7 = { userid: '7', userBound: true, joined: ['lobby'] };

describe('room patterns', () => {
  it('matches exact ids and globs', () => {
    expect(roomAllowed(['lobby'], 'lobby', anyone)).toBe(true);
    expect(roomAllowed(['lobby'], 'lobby2', anyone)).toBe(false);
    expect(roomAllowed(['chat-*'], 'chat-1', anyone)).toBe(true);
    expect(roomAllowed(['chat-*'], 'chat-', anyone)).toBe(true);
    expect(roomAllowed(['chat-*'], 'xchat-1', anyone)).toBe(false);
    expect(roomAllowed(['r?'], 'r1', anyone)).toBe(true);
    expect(roomAllowed(['r?'], 'r12', anyone)).toBe(false);
    expect(roomAllowed(['*'], 'anything', anyone)).toBe(true);
    expect(roomAllowed([], 'lobby', anyone)).toBe(false);
  });

  it('treats regex characters in patterns literally', () => {
    expect(roomAllowed(['a.b'], 'axb', anyone)).toBe(false);
    expect(roomAllowed(['a.b*'], 'a.bc', anyone)).toBe(true);
    expect(roomAllowed(['a+b'], 'aab', anyone)).toBe(false);
    expect(roomAllowed(['team/*'], 'team/x/y', anyone)).toBe(true);
  });

  it('grants {userid} rooms only to strongly signed connections, matching the userid literally', () => {
    expect(roomAllowed(['user-{userid}'], 'user-7', strong7)).toBe(true);
    expect(roomAllowed(['user-{userid}'], 'user-8', strong7)).toBe(false);
    expect(roomAllowed(['user-{userid}'], 'user-7', anyone)).toBe(false);
    expect(roomAllowed(['user-{userid}'], 'user-7x', { ...strong7, userid: '7.' })).toBe(false);
    expect(roomAllowed(['user-{userid}-*'], 'user-7-inbox', strong7)).toBe(true);
    // A userid full of glob characters is still literal.
    expect(roomAllowed(['user-{userid}'], 'user-abc', { ...strong7, userid: '*' })).toBe(false);
  });

  it('{joined} means the rooms the connection joined', () => {
    expect(roomAllowed(['{joined}'], 'lobby', strong7)).toBe(true);
    expect(roomAllowed(['{joined}'], 'other', strong7)).toBe(false);
  });

  it('stays fast on star-heavy patterns', () => {
    const pattern = `${'a*'.repeat(30)}b`;
    expect(roomAllowed([pattern], 'a'.repeat(128), anyone)).toBe(false);
  });

  it('names the refused room', () => {
    expect(() => checkRooms(['chat-*'], ['chat-1', 'admin'], anyone, 'join', 'shop')).toThrow(
      'this client may not join room "admin" of source shop',
    );
  });

  it('validates patterns in the configuration', () => {
    for (const ok of ['lobby', 'chat-*', 'user-{userid}', '{joined}', 'a?b', '房间*']) expect(ROOM_PATTERN.test(ok)).toBe(true);
    for (const bad of ['', 'a b', '{joined}x', '{user}', 'a,b', 'a\n']) expect(ROOM_PATTERN.test(bad)).toBe(false);
  });
});

describe('clientIp', () => {
  it('trusts only loopback proxies, like Express with trust proxy "loopback"', () => {
    expect(clientIp('203.0.113.9', '10.0.0.1')).toBe('203.0.113.9');
    expect(clientIp('127.0.0.1', '198.51.100.4')).toBe('198.51.100.4');
    expect(clientIp('::ffff:127.0.0.1', 'spoofed, 198.51.100.4')).toBe('198.51.100.4');
    expect(clientIp('::1', undefined)).toBe('::1');
    expect(clientIp('::ffff:192.0.2.1', undefined)).toBe('192.0.2.1');
  });
});
