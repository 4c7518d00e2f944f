import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT, type PartContext, type PartOutput } from './lib/part';
import { machineInfo, PART_NAMES, readResults, renderTextTable, writeResults, type PartName, type PartResult } from './lib/report';
import { abusePart } from './parts/abuse';
import { browserPart } from './parts/browser';
import { fanoutPart } from './parts/fanout';
import { latencyPart } from './parts/latency';
import { memoryPart } from './parts/memory';
import { pushPart } from './parts/push';
import { startupPart } from './parts/startup';
import { viewerPart } from './parts/viewer';

/**
 * npm run bench [-- PART...] [--quick]
 *
 * Runs the named parts (all by default), prints their tables and rewrites BENCHMARKS.md, keeping
 * the sections of parts that were not run. Everything is bounded: each part has a time limit,
 * and every child process dies with this one.
 */
const PARTS: Record<PartName, (ctx: PartContext) => Promise<PartOutput>> = {
  fanout: fanoutPart,
  latency: latencyPart,
  memory: memoryPart,
  browser: browserPart,
  viewer: viewerPart,
  push: pushPart,
  abuse: abusePart,
  startup: startupPart,
};

/** Per-part time limits (about twice what each takes on two idle cores)... */
const PART_LIMIT_MS: Record<PartName, number> = {
  fanout: 240_000,
  latency: 300_000,
  memory: 120_000,
  browser: 90_000,
  viewer: 60_000,
  push: 240_000,
  abuse: 240_000,
  startup: 120_000,
};
/** ...within one budget for the whole run, so that it always ends in under twenty minutes. */
const RUN_BUDGET_MS = 1_200_000;

class TimeLimit extends Error {}

const USAGE = `usage: npm run bench [-- [${PART_NAMES.join('|')}]... [--quick]]
  --quick   small counts, for trying things out (marked as such in BENCHMARKS.md)
  --no-write  print the tables but leave BENCHMARKS.md alone`;

function commandLine(args: string[]): string {
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
  return `npx tsx bench/run.ts${args.length ? ` ${args.join(' ')}` : ''}`;
}

function withLimit<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new TimeLimit(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = args.filter((a) => !a.startsWith('--') && !(PART_NAMES as readonly string[]).includes(a));
  const badFlags = args.filter((a) => a.startsWith('--') && a !== '--quick' && a !== '--no-write');
  if (unknown.length || badFlags.length) {
    process.stderr.write(`unknown part or option: ${[...unknown, ...badFlags].join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const quick = args.includes('--quick');
  const selected = PART_NAMES.filter((p) => args.includes(p));
  const parts = selected.length ? selected : [...PART_NAMES];
  const command = commandLine(args);
  const machine = machineInfo();
  const file = path.join(PROJECT_ROOT, 'BENCHMARKS.md');
  const results = readResults(file);
  const log = (m: string) => process.stderr.write(`  ${m}\n`);
  process.stderr.write(`${command}\n${machine.cores} × ${machine.cpu}, ${machine.memory}, Node ${machine.node}\n`);

  let failures = 0;
  let outOfTime = false;
  const startAll = performance.now();
  for (const part of parts) {
    const left = RUN_BUDGET_MS - (performance.now() - startAll);
    if (outOfTime || left < 10_000) {
      process.stderr.write(`\n== ${part}: skipped, the run's time budget is spent (its section keeps its earlier run)\n`);
      failures++;
      continue;
    }
    process.stderr.write(`\n== ${part}\n`);
    const start = performance.now();
    let out: PartOutput;
    try {
      out = await withLimit(PARTS[part]({ quick, log }), Math.min(PART_LIMIT_MS[part], left), part);
    } catch (err) {
      failures++;
      // A part cut off by its limit may still have processes running: stop here (they die with
      // this process) rather than measure the next part beside them.
      if (err instanceof TimeLimit) outOfTime = true;
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`  ${part} FAILED: ${err instanceof Error ? err.stack : message}\n`);
      out = { title: part, pending: `failed: ${message.split('\n')[0]}`, tables: [], targets: [], notes: [] };
    }
    const result: PartResult = {
      part,
      ...out,
      date: new Date().toISOString(),
      command,
      machine,
      seconds: (performance.now() - start) / 1000,
      quick,
    };
    results[part] = result;
    process.stdout.write(`\n## ${result.title}${result.pending ? `  (pending: ${result.pending})` : ''}\n`);
    for (const t of result.tables) process.stdout.write(`\n${renderTextTable(t)}\n`);
    for (const t of result.targets) {
      process.stdout.write(`${t.met === null ? 'PENDING' : t.met ? 'MET    ' : 'MISSED '} ${t.target}: ${t.measured} (goal ${t.goal})\n`);
    }
    if (!args.includes('--no-write')) writeResults(file, results);
  }
  process.stderr.write(`\ndone in ${((performance.now() - startAll) / 1000).toFixed(0)} s${args.includes('--no-write') ? '' : `; wrote ${path.relative(process.cwd(), file) || file}`}\n`);
  return failures ? 1 : 0;
}

// process.exit, not exitCode: a part cut off by its time limit may have left timers and children.
process.exit(await main());
