import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_CI } from './requirements';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** True when nginx is installed; outside CI a missing nginx skips loudly, in CI it fails. */
export function requireNginx(): boolean {
  if (existsSync(NGINX_PATH)) return true;
  const msg = `nginx not found at ${NGINX_PATH}. Install it: apt-get install -y nginx`;
  if (IN_CI) throw new Error(msg);
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n!! SKIPPED: ${msg}\n${bar}\n\n`);
  return false;
}

/** The README's nginx example, exactly as documented (the first ```nginx block). */
export function readmeNginxBlock(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /```nginx\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no ```nginx block');
  return m[1]!;
}

/**
 * The README's configuration with only addresses, ports and the TLS lines changed: its upstream
 * `server` lines point at `upstreamPorts` on 127.0.0.1 (lines beyond them are dropped), and it
 * listens on 127.0.0.1:`listenPort` in plain HTTP.
 */
export function renderReadmeNginx(upstreamPorts: number[], listenPort: number): string {
  let i = 0;
  const lines = readmeNginxBlock()
    .split('\n')
    .flatMap((line) => {
      const server = /^(\s*server\s+)\d+\.\d+\.\d+\.\d+:\d+(.*)$/.exec(line);
      if (server) return i < upstreamPorts.length ? [`${server[1]}127.0.0.1:${upstreamPorts[i++]}${server[2]}`] : [];
      if (/^\s*listen\s+443\s+ssl;/.test(line)) return [line.replace(/listen\s+443\s+ssl;/, `listen 127.0.0.1:${listenPort};`)];
      if (/^\s*#?\s*ssl_/.test(line)) return [];
      return [line];
    });
  if (i !== upstreamPorts.length) throw new Error(`README nginx block has ${i} upstream servers, need ${upstreamPorts.length}`);
  return lines.join('\n');
}

export interface NginxProcess {
  url: string;
  port: number;
  config: string;
  stop(): Promise<void>;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Runs nginx in the foreground with `httpBlock` inside `http {}`, everything in a temp folder. */
export async function startNginx(httpBlock: string, port: number, ms = 10_000): Promise<NginxProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'im-nginx-'));
  mkdirSync(path.join(dir, 'logs'));
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  const config = [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    // As root, workers would switch to `nobody`, who cannot write in our 0700 temp folder.
    process.getuid?.() === 0 ? 'user root;' : '',
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(dir, 'logs/error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `  access_log off;`,
    `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
    httpBlock,
    '}',
  ].join('\n');
  writeFileSync(path.join(dir, 'nginx.conf'), config);
  const child: ChildProcess = spawn(NGINX_PATH, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = Date.now() + ms;
  // nginx prints nothing when it is ready: wait until its port accepts, or it exits.
  while (!(await portAnswers(port))) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}\n${config}`);
    if (Date.now() > end) throw new Error(`nginx did not listen on ${port} in ${ms} ms: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    config,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
