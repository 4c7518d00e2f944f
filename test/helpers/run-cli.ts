import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** One JSON log line of the server (pino). */
export interface CliLogLine {
  msg: string;
  level?: number;
  port?: number;
  pid?: number;
  worker?: number;
}

export interface RunningCli {
  proc: ChildProcess;
  /** Every JSON log line printed so far, in order. */
  lines: CliLogLine[];
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** The port, once the `node-socket-im listening` line is out; rejects with stderr if the process exits first. */
  listening: Promise<number>;
  /** The first log line (printed already or still to come) that `match` accepts. */
  waitLog(match: (line: CliLogLine) => boolean, what: string, ms?: number): Promise<CliLogLine>;
  /** The exit code. */
  exited: Promise<number | null>;
  /** Sends `signal` (SIGTERM: a graceful shutdown) unless the process is gone; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `server/main.ts ARGS` under tsx in its own process, as an operator starts it: on 127.0.0.1,
 * NODE_ENV=development, info logs, no Redis, no IM_CONFIG, a fresh log folder. `env` adds to
 * that environment (a value of `undefined` removes the variable).
 */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): RunningCli {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_DIR: mkdtempSync(path.join(tmpdir(), 'im-cli-')),
      REDIS_URL: '',
      IM_CONFIG: undefined,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: CliLogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as CliLogLine);
      } catch {
        // not a log line
      }
    }
    waiters.forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  function waitLog(match: (line: CliLogLine) => boolean, what: string, ms = 30_000): Promise<CliLogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out waiting for log: ${what}\n${stderr}`)), ms);
      const done = (err?: Error, hit?: CliLogLine) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (err) reject(err);
        else resolve(hit!);
      };
      const check = () => {
        const hit = lines.find(match);
        if (hit) done(undefined, hit);
      };
      waiters.add(check);
      check();
      void exited.then((code) => done(new Error(`server exited (${code}) before logging ${what}:\n${stderr}`)));
    });
  }

  const listening = waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('node-socket-im listening') && typeof l.port === 'number', 'listening').then((l) => l.port!);
  listening.catch(() => {});
  const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };
  return { proc, lines, stderr: () => stderr, listening, waitLog, exited, stop };
}
