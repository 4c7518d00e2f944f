import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newLinkCommand, refusalNotice } from '../../debug-viewer/refusal';
import { operatorSign, legacyConnectSign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { browserCommand, buildOpenLink } from '../../terminal-viewer/commands/open';
import type { CliIo } from '../../terminal-viewer/commands/io';

const io = (env: Record<string, string> = {}) =>
  ({ env: { XDG_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'im-open-unit-')), ...env } }) as unknown as CliIo;
const NOW = Date.UTC(2026, 10, 26, 10, 0, 0);
const fragment = (url: string) => Object.fromEntries(new URLSearchParams(new URL(url).hash.slice(1)));

describe('buildOpenLink', () => {
  it('debug: the demo key for a local server, the md5 sign in the fragment', () => {
    const link = buildOpenLink('debug', {}, io(), NOW);
    expect(link.url).toBe(`http://127.0.0.1:4000/debug#source=remote_debug&room=console-log&sign=${legacyConnectSign('remote_debug', 'console-log', DEMO_SOURCES.remote_debug.signKey)}`);
    expect(link.singleUse).toBe(false);
    expect(link.notes.join('\n')).toMatch(/public demo key/);
  });

  it('monitor: an operator sign for "monitor" valid for the window, said with its end', () => {
    const link = buildOpenLink('monitor', { source: 'demo', room: 'lobby' }, io(), NOW);
    const ts = String(NOW / 1000);
    expect(fragment(link.url)).toEqual({ source: 'demo', ts, sign: operatorSign(DEMO_SOURCES.demo.signKey, 'monitor', 'demo', '', ts), room: 'lobby' });
    expect(link.expiresAt).toBe(NOW + 300_000);
    expect(link.notes[1]).toContain('link valid until 2026-11-26 10:05:00 UTC (ts ± 300 s');
    expect(link.notes[1]).toContain('New link: im-debug open monitor --source demo --room lobby');
    const custom = buildOpenLink('monitor', { source: 'demo', window: '60' }, io(), NOW);
    expect(custom.expiresAt).toBe(NOW + 60_000);
  });

  it('monitor with an old ts: says it is expired already', () => {
    const link = buildOpenLink('monitor', { source: 'demo', ts: String(NOW / 1000 - 301) }, io(), NOW);
    expect(link.notes.join('\n')).toContain('this link expired at 2026-11-26 09:59:59 UTC');
  });

  it('debug --strong: a single-use sign with its ts, nonce and userid in the fragment', () => {
    const link = buildOpenLink('debug', { strong: true, userid: 'ops-1', source: 'shop', signKey: 'k', server: 'https://im.example.com' }, io(), NOW);
    const f = fragment(link.url);
    expect(f).toMatchObject({ source: 'shop', room: 'console-log', userid: 'ops-1', sign_type: 'hmac-sha256', ts: String(NOW / 1000) });
    expect(f.nonce).toMatch(/^[\w-]{8,64}$/);
    expect(link.singleUse).toBe(true);
    expect(link.notes[0]).toContain('New link: im-debug open debug --source shop --server https://im.example.com --strong');
  });

  it('needs a key for a server elsewhere, and refuses bad input clearly', () => {
    expect(() => buildOpenLink('debug', { server: 'https://im.example.com' }, io(), NOW)).toThrow(/no sign key for source "remote_debug"/);
    expect(() => buildOpenLink(undefined, {}, io(), NOW)).toThrow(/debug\|monitor/);
    expect(() => buildOpenLink('monitor', { ts: 'soon' }, io(), NOW)).toThrow(/--ts is Unix time/);
    expect(() => buildOpenLink('monitor', { window: '0' }, io(), NOW)).toThrow(/--window/);
    expect(() => buildOpenLink('monitor', { strong: true }, io(), NOW)).toThrow(/--strong is for \/debug/);
    expect(() => buildOpenLink('debug', { room: 'a b' }, io(), NOW)).toThrow(/one room id/);
  });

  it('takes the key from IM_SIGN_KEY, like tail', () => {
    const link = buildOpenLink('debug', { source: 'shop', server: 'https://im.example.com' }, io({ IM_SIGN_KEY: 'k' }), NOW);
    expect(fragment(link.url).sign).toBe(legacyConnectSign('shop', 'console-log', 'k'));
  });
});

describe('browserCommand', () => {
  it('prefers $BROWSER, then the platform opener', () => {
    expect(browserCommand({ BROWSER: '/usr/bin/firefox' }, 'linux')).toMatchObject({ file: '/usr/bin/firefox' });
    expect(browserCommand({}, 'darwin')).toMatchObject({ file: 'open' });
    expect(browserCommand({}, 'win32')).toMatchObject({ file: 'rundll32', args: ['url.dll,FileProtocolHandler'] });
    expect(browserCommand({ PATH: '/nonexistent' }, 'linux')).toBeUndefined();
  });
});

describe('/debug refusal notices', () => {
  const t = { server: 'http://127.0.0.1:4000', source: 'remote_debug', room: 'console-log', sign: 'x' };
  it('names the refusal and the command for a new link', () => {
    expect(refusalNotice({ code: 'BAD_SIGN', message: 'sign verify failed!' }, t)).toEqual({
      status: 'sign refused: sign verify failed!',
      notice: expect.stringContaining('Get a new link: im-debug open debug (or type a sign above).'),
    });
    expect(refusalNotice({ code: 'REPLAYED_SIGN', message: 'used' }, { ...t, signType: 'hmac-sha256' }).status).toMatch(/^link already used/);
    expect(refusalNotice({ code: 'STALE_TIMESTAMP', message: 'ts is 900 s away' }, t).status).toBe('link expired: ts is 900 s away');
    expect(refusalNotice({ code: 'BAD_SIGN', message: 'source x requires strong signs: …' }, t).notice).toContain('--strong');
    expect(refusalNotice({ code: 'FORBIDDEN', message: 'nope' }, t)).toEqual({ status: 'refused: nope', notice: '' });
    expect(newLinkCommand({ server: 'https://im.example.com/', source: 'shop', room: 'orders' })).toBe('im-debug open debug --source shop --room orders --server https://im.example.com');
  });
});
