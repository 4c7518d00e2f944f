import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { launchBrowser, type Page } from '../../test/helpers/browser';
import { CHROMIUM_ARGS } from '../../test/helpers/browser';
import { CHROMIUM_PATH } from '../../test/helpers/requirements';
import { PROJECT_ROOT, startServer, type PartContext, type PartOutput, type ServerChild } from '../lib/part';
import type { Table, TargetCheck } from '../lib/report';
import { fmtBytes, fmtRatio, median } from '../lib/stats';

const DIST = path.join(PROJECT_ROOT, 'dist/browser');
const HOOK_FILE = 'node_im_remote_debug.js';

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: PROJECT_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ ok: !err, output: `${stdout}${stderr}` }),
    );
  });
}

/** Gzip budgets as rollup.config.mjs declares them (`file: '…', budget: N * KB`). */
function budgets(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    const text = readFileSync(path.join(PROJECT_ROOT, 'rollup.config.mjs'), 'utf8');
    for (const m of text.matchAll(/file:\s*'dist\/browser\/([^']+)',\s*budget:\s*(\d+)\s*\*\s*KB/g)) out.set(m[1]!, Number(m[2]) * 1024);
  } catch {
    // No config, no budgets column.
  }
  return out;
}

function sizeTable(): Table {
  const limit = budgets();
  const files = existsSync(DIST) ? readdirSync(DIST).filter((f) => f.endsWith('.js')).sort() : [];
  return {
    caption: 'Served scripts (`/js/…`, from dist/browser):',
    header: ['Script', 'Minified', 'gzip -9', 'brotli -11', 'gzip budget'],
    rows: files.map((f) => {
      const code = readFileSync(path.join(DIST, f));
      const gz = gzipSync(code, { level: 9 }).length;
      const br = brotliCompressSync(code, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;
      const b = limit.get(f);
      return [f, fmtBytes(code.length), fmtBytes(gz), fmtBytes(br), b ? `${fmtBytes(b)} (${((gz / b) * 100).toFixed(0)} % used)` : '–'];
    }),
  };
}

interface HookRound {
  /** Per call, inside the call: what the code that logs waits for (µs). */
  bareCall: number;
  hookedCall: number;
  /** Per call, all main-thread work including the deferred part (finalize, encode, send), by CDP TaskDuration (µs). */
  bareTotal: number;
  hookedTotal: number;
}

/** The logging call measured: a format string, a number and a small object, a typical debug line. */
const LOG_ARGS = "'order %d updated', i, { id: i, items: [1, 2, 3], user: { name: 'ada', admin: false } }";

/**
 * In one page: the native console.log (kept before the hook wraps it) against the hooked one,
 * alternating, N calls each, after which the hooked round waits until the server acknowledged
 * every entry. Chrome's DevTools protocol is attached (Playwright), which makes every
 * console call cost more: the bare figure includes that.
 */
async function hookWithDevtools(page: Page, server: ServerChild, calls: number, rounds: number): Promise<HookRound[]> {
  const url = `${server.base}/bench/hook.html`;
  await page.route(url, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><title>hook bench</title><script src="/js/${HOOK_FILE}" data-autostart="false"></script>`,
    }),
  );
  await page.goto(url);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const taskSeconds = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
  };
  await page.evaluate(`(() => {
    window.__nativeLog = console.log.bind(console);
    window.__nativeFetch = window.fetch;
    window.__hook = NODE_IM_REMOTE_DEBUG.install({ bufferSize: 100000, flushDelayMs: 50 });
    window.__loop = (log, n) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) log(${LOG_ARGS});
      return performance.now() - t0;
    };
    window.__drained = (want, limitMs) => new Promise((resolve) => {
      const start = performance.now();
      const check = () => {
        const s = window.__hook.status();
        if (s.sent >= want || performance.now() - start > limitMs) resolve(s.sent);
        else setTimeout(check, 5);
      };
      check();
    });
  })()`);
  await page.waitForFunction('window.__hook.status().connected', undefined, { timeout: 10_000 });
  // Warm both paths (JIT, socket) before measuring.
  await page.evaluate(`window.__loop(window.__nativeLog, 200); window.__loop(console.log, 200); window.__drained(window.__hook.status().recorded, 5000)`);

  const out: HookRound[] = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = await taskSeconds();
    const bareMs = (await page.evaluate(`window.__loop(window.__nativeLog, ${calls})`)) as number;
    let t1 = await taskSeconds();
    const bareTotal = ((t1 - t0) * 1e6) / calls;
    t0 = await taskSeconds();
    const hooked = (await page.evaluate(`(async () => {
      const want = window.__hook.status().recorded + ${calls};
      const ms = window.__loop(console.log, ${calls});
      const sent = await window.__drained(want, 10000);
      return { ms, sent, want };
    })()`)) as { ms: number; sent: number; want: number };
    t1 = await taskSeconds();
    if (hooked.sent < hooked.want) throw new Error(`the hook sent ${hooked.sent} of ${hooked.want} entries within 10 s`);
    out.push({ bareCall: (bareMs * 1000) / calls, hookedCall: (hooked.ms * 1000) / calls, bareTotal, hookedTotal: ((t1 - t0) * 1e6) / calls });
  }
  return out;
}

interface FetchRound {
  /** µs inside the fetch() call itself (the synchronous part), per call. */
  bareCall: number;
  hookedCall: number;
  /** µs from the call to the response body read, per request (sequential, same origin). */
  bareTrip: number;
  hookedTrip: number;
}

/**
 * fetch with and without the hook (issue 17), in the page of hookWithDevtools: the native fetch
 * kept before the hook wrapped it against the wrapped one, alternating rounds. The call is timed
 * as a burst (n calls fired, then awaited) and as sequential round trips to the relay's /healthz.
 */
async function fetchCost(page: Page, calls: number, rounds: number): Promise<FetchRound[]> {
  await page.evaluate(`(() => {
    window.__burst = async (f, n) => {
      const t0 = performance.now();
      const all = [];
      for (let i = 0; i < n; i++) all.push(f('/healthz?b=' + i));
      const ms = performance.now() - t0;
      await Promise.all(all.map((p) => p.then((r) => r.text())));
      return (ms * 1000) / n;
    };
    window.__trips = async (f, n) => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await (await f('/healthz?t=' + i)).text();
      return ((performance.now() - t0) * 1000) / n;
    };
  })()`);
  const drain = `window.__drained(window.__hook.status().recorded, 10000)`;
  await page.evaluate(`(async () => { await window.__trips(window.__nativeFetch, 50); await window.__trips(fetch, 50); await ${drain}; })()`);
  const out: FetchRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const round = (await page.evaluate(`(async () => {
      const bareCall = await window.__burst(window.__nativeFetch, ${calls});
      const hookedCall = await window.__burst(fetch, ${calls});
      await ${drain};
      const bareTrip = await window.__trips(window.__nativeFetch, ${calls});
      const hookedTrip = await window.__trips(fetch, ${calls});
      await ${drain};
      return { bareCall, hookedCall, bareTrip, hookedTrip };
    })()`)) as FetchRound;
    out.push(round);
  }
  return out;
}

/**
 * Without DevTools: Chromium loads the page with --dump-dom (no debugging protocol at all), an
 * inline script times the native and the hooked console.log (in-call cost only: the sending is
 * asynchronous and the page is dumped at load) and writes the figures into the DOM.
 */
async function hookWithoutDevtools(server: ServerChild, calls: number, rounds: number): Promise<{ bare: number; hooked: number }> {
  const html = `<!doctype html><title>hook bench</title>
<script src="${server.base}/js/${HOOK_FILE}" data-autostart="false"></script>
<pre id="out"></pre>
<script>
  const nativeLog = console.log.bind(console);
  const loop = (log, n) => { const t0 = performance.now(); for (let i = 0; i < n; i++) log(${LOG_ARGS}); return (performance.now() - t0) * 1000 / n; };
  NODE_IM_REMOTE_DEBUG.install({ bufferSize: ${calls * (rounds + 1) + 1000}, flushDelayMs: 60000 });
  loop(nativeLog, 300); loop(console.log, 300);
  const bare = [], hooked = [];
  for (let r = 0; r < ${rounds}; r++) { bare.push(loop(nativeLog, ${calls})); hooked.push(loop(console.log, ${calls})); }
  document.getElementById('out').textContent = 'RESULT' + JSON.stringify({ bare, hooked }) + 'END';
</script>`;
  const pageServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  try {
    const addr = pageServer.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const args = [...CHROMIUM_ARGS.filter((a) => a !== '--headless'), '--headless', '--dump-dom', `http://127.0.0.1:${port}/`];
    const { output } = await run(CHROMIUM_PATH, args, 60_000);
    const m = /RESULT(.*?)END/s.exec(output.replace(/&quot;/g, '"'));
    if (!m) throw new Error(`no result in Chromium's --dump-dom output: ${output.slice(0, 300)}`);
    const r = JSON.parse(m[1]!) as { bare: number[]; hooked: number[] };
    return { bare: median(r.bare), hooked: median(r.hooked) };
  } finally {
    pageServer.close();
  }
}

/**
 * Browser: the remote-debug hook's cost per console.log in headless Chromium, and the size of
 * every script the server serves.
 */
export async function browserPart(ctx: PartContext): Promise<PartOutput> {
  const notes: string[] = [];
  // Build from source, so the sizes and the hook measured are this checkout's.
  const build = await run('npx', ['rollup', '-c', '--silent'], 120_000);
  if (!build.ok) {
    ctx.log(`build failed: ${build.output.trim().split('\n').slice(-3).join(' ')}`);
    notes.push(`\`npx rollup -c\` failed in this run; the sizes are of the scripts left in dist/browser by an earlier build:\n\n\`\`\`\n${build.output.trim().split('\n').slice(-8).join('\n')}\n\`\`\``);
  }
  const tables: Table[] = [sizeTable()];
  const targets: TargetCheck[] = [];
  const title = '4. Browser hook';

  const pending = !existsSync(path.join(DIST, HOOK_FILE))
    ? `dist/browser/${HOOK_FILE} is not built (browser-hook/iife.ts)`
    : !existsSync(CHROMIUM_PATH)
      ? `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium)`
      : undefined;
  if (pending) {
    targets.push({ target: 'Hook cost per console.log', goal: '≤ 3× bare', measured: `pending: ${pending}`, met: null });
    return { title, pending, tables, targets, notes };
  }

  const calls = ctx.quick ? 300 : 1000;
  const rounds = ctx.quick ? 3 : 9;
  const server = await startServer('ours', { env: { BENCH_HOOK_RATE: '1000000' } });
  let devtools: HookRound[];
  let fetches: FetchRound[];
  let plain: { bare: number; hooked: number };
  try {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      devtools = await hookWithDevtools(page, server, calls, rounds);
      fetches = await fetchCost(page, ctx.quick ? 50 : 200, rounds);
    } finally {
      await browser.close();
    }
    plain = await hookWithoutDevtools(server, ctx.quick ? 1000 : 5000, rounds);
  } finally {
    await server.stop();
  }
  const m = (k: keyof HookRound) => median(devtools.map((r) => r[k]));
  const bareCall = m('bareCall');
  const hookedCall = m('hookedCall');
  const bareTotal = m('bareTotal');
  const hookedTotal = m('hookedTotal');
  ctx.log(`devtools attached: bare ${bareCall.toFixed(1)} µs, hooked ${hookedCall.toFixed(1)} µs in the call, ${hookedTotal.toFixed(1)} µs all work`);
  ctx.log(`no devtools: bare ${plain.bare.toFixed(2)} µs, hooked ${plain.hooked.toFixed(2)} µs`);
  const us = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} µs`;
  tables.unshift({
    caption: `Cost of one \`console.log(${LOG_ARGS.replace(/'/g, '"')})\`, median of ${rounds} rounds:`,
    header: ['Chromium', 'Measured', 'Bare console.log', 'With the hook', 'Ratio'],
    rows: [
      ['DevTools protocol attached (Playwright)', 'in the call', us(bareCall), us(hookedCall), fmtRatio(hookedCall / bareCall)],
      ['DevTools protocol attached (Playwright)', 'all main-thread work, sending included', us(bareTotal), us(hookedTotal), fmtRatio(hookedTotal / bareTotal)],
      ['no DevTools (--dump-dom)', 'in the call', us(plain.bare), us(plain.hooked), fmtRatio(plain.hooked / plain.bare)],
    ],
  });
  const f = (k: keyof FetchRound) => median(fetches.map((r) => r[k]));
  const [fBareCall, fHookedCall, fBareTrip, fHookedTrip] = [f('bareCall'), f('hookedCall'), f('bareTrip'), f('hookedTrip')];
  ctx.log(`fetch: in the call bare ${fBareCall.toFixed(1)} µs, hooked ${fHookedCall.toFixed(1)} µs; round trip bare ${fBareTrip.toFixed(0)} µs, hooked ${fHookedTrip.toFixed(0)} µs`);
  tables.splice(1, 0, {
    caption: `Cost of one \`fetch('/healthz')\` (same origin, the relay itself), median of ${rounds} rounds:`,
    header: ['Measured', 'Bare fetch', 'With the hook', 'Ratio'],
    rows: [
      ['the fetch() call itself (a burst of calls, then awaited)', us(fBareCall), us(fHookedCall), fmtRatio(fHookedCall / fBareCall)],
      ['call to body read, one request at a time', us(fBareTrip), us(fHookedTrip), fmtRatio(fHookedTrip / fBareTrip)],
    ],
  });
  targets.push({
    target: 'Hook cost per fetch (call to response read)',
    goal: '≤ 1.2× bare',
    measured: `${fmtRatio(fHookedTrip / fBareTrip)} (${us(fHookedTrip)} vs ${us(fBareTrip)}); the synchronous call alone ${fmtRatio(fHookedCall / fBareCall)} (${us(fHookedCall)} vs ${us(fBareCall)})`,
    met: fHookedTrip / fBareTrip <= 1.2,
  });
  const ratio = hookedCall / bareCall;
  targets.push({
    target: 'Hook cost per console.log (in the call, DevTools attached)',
    goal: '≤ 3× bare',
    measured: `${fmtRatio(ratio)} (${us(hookedCall)} vs ${us(bareCall)}); all work ${fmtRatio(hookedTotal / bareTotal)}; without DevTools ${fmtRatio(plain.hooked / plain.bare)} (${us(plain.hooked)} vs ${us(plain.bare)})`,
    met: ratio <= 3,
  });
  notes.push(
    `Headless Chromium (${CHROMIUM_PATH}), one page served by our server, the hook loaded from \`/js/${HOOK_FILE}\` and installed with ` +
      'a large buffer so no entry is dropped. "Bare" is the native `console.log` kept before the hook wrapped it, timed in the same ' +
      `page and run, alternating with the hooked one. ${calls} calls per round under Playwright, each hooked round waiting until the ` +
      'server acknowledged every entry; "all main-thread work" is Chrome\'s TaskDuration metric over the round divided by the calls, ' +
      'so it includes the deferred part (call-site parsing, page details, JSON, the Socket.IO send).',
    'With the DevTools protocol attached (any automated browser, or a developer with DevTools open) Chrome serialises every ' +
      `console call for the inspector: a bare console.log costs ${us(bareCall)} there, against ${us(plain.bare)} in a Chromium ` +
      'that runs with no debugging protocol at all (`--dump-dom`, a visitor\'s browser), where the same hook work is a larger ' +
      'share. That row counts the in-call cost only, because the page is read out at its load event. The hook does the ' +
      'minimum in the call (argument serialisation into a bounded buffer, one `Error` for the call site) and defers the rest.',
    'fetch: the same page, the native `fetch` kept before the hook wrapped it. The wrapper does, in the call, one `Error` for the ' +
      'initiator, the URL resolved and the request headers copied; when the response comes, its headers and Content-Length, and ' +
      'the URL and headers redacted; the Resource Timing lookup, the call site and the entry\'s JSON when the batch is sent. Bodies are never read ' +
      '(`data-network-bodies` is off). Round trips go to the relay\'s `/healthz` on 127.0.0.1, the shortest real request there is, ' +
      'so the ratio is the worst case; a request to a real API takes milliseconds more on both sides.',
  );
  return { title, tables, targets, notes };
}
