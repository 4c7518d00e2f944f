import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md5, md5Bytes, utf8Bytes } from '../../packages/client/md5';
import { DEMO_SOURCES } from '../../server/config';

const nodeMd5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

describe('md5 (the SDK and md5.js)', () => {
  it('matches the RFC 1321 test suite', () => {
    expect(md5('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5('a')).toBe('0cc175b9c0f1b6a831c399e269772661');
    expect(md5('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(md5('message digest')).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(md5('abcdefghijklmnopqrstuvwxyz')).toBe('c3fcd3d76192e4007dfb496cca67e13b');
    expect(md5('12345678901234567890123456789012345678901234567890123456789012345678901234567890')).toBe(
      '57edf4a22be3c955ac49da2e2107b67a',
    );
  });

  it('reproduces the contract signs (the seed display page hard-codes this one)', () => {
    expect(md5('remote_debug' + 'console-log' + DEMO_SOURCES.remote_debug.signKey)).toBe('5b092ffd2f7bcd3eddc9a7655600a998');
    const key = DEMO_SOURCES.demo.signKey;
    expect(md5('demo' + 'room1,room2,room3,room4' + 'test' + key)).toBe(nodeMd5(`demoroom1,room2,room3,room4test${key}`));
  });

  it('hashes UTF-8 like node:crypto: Chinese text, emoji, lone surrogates', () => {
    for (const text of ['退出群聊', '中文房间,room2', '😀🎉👍🏽', 'a\u0000b', '\ud800', 'x\udc00y', '\u00e9\u0301', '\u{10ffff}']) {
      expect(md5(text), JSON.stringify(text)).toBe(nodeMd5(text));
    }
  });

  it('handles every length around the 64-byte block edges and long strings', () => {
    for (let n = 0; n <= 200; n++) expect(md5('q'.repeat(n)), `length ${n}`).toBe(nodeMd5('q'.repeat(n)));
    const long = '长'.repeat(100_000) + 'end';
    expect(md5(long)).toBe(nodeMd5(long));
  });

  it('agrees with node:crypto on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => md5(s) === nodeMd5(s)), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (s) => md5(s) === nodeMd5(s)), { numRuns: 300 });
  });

  it('encodes UTF-8 byte for byte like Buffer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (s) => {
        expect(utf8Bytes(s)).toEqual([...Buffer.from(s, 'utf8')]);
      }),
    );
  });

  it('hashes raw bytes', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    expect(md5Bytes(bytes)).toBe(createHash('md5').update(bytes).digest('hex'));
  });

  it('its round constants are floor(|sin(i + 1)| × 2^32)', async () => {
    // The table is listed in the source; check it against its definition here, where Node's sin is known good.
    const source = await import('node:fs').then((fs) => fs.readFileSync(new URL('../../packages/client/md5.ts', import.meta.url), 'utf8'));
    const table = source.slice(source.indexOf('const K = ['), source.indexOf('];')).match(/0x[0-9a-f]{8}/g)!.map(Number);
    expect(table).toEqual(Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32)));
  });

  it('turns non-strings into strings as the global md5() is called with anything', () => {
    expect(md5(12345 as unknown as string)).toBe(nodeMd5('12345'));
  });
});
