import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerConfigInput } from '../../server/config';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');

export interface ServerProcess {
  proc: ChildProcess;
  port: number;
  url: string;
  /** kill -9: no shutdown, no session saved, sockets cut by the OS. */
  crash(): Promise<void>;
  /** SIGTERM: graceful shutdown. */
  stop(): Promise<void>;
}

/** Runs test/helpers/server-process.ts under tsx in a child process and waits for its port. */
export async function spawnServer(config: Partial<ServerConfigInput>): Promise<ServerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'server-process.ts')], {
    cwd: ROOT,
    env: { ...process.env, IM_TEST_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        proc.stdout!.off('data', onData);
        proc.stdout!.resume();
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`server process exited (${code}) before listening:\n${stderr}`)));
  });
  const exited = () =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    async crash() {
      const done = exited();
      proc.kill('SIGKILL');
      await done;
    },
    async stop() {
      const done = exited();
      proc.kill('SIGTERM');
      await done;
    },
  };
}
