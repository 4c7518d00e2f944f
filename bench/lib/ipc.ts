import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { writeHeapSnapshot } from 'node:v8';
import path from 'node:path';

/** A request from the bench driver to one of its child processes. */
interface IpcRequest {
  id: number;
  cmd: string;
  payload: unknown;
}

type IpcReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
type ReadyMessage = { type: 'ready'; info: unknown };

export interface BenchChild<Ready> {
  readonly info: Ready;
  readonly pid: number;
  /** Sends a command and waits for its answer, at most `timeoutMs`. */
  call<T = unknown>(cmd: string, payload?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the child to exit and kills it when it does not within a second. */
  stop(): Promise<void>;
}

export interface ForkOptions {
  args?: string[];
  /** Added to this process's environment; a key set to undefined is removed. */
  env?: NodeJS.ProcessEnv;
  /** Extra node flags, e.g. --expose-gc. */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
  /** Drop the child's standard output, and cursor codes from its standard error (a terminal renderer). */
  quietStdout?: boolean;
}

/**
 * Forks a TypeScript child (through tsx) and waits for its `ready` message. The child talks
 * back with serveCommands(); every call is bounded by a timeout.
 */
export async function forkChild<Ready>(script: string, opts: ForkOptions = {}): Promise<BenchChild<Ready>> {
  const proc = fork(script, opts.args ?? [], {
    execArgv: ['--import', 'tsx', ...(opts.nodeFlags ?? [])],
    env: mergeEnv(opts.env),
    stdio: ['ignore', opts.quietStdout ? 'ignore' : 'inherit', opts.quietStdout ? 'pipe' : 'inherit', 'ipc'],
  });
  proc.stderr?.on('data', (d: Buffer) => {
    const text = d.toString().replace(/\x1b\[\?25[hl]/g, '');
    if (text.trim()) process.stderr.write(text);
  });
  // A child never outlives the driver, even when the driver dies of an error.
  const killOnExit = () => proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    proc.once('exit', (code, signal) => {
      exited = true;
      process.off('exit', killOnExit);
      for (const p of pending.values()) p.reject(new Error(`${script} exited (${signal ?? code}) before answering`));
      pending.clear();
      resolve();
    }),
  );

  const info = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script} was not ready within ${opts.readyTimeoutMs ?? 20_000} ms`));
    }, opts.readyTimeoutMs ?? 20_000);
    const onMessage = (msg: ReadyMessage) => {
      if (msg?.type !== 'ready') return;
      clearTimeout(timer);
      proc.off('message', onMessage);
      resolve(msg.info as Ready);
    };
    proc.on('message', onMessage);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready`));
    });
  });

  proc.on('message', (msg: IpcReply) => {
    if (typeof msg?.id !== 'number') return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(`${script}: ${msg.error}`));
  });

  return {
    info,
    pid: proc.pid!,
    call<T>(cmd: string, payload?: unknown, timeoutMs = 60_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${script} is not running`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script}: ${cmd} took longer than ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        proc.send({ id, cmd, payload } satisfies IpcRequest);
      });
    },
    async stop() {
      if (exited) return;
      try {
        proc.send({ id: 0, cmd: 'exit', payload: null } satisfies IpcRequest);
      } catch {
        // The channel is already gone; the kill below covers it.
      }
      const timer = setTimeout(() => proc.kill('SIGKILL'), 1000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

function mergeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export type CommandHandlers = Record<string, (payload: any) => unknown>;

/**
 * The child's side: answers the driver's commands and reports ready. The child exits when the
 * driver goes away, so no server is ever left behind.
 */
export function serveCommands(handlers: CommandHandlers, readyInfo: unknown, onExit?: () => Promise<void> | void): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this script is a bench child process: run it through bench/run.ts');
  const exit = async () => {
    try {
      await Promise.race([onExit?.(), new Promise((r) => setTimeout(r, 800))]);
    } finally {
      process.exit(0);
    }
  };
  process.on('disconnect', () => void exit());
  const builtIn: CommandHandlers = {
    profileStart: () => profiler.start(),
    profileStop: (file: string) => profiler.stop(file),
    heapSnapshot: async (file: string) => {
      (globalThis as { gc?: () => void }).gc?.();
      mkdirSync(path.dirname(file), { recursive: true });
      return writeHeapSnapshot(file);
    },
  };
  const profiler = cpuProfiler();
  process.on('message', (msg: IpcRequest) => {
    if (msg?.cmd === 'exit') return void exit();
    const handler = handlers[msg?.cmd] ?? builtIn[msg?.cmd];
    if (!handler) {
      send({ id: msg?.id, ok: false, error: `unknown command ${String(msg?.cmd)}` } satisfies IpcReply);
      return;
    }
    Promise.resolve()
      .then(() => handler(msg.payload))
      .then(
        (result) => send({ id: msg.id, ok: true, result } satisfies IpcReply),
        (err: unknown) => send({ id: msg.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies IpcReply),
      );
  });
  send({ type: 'ready', info: readyInfo } satisfies ReadyMessage);
}

/** Heap and RSS after full collections (the child runs with --expose-gc). */
export async function settledMemory(): Promise<{ rss: number; heapUsed: number; external: number; arrayBuffers: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** Profiles a window of a child's life (the measured part, not its start-up): for finding why. */
function cpuProfiler() {
  let session: Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<any>((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    async start() {
      session = new Session();
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 200 });
      await post('Profiler.start');
      return true;
    },
    async stop(file: string) {
      if (!session) throw new Error('profiler not started');
      const { profile } = await post('Profiler.stop');
      session.disconnect();
      session = undefined;
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}
