import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, type PartContext, type PartOutput } from '../lib/part';
import { fmtBytes, fmtMs, fmtRatio, median } from '../lib/stats';

const COMPILED_MAIN = path.join(PROJECT_ROOT, 'server/dist/main.js');
const TSX = path.join(PROJECT_ROOT, 'node_modules/.bin/tsx');

interface Way {
  label: string;
  cmd: string;
  args: string[];
}

/** The installed bin runs server/dist/main.js; `npm start` runs `tsx server/main.ts`. */
const WAYS: Way[] = [
  { label: 'compiled (the installed `node-socket-im`: dist/main.js)', cmd: process.execPath, args: [COMPILED_MAIN] },
  { label: 'from source (`npm start`: tsx server/main.ts)', cmd: TSX, args: ['server/main.ts'] },
];

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => execFile(cmd, args, { cwd, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (err) => (err ? reject(err) : resolve())));
}

/** Spawn to the first 200 from /healthz, and the server's RSS then (from its /metrics). */
async function untilHealthy(way: Way, logDir: string): Promise<{ ms: number; rss: number }> {
  const started = performance.now();
  const child = spawn(way.cmd, [...way.args, '--port', '0'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', LOG_DIR: logDir, LOG_LEVEL: 'info', NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${way.label}: no listening line in 60 s`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"port":(\d+)[^\n]*listening on/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => reject(new Error(`${way.label}: exited ${code} before listening`)));
    });
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (res?.status === 200) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = performance.now() - started;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const rss = Number(/^process_resident_memory_bytes (\d+)/m.exec(metrics)?.[1] ?? NaN);
    return { ms, rss };
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

/** A whole process that loads the server's modules and exits: `--help`. */
async function helpMs(way: Way): Promise<number> {
  const started = performance.now();
  await run(way.cmd, [...way.args, '--help'], PROJECT_ROOT);
  return performance.now() - started;
}

/**
 * Start-up of the server as installed from its package (compiled JavaScript) against today's
 * `npm start` (TypeScript through tsx), alternating, after one warm-up run of each.
 */
export async function startupPart(ctx: PartContext): Promise<PartOutput> {
  const title = '8. Start-up: installed (compiled) server against `npm start` (tsx)';
  if (!existsSync(COMPILED_MAIN)) {
    ctx.log('server/dist missing: building the packages');
    if (!existsSync(path.join(PROJECT_ROOT, 'dist/browser/node_im.min.js'))) await run('npm', ['run', 'build:browser', '--silent'], PROJECT_ROOT);
    await run(process.execPath, ['scripts/build-packages.mjs', 'server'], PROJECT_ROOT);
  }
  const rounds = ctx.quick ? 3 : 7;
  const logDir = mkdtempSync(path.join(tmpdir(), 'im-bench-startup-'));
  const healthy: Array<Array<{ ms: number; rss: number }>> = WAYS.map(() => []);
  const help: number[][] = WAYS.map(() => []);
  try {
    for (const way of WAYS) {
      await untilHealthy(way, logDir); // warm-up: disk cache, tsx's transform cache
      await helpMs(way);
    }
    for (let r = 0; r < rounds; r++) {
      for (const [i, way] of WAYS.entries()) {
        healthy[i]!.push(await untilHealthy(way, logDir));
        help[i]!.push(await helpMs(way));
      }
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
  const med = WAYS.map((_, i) => ({ healthy: median(healthy[i]!.map((h) => h.ms)), rss: median(healthy[i]!.map((h) => h.rss)), help: median(help[i]!) }));
  for (const [i, way] of WAYS.entries()) ctx.log(`${way.label}: /healthz after ${fmtMs(med[i]!.healthy)} ms, --help ${fmtMs(med[i]!.help)} ms`);
  const base = med[1]!;
  return {
    title,
    tables: [
      {
        header: ['Server', 'Spawn → first /healthz 200 (median)', 'Rounds', '`--help` (whole process)', 'RSS at first /healthz', 'vs npm start'],
        rows: WAYS.map((way, i) => [
          way.label,
          `${fmtMs(med[i]!.healthy)} ms`,
          healthy[i]!.map((h) => fmtMs(h.ms)).join(' / '),
          `${fmtMs(med[i]!.help)} ms`,
          fmtBytes(med[i]!.rss),
          i === 1 ? '1.00×' : `${fmtRatio(med[i]!.healthy / base.healthy)} start, ${fmtRatio(med[i]!.help / base.help)} --help, ${fmtRatio(med[i]!.rss / base.rss)} RSS`,
        ]),
      },
    ],
    targets: [],
    notes: [
      `One instance with the demo configuration (memory adapter), \`--port 0\`, started ${rounds} times each way, alternating, after one warm-up run of each (which fills the disk cache and tsx's transform cache, as on a machine that has run it before). "Spawn → first /healthz 200" is from spawning the process to the first 200 answer of \`/healthz\` (polled every 5 ms once the listening line is printed); \`--help\` is a whole process that loads every module of the server, prints its usage and exits. RSS is the server process's \`process_resident_memory_bytes\` from its \`/metrics\` right after.`,
      'The compiled run is what `npm install -g` of the server package runs: its bin starts `dist/main.js`, one esbuild bundle of our code with the npm packages loaded from node_modules (in a checkout the bin runs the sources, so this part starts `dist/main.js` directly). `npm start` runs `tsx server/main.ts`: tsx starts a second Node process that compiles each TypeScript module on load (esbuild, cached after the first run).',
    ],
  };
}
