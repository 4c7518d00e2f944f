import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Page, type TestBrowser } from '../helpers/browser';
import { connectClient, type TestSocket } from '../helpers/connect-client';
import { requireChromium } from '../helpers/requirements';
import { runImDebug } from '../helpers/run-im-debug';
import { startServer, type TestServer } from '../helpers/start-server';
import { until } from '../helpers/wait-for';

/**
 * `im-debug open debug|monitor --print` against a real server, the links loaded in Chromium:
 * what a person sees after one command. The signs stay out of every URL the server receives.
 */
const enabled = requireChromium();
const STRONG_KEY = 'strong-source-key-for-the-open-test';

let server: TestServer;
let browser: TestBrowser;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  if (!enabled) return;
  server = await startServer({
    sources: {
      demo: { signKey: 'try4dfs%#fs!#$2334ds(%B)' },
      remote_debug: { signKey: '5iwdf$%sdfss!#$2334ds(%B)', hook: { rooms: ['console-log'] } },
      strongonly: { signKey: STRONG_KEY, signing: 'strong' },
    },
  } as never);
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await browser?.close();
  await server?.close();
});

/** Runs `im-debug open …` and returns the link (stdout) and the notes (stderr). */
async function open(args: string[], env: Record<string, string> = {}): Promise<{ url: string; notes: string }> {
  const p = runImDebug(['open', ...args, '--server', server.url], { env });
  const { code } = await p.exited;
  const notes = p.stderr.join('\n');
  expect(code, notes).toBe(0);
  expect(p.stdout.filter(Boolean)).toHaveLength(1);
  return { url: p.stdout[0]!, notes };
}

/** Every URL the page asks the server for, with the sign headers it sent. */
function recordRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => seen.push(`${r.url()} ${r.headers()['x-im-sign'] ?? ''}`));
  page.on('websocket', (ws) => seen.push(ws.url()));
  return seen;
}

const signOf = (url: string) => new URLSearchParams(new URL(url).hash.slice(1)).get('sign')!;
const urlOnly = (line: string) => line.split(' ')[0]!;

describe.runIf(enabled)('im-debug open', { timeout: 60_000 }, () => {
  it('debug --print: the /debug link shows an entry sent with im-debug send; the sign never reaches a URL', async () => {
    const { url, notes } = await open(['debug', '--print']);
    expect(url).toMatch(new RegExp(`^${server.url}/debug#source=remote_debug&room=console-log&sign=[0-9a-f]{32}$`));
    expect(notes).toMatch(/demo key/);
    expect(notes).toMatch(/does not expire/);

    const page = await browser.newPage();
    const requests = recordRequests(page);
    await page.goto(url);
    await page.waitForSelector('#status.ok');
    const send = runImDebug(['send', '--server', server.url, '--room', 'console-log', '--level', 'warn', '--data', 'hello from im-debug open']);
    expect((await send.exited).code, send.stderr.join('\n')).toBe(0);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.row .msg')).some((m) => m.textContent?.includes('hello from im-debug open')));
    expect(await page.textContent('.row.lvl-warn .msg')).toContain('hello from im-debug open');

    const sign = signOf(url);
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) expect(urlOnly(r)).not.toContain(sign);
    await page.close();
  });

  it('monitor --print: the /monitor link shows a connected user; the sign goes in headers', async () => {
    sockets.push(await connectClient(server.url, { userid: 'open-u1', username: 'Opened_Link', roomIds: 'lobby' }));
    const { url, notes } = await open(['monitor', '--source', 'demo', '--print']);
    expect(url).toMatch(new RegExp(`^${server.url}/monitor#source=demo&ts=\\d+&sign=[0-9a-f]{64}$`));
    expect(notes).toMatch(/link valid until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(ts ± 300 s/);

    const page = await browser.newPage();
    const requests = recordRequests(page);
    await page.goto(url);
    await page.waitForSelector('#status.live');
    await page.waitForSelector('#online tr[data-userid="open-u1"]');
    expect(await page.textContent('#online tr[data-userid="open-u1"] .username')).toBe('Opened_Link');
    expect(await page.textContent('#instance')).toMatch(/link valid until/);

    const sign = signOf(url);
    const stream = requests.find((r) => r.includes('/api/presence/stream'))!;
    expect(stream).toBeDefined();
    expect(stream.endsWith(` ${sign}`)).toBe(true); // in the X-Im-Sign header …
    for (const r of requests) expect(urlOnly(r)).not.toContain(sign); // … never in a URL
    // A reload within the window works again (an operator sign is not single-use).
    await page.reload();
    await page.waitForSelector('#online tr[data-userid="open-u1"]');
    await page.close();
  });

  it('an older /monitor?source=&ts=&sign= link still opens, and the page moves the sign into the fragment and headers', async () => {
    const { url } = await open(['monitor', '--source', 'demo', '--print']);
    const sign = signOf(url);
    const old = url.replace('/monitor#', '/monitor?');
    const page = await browser.newPage();
    const requests = recordRequests(page);
    await page.goto(old);
    await page.waitForSelector('#online tr[data-userid="open-u1"]');
    expect(new URL(page.url()).search).toBe('');
    expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('sign')).toBe(sign);
    const stream = requests.find((r) => r.includes('/api/presence/stream'))!;
    expect(urlOnly(stream)).not.toContain(sign);
    await page.close();
  });

  it('monitor with an old --ts: the page says the link expired and how to get a new one', async () => {
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const { url, notes } = await open(['monitor', '--source', 'demo', '--print', '--ts', old]);
    expect(notes).toMatch(/this link expired at/);
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status')).toMatch(/^link expired: ts is \d+ s away from server time \(window 300 s\)/);
    expect(await page.textContent('#notice')).toContain(`im-debug open monitor --source demo --server ${server.url}`);
    expect(await page.isVisible('#notice')).toBe(true);
    expect(await page.$$eval('#online tbody tr', (n) => n.length)).toBe(0);
    await page.close();
  });

  it('monitor with a wrong sign: the page says the sign was refused', async () => {
    const { url } = await open(['monitor', '--source', 'demo', '--print']);
    const sign = signOf(url);
    const page = await browser.newPage();
    await page.goto(url.replace(sign, sign.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))));
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status')).toMatch(/^refused: sign verify failed for monitor/);
    expect(await page.textContent('#notice')).toMatch(/The sign was refused.*im-debug open monitor --source demo/);
    await page.close();
  });

  it('debug with a wrong sign: the page says the sign was refused and how to get a new link', async () => {
    const { url } = await open(['debug', '--print']);
    const page = await browser.newPage();
    await page.goto(url.replace(/sign=[0-9a-f]{32}/, `sign=${'0'.repeat(32)}`));
    await page.waitForSelector('#status.bad');
    expect(await page.textContent('#status')).toBe('sign refused: sign verify failed!');
    expect(await page.textContent('#notice')).toContain(`im-debug open debug --server ${server.url}`);
    await page.close();
  });

  it('a strong-only source: the md5 link says to use --strong; the strong link works once and says so on reload', async () => {
    const legacy = await open(['debug', '--source', 'strongonly', '--room', 'ops', '--sign-key', STRONG_KEY, '--print']);
    const page = await browser.newPage();
    await page.goto(legacy.url);
    await page.waitForSelector('#status.bad');
    expect(await page.textContent('#notice')).toContain('accepts only strong (single-use) signs');
    expect(await page.textContent('#notice')).toContain('--strong');

    const strong = await open(['debug', '--source', 'strongonly', '--room', 'ops', '--sign-key', STRONG_KEY, '--strong', '--print']);
    expect(strong.notes).toMatch(/single use: .*Reloading the page .* refused as a replay \(REPLAYED_SIGN\)/);
    await page.goto('about:blank');
    await page.goto(strong.url);
    await page.waitForSelector('#status.ok');
    await page.reload();
    await page.waitForSelector('#status.bad');
    expect(await page.textContent('#status')).toMatch(/^link already used/);
    expect(await page.textContent('#notice')).toContain(`im-debug open debug --source strongonly --room ops --server ${server.url} --strong`);
    await page.close();
  });

  it('without --print it starts the browser ($BROWSER) with the link', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'im-open-'));
    const out = path.join(dir, 'opened.txt');
    const fake = path.join(dir, 'fake-browser.sh');
    writeFileSync(fake, `#!/bin/sh\nprintf '%s' "$1" > '${out}.tmp' && mv '${out}.tmp' '${out}'\n`);
    chmodSync(fake, 0o755);
    const p = runImDebug(['open', 'debug', '--server', server.url], { env: { BROWSER: fake } });
    expect((await p.exited).code).toBe(0);
    expect(p.stderr.join('\n')).toContain(`opened with ${fake}`);
    await until(() => existsSync(out), 10_000, 'the fake browser to run');
    expect(readFileSync(out, 'utf8')).toBe(p.stdout[0]);
  });

  it('the demo start-up banner prints a /debug link that works as it is, and the tail command', async () => {
    const serve = runImDebug(['serve', '--port', '0'], { env: { LOG_DIR: mkdtempSync(path.join(tmpdir(), 'im-banner-')), HOST: '127.0.0.1' } });
    try {
      const line = await serve.stderrLine(/Remote-debug console \(demo keys\): http/);
      const link = line.slice(line.indexOf('http'));
      const base = new URL(link).origin;
      expect(link).toBe(`${base}/debug#source=remote_debug&room=console-log&sign=5b092ffd2f7bcd3eddc9a7655600a998`);
      expect(await serve.stderrLine(/In the terminal:/)).toContain(`npx im-debug tail --room console-log --server ${base}`);
      const page = await browser.newPage();
      await page.goto(link);
      await page.waitForSelector('#status.ok');
      const send = runImDebug(['send', '--server', base, '--room', 'console-log', '--data', 'hello from the banner link']);
      expect((await send.exited).code, send.stderr.join('\n')).toBe(0);
      await page.waitForFunction(() => (document.querySelector('#list')?.textContent ?? '').includes('hello from the banner link'));
      await page.close();
    } finally {
      await serve.stop();
    }
  });

  it('has --help with examples', async () => {
    const p = runImDebug(['open', '--help']);
    expect((await p.exited).code).toBe(0);
    const text = p.stdout.join('\n');
    expect(text).toMatch(/Examples:\n {2}\$ im-debug open debug/);
    expect(text).toContain('single');
    expect(text).toContain('--print');
  });

  it('refuses a page it does not know, and a room list for /debug', async () => {
    const bad = runImDebug(['open', 'nowhere', '--print']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr.join('\n')).toContain('im-debug open debug|monitor');
    const rooms = runImDebug(['open', 'debug', '--room', 'a,b', '--print']);
    expect((await rooms.exited).code).toBe(2);
    expect(rooms.stderr.join('\n')).toContain('one room id');
  });
});
