import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'presence-instance.ts');

export interface ChildInstance {
  child: ChildProcess;
  port: number;
  url: string;
  instance: string;
  /** SIGKILL: no shutdown code runs, nothing is cleaned up. Resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Starts a server in a child process (config merged over the demo config); resolves once it listens. */
export async function spawnInstance(config: Record<string, unknown>, ms = 20_000): Promise<ChildInstance> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child server did not start in ${ms} ms: ${stderr}`)), ms);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child server exited with ${code}: ${stderr}`));
    });
  });
  const { port, instance } = JSON.parse(first) as { port: number; instance: string };
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    instance,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
