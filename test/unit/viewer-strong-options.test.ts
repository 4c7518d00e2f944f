import { describe, expect, it } from 'vitest';
import { strongConnectSign } from '../../packages/signing';
import { computeSigns } from '../../terminal-viewer/commands/sign';
import type { CliIo } from '../../terminal-viewer/commands/io';
import { refuseReadyMadeSign, resolveIdentity, resolveScheme, schemeHint, strongConnectAuth } from '../../terminal-viewer/options/signing';

/** Only env matters to computeSigns; XDG_CONFIG_HOME points where no config file is, so none is read. */
const ioWith = (env: NodeJS.ProcessEnv): CliIo => ({ env: { XDG_CONFIG_HOME: '/nonexistent-im-debug', ...env } }) as unknown as CliIo;

describe('im-debug strong sign options', () => {
  it('chooses the scheme from the flag, then IM_STRONG, then the config file; legacy by default', () => {
    expect(resolveScheme(undefined, {}, {})).toEqual({ scheme: 'legacy', from: 'the default' });
    expect(resolveScheme(true, { IM_STRONG: '0' }, { strong: false })).toEqual({ scheme: 'strong', from: '--strong' });
    expect(resolveScheme(false, { IM_STRONG: '1' }, { strong: true })).toMatchObject({ scheme: 'legacy' });
    expect(resolveScheme(undefined, { IM_STRONG: '1' }, { strong: false })).toEqual({ scheme: 'strong', from: 'IM_STRONG=1' });
    expect(resolveScheme(undefined, { IM_STRONG: 'false' }, { strong: true }).scheme).toBe('legacy');
    expect(resolveScheme(undefined, { IM_STRONG: '' }, { strong: true })).toMatchObject({ scheme: 'strong', from: 'the config file ("strong": true)' });
    expect(() => resolveScheme(undefined, { IM_STRONG: 'maybe' }, {})).toThrow(/IM_STRONG must be 1 .* or 0/);
  });

  it('explains why a ready-made sign cannot be strong, and how to get out', () => {
    expect(() => refuseReadyMadeSign({ scheme: 'strong', from: '--strong' }, 'connect')).toThrow(/single-use.*--sign-key KEY/);
    expect(() => refuseReadyMadeSign({ scheme: 'strong', from: 'IM_STRONG=1' }, 'notify')).toThrow(/\(IM_STRONG=1\).*--no-strong/);
  });

  it('uses the same userid as tail: --userid, the config userid, then the user name', () => {
    expect(resolveIdentity({}, {})).toEqual({ userid: 'im-debug', username: 'im-debug' });
    expect(resolveIdentity({ user: 'ann' }, {})).toEqual({ userid: 'ann', username: 'ann' });
    expect(resolveIdentity({ user: 'ann' }, { userid: '42' })).toEqual({ userid: '42', username: 'ann' });
    expect(resolveIdentity({ user: 'ann', userid: '7' }, { userid: '42' })).toEqual({ userid: '7', username: 'ann' });
  });

  it('makes a new, valid connect sign on every call', () => {
    const next = strongConnectAuth({ source: 's', roomIds: 'a,b', userid: 'u', signKey: 'k' });
    const [a, b] = [next(), next()];
    expect(a.nonce).not.toBe(b.nonce);
    for (const f of [a, b]) {
      expect(f.sign_type).toBe('hmac-sha256');
      expect(f.sign).toBe(strongConnectSign('k', { source: 's', roomIds: 'a,b', userid: 'u', ts: f.ts, nonce: f.nonce }));
    }
  });

  it('hints at --strong or --no-strong only when the scheme is why the server refused', () => {
    expect(schemeHint('source shop requires strong signs: send sign_type=hmac-sha256 …', 'legacy')).toMatch(/add --strong/);
    expect(schemeHint('source shop accepts only legacy md5 signs', 'strong')).toMatch(/drop --strong/);
    expect(schemeHint('sign verify failed!', 'legacy')).toBe('');
    expect(schemeHint('source shop requires strong signs', 'strong')).toBe('');
  });

  it('sign --strong: ts and nonce as given, and one nonce is never used for two signs', () => {
    const io = ioWith({});
    const r = computeSigns({ source: 'shop', signKey: 'k', rooms: 'r', strong: true, ts: '1764158400', nonce: 'nonce-0001', userid: '9' }, io);
    expect(r.connect).toMatchObject({ scheme: 'strong', userid: '9', ts: '1764158400', nonce: 'nonce-0001', canonical: 'im-v2\nconnect\nshop\nr\n9\n1764158400\nnonce-0001' });
    expect(r.connect!.sign).toBe(strongConnectSign('k', { source: 'shop', roomIds: 'r', userid: '9', ts: '1764158400', nonce: 'nonce-0001' }));
    expect(new URLSearchParams(r.connect!.query).get('nonce')).toBe('nonce-0001');
    expect(() => computeSigns({ source: 'shop', signKey: 'k', rooms: 'r', room: 'r', data: 'd', strong: true, nonce: 'nonce-0001' }, io)).toThrow(/accepted once per source/);
    expect(() => computeSigns({ source: 'shop', signKey: 'k', rooms: 'r', strong: true, nonce: 'bad nonce' }, io)).toThrow(/--nonce must be/);
    expect(() => computeSigns({ source: 'shop', signKey: 'k', rooms: 'r', strong: true, ts: 'soon' }, io)).toThrow(/--ts is Unix time/);
    // IM_STRONG applies to sign too; without it the report is the legacy one, as before.
    expect(computeSigns({ source: 'shop', signKey: 'k', rooms: 'r' }, ioWith({ IM_STRONG: '1' })).connect?.scheme).toBe('strong');
    expect(computeSigns({ source: 'shop', signKey: 'k', rooms: 'r' }, io).connect).toEqual({
      room_ids: 'r',
      sign: expect.stringMatching(/^[0-9a-f]{32}$/),
      query: expect.stringContaining('userid=1&username=me&source=shop&room_ids=r&sign='),
    });
  });
});
