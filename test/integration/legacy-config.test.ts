import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { legacyNotifySign } from '../../packages/signing';
import { dropPrefix, uniquePrefix } from '../helpers/cluster';
import { postForm } from '../helpers/notify';
import { REDIS_URL, requireRedis } from '../helpers/requirements';
import { startCli, type RunningCli } from '../helpers/run-cli';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The original's layout (config.js + config/{local,development,production}.js) inside this "type": "module" repository. */
const FIXTURE = path.join(ROOT, 'test/fixtures/original-config');
const KEYS = {
  local: 'try4dfs%#fs!#$2334ds(%B)',
  development: 'dev-demo-key-0123456789',
  production: 'prod-demo-key-0123456789',
};
const hasRedis = await requireRedis();

const running: RunningCli[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop('SIGKILL');
});

/** `server/main.ts --config … --port 0` as an operator starts it, with NODE_ENV unset unless `env` sets it. */
function startWith(args: string[], env: Record<string, string | undefined>): RunningCli {
  const cli = startCli(['--port', '0', ...args], { NODE_ENV: undefined, ...env });
  running.push(cli);
  return cli;
}

const mappedLines = (cli: RunningCli) => cli.lines.filter((l) => l.msg.includes('original configuration') && l.msg.includes('mapped:'));

async function notifyWith(port: number, key: string) {
  const data = 'hello';
  return postForm(`http://127.0.0.1:${port}`, { source: 'demo', room_id: 'r1', data, sign: legacyNotifySign('demo', 'r1', data, key) });
}

describe("--config with the original's configuration files", () => {
  it('--config DIR with NODE_ENV unset picks config/local.js (the original default), says so once, warns about the demo keys', async () => {
    const cli = startWith(['--config', FIXTURE], {});
    const port = await cli.listening;
    const mapped = mappedLines(cli);
    expect(mapped).toHaveLength(1);
    expect(mapped[0]!.msg).toContain(path.join(FIXTURE, 'config', 'local.js'));
    expect(mapped[0]!.msg).toContain('NODE_ENV=(unset) picks local.js');
    expect(mapped[0]!.msg).toContain('source_list → sources demo, remote_debug');
    expect(mapped[0]!.msg).toContain('env "local" ignored');
    expect(mapped[0]!.msg).toContain('DEMO KEYS');
    expect(mapped[0]!.level).toBe(40);
    expect((await notifyWith(port, KEYS.local)).body.code).toBe(1);
  });

  it('--config DIR with NODE_ENV=development picks config/development.js: its keys sign, local.js keys do not', async () => {
    const cli = startWith(['--config', FIXTURE], { NODE_ENV: 'development' });
    const port = await cli.listening;
    expect(mappedLines(cli)[0]!.msg).toContain(path.join(FIXTURE, 'config', 'development.js'));
    expect((await notifyWith(port, KEYS.development)).body.code).toBe(1);
    const wrong = await notifyWith(port, KEYS.local);
    expect(wrong.body).toMatchObject({ code: 0, msg: 'api notify sign verify failed!' });
  });

  it.skipIf(!hasRedis)('--config config/production.js in this repository: redis_config becomes the Redis adapter', async () => {
    const prefix = uniquePrefix();
    try {
      const cli = startWith(['--config', path.join(FIXTURE, 'config/production.js')], { NODE_ENV: 'production', REDIS_PREFIX: prefix });
      const port = await cli.listening;
      const msg = mappedLines(cli)[0]!.msg;
      expect(msg).toContain('redis_config → adapter redis redis://127.0.0.1:6379');
      expect(msg).toContain('port → port 4000');
      expect(msg).not.toContain('DEMO KEYS');
      const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { adapter: string };
      expect(ready.adapter).toMatch(/^redis/);
      expect((await notifyWith(port, KEYS.production)).body.code).toBe(1);
    } finally {
      await dropPrefix(REDIS_URL, prefix);
    }
  });

  it('--config FILE outside any package (no package.json above it) loads as CommonJS too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'im-original-'));
    const file = path.join(dir, 'development.js');
    copyFileSync(path.join(FIXTURE, 'config/development.js'), file);
    const cli = startWith(['--config', file], {});
    const port = await cli.listening;
    expect(mappedLines(cli)[0]!.msg).toContain(file);
    expect((await notifyWith(port, KEYS.development)).body.code).toBe(1);
  });

  it.each([
    ['a top-level key', `{ port: 4000, sorce_list: {} }`, 'unknown key "sorce_list"'],
    [
      'a source key',
      `{ source_list: { demo: { sign_key: 'k-0123456789', publish_verify: true } } }`,
      'unknown key "source_list.demo.publish_verify"',
    ],
    ['a redis key', `{ redis_config: { host: '127.0.0.1', port: 6379, password: 'x' } }`, 'unknown key "redis_config.password"'],
    ['a wrong type', `{ source_list: { demo: { sign_key: 42 } } }`, 'source_list.demo.sign_key must be a non-empty string'],
  ])('refuses to start on %s it cannot map, naming it', async (_what, body, expected) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'im-original-bad-'));
    const file = path.join(dir, 'production.js');
    writeFileSync(file, `'use strict';\nmodule.exports = ${body};\n`);
    const cli = startWith(['--config', file], {});
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain(expected);
    expect(cli.stderr()).not.toContain('    at '); // a clear message, no stack
  });

  it('refuses a folder whose NODE_ENV file is missing, naming the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'im-original-dir-'));
    const cli = startWith(['--config', dir], { NODE_ENV: 'production' });
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('NODE_ENV=production picks production.js');
  });

  it('refuses --legacy-redis-channel without Redis, naming the key', async () => {
    const cli = startWith(['--config', FIXTURE, '--legacy-redis-channel'], {});
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('legacyRedisChannel');
  });
});
