import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const IM_DEBUG_BIN = path.join(ROOT, 'terminal-viewer/bin/im-debug.js');

export interface ImDebugProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with stdout's lines once `count` have arrived. */
  stdoutLines(count: number, ms?: number): Promise<string[]>;
  /** Resolves with the first stdout line that matches. */
  stdoutLine(match: RegExp, ms?: number): Promise<string>;
  /** Resolves with the first stderr line that matches. */
  stderrLine(match: RegExp, ms?: number): Promise<string>;
  /** Resolves with the exit code (or the signal) and everything printed. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the real `im-debug` binary (terminal-viewer/bin/im-debug.js) as a child process, with
 * an environment free of the caller's IM_* settings and config file, and reads its output
 * line by line: waiting is on lines arriving, never on time.
 */
export function runImDebug(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): ImDebugProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('IM_')) delete env[k];
  Object.assign(env, { XDG_CONFIG_HOME: mkdtempSync(path.join(tmpdir(), 'im-debug-home-')), NO_COLOR: '1' }, opts.env);
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [IM_DEBUG_BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  else child.stdin!.end();
  const events = new EventEmitter();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const split = (stream: NodeJS.ReadableStream, into: string[]) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      into.push(...parts);
      events.emit('line');
    });
    stream.on('end', () => {
      if (rest) into.push(rest);
      rest = '';
      events.emit('line');
    });
  };
  split(child.stdout!, stdout);
  split(child.stderr!, stderr);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      done = true;
      events.emit('line');
      resolve({ code, signal });
    });
  });
  const dump = () => `\n--- stdout ---\n${stdout.join('\n')}\n--- stderr ---\n${stderr.join('\n')}`;

  const waitFor = <T>(check: () => T | undefined, what: string, ms: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const test = () => {
        const got = check();
        if (got !== undefined) {
          cleanup();
          resolve(got);
        } else if (done) {
          cleanup();
          reject(new Error(`im-debug exited before ${what}${dump()}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}${dump()}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        events.off('line', test);
      };
      events.on('line', test);
      test();
    });

  return {
    child,
    stdout,
    stderr,
    exited,
    stdoutLines: (count, ms = 20_000) => waitFor(() => (stdout.length >= count ? stdout.slice(0, count) : undefined), `${count} stdout lines`, ms),
    stdoutLine: (match, ms = 20_000) => waitFor(() => stdout.find((l) => match.test(l)), `stdout ${match}`, ms),
    stderrLine: (match, ms = 20_000) => waitFor(() => stderr.find((l) => match.test(l)), `stderr ${match}`, ms),
    async stop() {
      if (!done) child.kill('SIGTERM');
      return exited;
    },
  };
}
