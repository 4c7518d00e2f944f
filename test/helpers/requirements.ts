import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';

export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const sock = createConnection({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

function loud(message: string): void {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n!! SKIPPED: ${message}\n${bar}\n\n`);
}

/**
 * True when Redis answers. Outside CI a missing Redis skips (loudly); in CI it is a failure,
 * because CI must run every test.
 */
export async function requireRedis(): Promise<boolean> {
  if (await redisAnswers(REDIS_URL)) return true;
  const msg = `Redis is not answering at ${REDIS_URL}. Install and start it: apt-get install -y redis-server && redis-server --daemonize yes --port 6379 --save "" --appendonly no`;
  if (IN_CI) throw new Error(msg);
  loud(msg);
  return false;
}

/** True when a redis-server binary exists (for tests that start a private one). */
export function hasRedisServerBinary(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when Chromium is installed; the same CI rule as requireRedis. */
export function requireChromium(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const msg = `Chromium not found at ${CHROMIUM_PATH}. Install it: apt-get install -y chromium (never a downloaded browser)`;
  if (IN_CI) throw new Error(msg);
  loud(msg);
  return false;
}
