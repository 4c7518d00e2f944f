import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release, platform } from 'node:os';

export const PART_NAMES = ['fanout', 'latency', 'memory', 'browser', 'viewer', 'push', 'abuse', 'startup'] as const;
export type PartName = (typeof PART_NAMES)[number];

export interface MachineInfo {
  cores: number;
  cpu: string;
  memory: string;
  node: string;
  os: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpu: list[0]?.model.trim() ?? 'unknown',
    memory: `${Math.round(totalmem() / 1024 ** 3)} GiB`,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

export interface Table {
  caption?: string;
  header: string[];
  rows: string[][];
}

/** One target of the issue, checked against the same run. `met: null` means it could not be measured. */
export interface TargetCheck {
  target: string;
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface PartResult {
  part: PartName;
  title: string;
  /** ISO time the part finished. */
  date: string;
  command: string;
  machine: MachineInfo;
  seconds: number;
  /** Set when the part could not run (a piece it measures is not built yet). */
  pending?: string;
  /** Reduced counts (--quick): trial numbers, not the reference ones. */
  quick: boolean;
  tables: Table[];
  targets: TargetCheck[];
  /** Markdown paragraphs: method, and what holds a number back. */
  notes: string[];
}

export function renderTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| ${t.header.map(esc).join(' | ')} |`, `|${t.header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of t.rows) lines.push(`| ${row.map(esc).join(' | ')} |`);
  return (t.caption ? `${t.caption}\n\n` : '') + lines.join('\n');
}

/** The same table for a terminal: padded columns. */
export function renderTextTable(t: Table): string {
  const all = [t.header, ...t.rows];
  const widths = t.header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [t.caption ? `${t.caption}` : '', line(t.header), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)]
    .filter((l) => l !== '')
    .join('\n');
}

const DATA_START = '<!-- bench-data';
const DATA_END = '-->';

/** Results of earlier runs, kept inside BENCHMARKS.md so that running one part keeps the others. */
export function readResults(file: string): Partial<Record<PartName, PartResult>> {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, 'utf8');
  const at = text.lastIndexOf(DATA_START);
  if (at < 0) return {};
  const end = text.indexOf(DATA_END, at);
  try {
    return JSON.parse(text.slice(at + DATA_START.length, end)) as Partial<Record<PartName, PartResult>>;
  } catch {
    return {};
  }
}

function stamp(r: PartResult): string {
  const m = r.machine;
  return `_${r.date.replace('T', ' ').slice(0, 16)} UTC · \`${r.command}\` · ${m.cores} × ${m.cpu}, ${m.memory} · Node ${m.node} · ${m.os} · ${r.seconds.toFixed(0)} s${r.quick ? ' · **quick run: reduced counts, trial numbers only**' : ''}_`;
}

function mark(met: boolean | null): string {
  return met === null ? 'pending' : met ? 'met' : '**missed**';
}

export function renderMarkdown(results: Partial<Record<PartName, PartResult>>): string {
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(
    'Written by `npm run bench` (bench/run.ts); do not edit by hand. Each part records the run it ' +
      'comes from; running one part (`npm run bench -- latency`) rewrites only its section. ' +
      'Ours and the baselines are always measured in the same run, one after the other, on the same ' +
      'machine, so the ratios are the numbers to read: absolute figures move with the machine and ' +
      'with whatever else it is doing. See the README section "Benchmarks" for how to run them.',
  );
  out.push('');
  out.push('## Targets');
  out.push('');
  const rows: string[][] = [];
  for (const name of PART_NAMES) {
    const r = results[name];
    if (!r) continue;
    if (r.pending && r.targets.length === 0) rows.push([r.title, '', `pending: ${r.pending}`, 'pending']);
    for (const t of r.targets) rows.push([t.target, t.goal, t.measured, mark(t.met)]);
  }
  out.push(renderTable({ header: ['Target', 'Goal', 'Measured (same run)', 'Status'], rows }));
  for (const name of PART_NAMES) {
    const r = results[name];
    out.push('');
    if (!r) {
      out.push(`## ${name}`);
      out.push('');
      out.push(`Not run yet: \`npm run bench -- ${name}\`.`);
      continue;
    }
    out.push(`## ${r.title}`);
    out.push('');
    out.push(stamp(r));
    out.push('');
    if (r.pending) {
      out.push(`**Pending:** ${r.pending}`);
      out.push('');
    }
    for (const t of r.tables) {
      out.push(renderTable(t));
      out.push('');
    }
    for (const n of r.notes) {
      out.push(n);
      out.push('');
    }
    while (out[out.length - 1] === '') out.pop();
  }
  out.push('');
  // JSON never holds "--" outside strings; escaping it inside strings keeps the comment closed.
  out.push(`${DATA_START}\n${JSON.stringify(results).replace(/--/g, '-\\u002d')}\n${DATA_END}`);
  out.push('');
  return out.join('\n');
}

export function writeResults(file: string, results: Partial<Record<PartName, PartResult>>): void {
  writeFileSync(file, renderMarkdown(results));
}
