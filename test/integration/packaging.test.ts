import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SOURCES } from '../../server/config';

/**
 * What a user gets from `npm pack` + `npm install ./x.tgz`: the workspaces packed, installed into
 * an empty global prefix and an empty app, both in temporary folders outside the repository (so
 * nothing resolves from its node_modules), and run from there: the compiled server and CLI, the
 * SDK by its package name from ESM and CommonJS, its types through tsc (NodeNext).
 * Third-party dependencies come from the npm registry (or its cache: --prefer-offline).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INSTALL_MS = 12 * 60_000;
const ROOT_PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
const WORKSPACES = ROOT_PKG.workspaces.map((dir) => ({ dir, ...(JSON.parse(readFileSync(path.join(ROOT, dir, 'package.json'), 'utf8')) as { name: string; version: string }) }));
const byDir = (dir: string) => WORKSPACES.find((w) => w.dir === dir)!;
const SERVER = byDir('server');
const CLI = byDir('terminal-viewer');
const CLIENT = byDir('packages/client');
const LIBS = ['packages/client', 'packages/protocol', 'packages/signing', 'packages/log-client', 'browser-hook'].map(byDir);
const BUILT = ['server/dist/main.js', 'server/dist/worker-main.js', 'terminal-viewer/dist/cli.js', 'packages/client/dist/index.cjs', 'packages/client/dist/browser/node_im.min.js', 'browser-hook/dist/index.js'];

/** npm without the settings of the `npm test` that may have started us, nor any IM_* setting. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|NODE_PATH$|NODE_OPTIONS$|IM_|INIT_CWD$|VITEST)/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

function run(cmd: string, args: string[], cwd: string, opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: opts.env ?? cleanEnv(), timeout: opts.timeout ?? INSTALL_MS, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

const NPM_INSTALL_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/** Every node_modules/<name> folder under `dir`, nested ones included. */
function installedPackages(dir: string, found: string[] = []): string[] {
  const modules = path.join(dir, 'node_modules');
  if (!existsSync(modules)) return found;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? readdirSync(path.join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      found.push(name);
      installedPackages(path.join(modules, name), found);
    }
  }
  return found;
}

function startInstalledServer(bin: string, cwd: string, args: string[] = []): Promise<{ child: ChildProcess; url: string; output: string[] }> {
  const child = spawn(bin, ['--port', '0', ...args], { cwd, env: cleanEnv({ HOST: '127.0.0.1', LOG_DIR: path.join(cwd, 'logs'), LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`installed server did not start:\n${output.join('')}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      output.push(d.toString());
      const m = /"port":(\d+)/.exec(output.join(''));
      if (m && /listening on/.test(output.join(''))) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}`, output });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`installed server exited (${code}):\n${output.join('')}`));
    });
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('npm pack --workspaces, installed outside the repository', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'im-packaging-'));
  const tarballs = path.join(tmp, 'tarballs');
  const globalPrefix = path.join(tmp, 'global');
  const app = path.join(tmp, 'app');
  const bin = (name: string) => path.join(globalPrefix, 'bin', name);
  let packed: Array<{ name: string; filename: string; files: Array<{ path: string }> }> = [];
  let server: { child: ChildProcess; url: string; output: string[] } | undefined;
  const tarball = (name: string) => path.join(tarballs, packed.find((p) => p.name === name)!.filename);

  beforeAll(async () => {
    expect(path.relative(ROOT, tmp).startsWith('..')).toBe(true);
    // `npm test` has just built everything; run alone, this test builds what it packs.
    if (process.env.npm_lifecycle_event !== 'test' || BUILT.some((f) => !existsSync(path.join(ROOT, f)))) {
      if (!existsSync(path.join(ROOT, 'dist/browser/node_im.min.js'))) await run('npm', ['run', 'build:browser', '--silent'], ROOT);
      await run(process.execPath, ['scripts/build-packages.mjs'], ROOT);
    }
    mkdirSync(tarballs);
    const { stdout } = await run('npm', ['pack', '--workspaces', '--json', '--pack-destination', tarballs], ROOT);
    packed = JSON.parse(stdout) as typeof packed;

    await run('npm', ['install', '-g', '--prefix', globalPrefix, ...NPM_INSTALL_FLAGS, tarball(SERVER.name), tarball(CLI.name)], tmp);
    mkdirSync(app);
    await run('npm', ['init', '-y'], app);
    await run('npm', ['install', ...NPM_INSTALL_FLAGS, ...LIBS.map((l) => tarball(l.name))], app);
  }, INSTALL_MS + 4 * 60_000);

  afterAll(async () => {
    await stop(server?.child);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('packs every workspace with compiled JavaScript, declarations, README and CHANGELOG, and no TypeScript sources', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(WORKSPACES.map((w) => w.name).sort());
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      expect(files.filter((f) => /\.(ts|tsx|mts|cts)$/.test(f) && !/\.d\.(c|m)?ts$/.test(f)), p.name).toEqual([]);
      expect(files, p.name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md']));
      expect(files.some((f) => f.startsWith('dist/') && f.endsWith('.js')), p.name).toBe(true);
    }
    const client = packed.find((p) => p.name === CLIENT.name)!.files.map((f) => f.path);
    expect(client).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/node.js', 'dist/node.cjs', 'dist/browser/node_im.min.js', 'dist/browser/md5.js']));
  });

  it('installs no TypeScript runner or compiler: what is installed runs JavaScript', () => {
    const installed = [...installedPackages(path.join(globalPrefix, 'lib')), ...installedPackages(app)];
    expect(installed).toEqual(expect.arrayContaining([SERVER.name, CLI.name, CLIENT.name, 'express', 'socket.io-client']));
    expect(installed.filter((n) => ['tsx', 'esbuild', 'typescript', 'ts-node'].includes(n))).toEqual([]);
    expect(installed.filter((n) => n.startsWith('@node-socket-im/')).sort()).toEqual([...new Set([SERVER.name, CLI.name, ...LIBS.map((l) => l.name)])].sort());
  });

  it('the installed node-socket-im starts and serves /healthz, the browser SDK, /debug and /monitor', async () => {
    const help = await run(bin('node-socket-im'), ['--help'], tmp, { timeout: 60_000 });
    expect(help.stdout).toContain('Starts the node-socket-im relay server.');

    server = await startInstalledServer(bin('node-socket-im'), tmp);
    const get = async (p: string) => {
      const res = await fetch(`${server!.url}${p}`);
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
    };
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toHaveProperty('instance');
    const sdk = await get('/js/node_im.min.js');
    expect(sdk.status).toBe(200);
    expect(sdk.type).toMatch(/javascript/);
    expect(sdk.body).toContain('XIN_NODE');
    expect((await get('/js/md5.js')).status).toBe(200);
    expect((await get('/js/node_im_remote_debug.js')).status).toBe(200);
    const debug = await get('/debug');
    expect(debug.status).toBe(200);
    expect(debug.body).toContain('/js/debug-viewer.js');
    expect((await get('/js/debug-viewer.js')).status).toBe(200);
    expect((await get('/debug/debug.css')).status).toBe(200);
    expect((await get('/monitor')).status).toBe(200);
    expect((await get('/monitor/monitor-view.js')).status).toBe(200);
    expect((await get('/monitor/monitor.js')).status).toBe(200);
    expect((await get('/examples/chat.html')).status).toBe(200);
    expect((await get('/docs/protocol.md')).status).toBe(200);

    // --workers: the primary forks the compiled worker entry (no TypeScript loader).
    const cluster = await startInstalledServer(bin('node-socket-im'), tmp, ['--workers', '2']);
    try {
      const res = await fetch(`${cluster.url}/healthz`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { instance: string }).instance).toBeTruthy();
    } finally {
      await stop(cluster.child);
    }
  }, 120_000);

  it('the installed im-debug prints its version and sends a message that the installed SDK receives', async () => {
    expect(server, 'the server test ran first').toBeDefined();
    const version = await run(bin('im-debug'), ['--version'], tmp, { timeout: 60_000 });
    expect(version.stdout.trim()).toBe(CLI.version);

    // An app's ESM script, using the SDK by its package name: it connects and prints what arrives.
    writeFileSync(
      path.join(app, 'receive.mjs'),
      `import { createClient } from '${CLIENT.name}';
import { signedConnectUrl } from '${CLIENT.name}/node';
const url = signedConnectUrl({ url: process.env.SERVER, source: 'demo', signKey: process.env.KEY, rooms: 'packaging', userid: 'app', username: 'app' });
const client = createClient(url, {
  onConnect: () => console.log('connected'),
  onError: (e) => console.error('error', e.code, e.message),
  onMessage: (m) => { console.log(JSON.stringify(m)); client.close(); },
});
`,
    );
    const receiver = spawn(process.execPath, ['receive.mjs'], { cwd: app, env: cleanEnv({ SERVER: server!.url, KEY: DEMO_SOURCES.demo.signKey }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    receiver.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => receiver.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver did not connect: ${out} ${err}`)), 30_000);
      receiver.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('connected')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });

    const sent = await run(bin('im-debug'), ['send', '--server', server!.url, '--source', 'demo', '--room', 'packaging', '--data', 'from the installed im-debug'], tmp, { timeout: 60_000 });
    expect(sent.stdout + sent.stderr).not.toMatch(/error/i);
    expect(await exited, err).toBe(0);
    const message = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { source: string; room_id: string; data: unknown };
    expect(message).toMatchObject({ source: 'demo', room_id: 'packaging', data: 'from the installed im-debug' });
  }, 120_000);

  it('the libraries load by package name from ESM and CommonJS', async () => {
    const names = LIBS.map((l) => l.name);
    writeFileSync(
      path.join(app, 'load.mjs'),
      `const out = {};
for (const name of ${JSON.stringify([...names, `${CLIENT.name}/node`])}) out[name] = Object.keys(await import(name)).sort();
console.log(JSON.stringify(out));
`,
    );
    writeFileSync(
      path.join(app, 'load.cjs'),
      `const out = {};
for (const name of ${JSON.stringify([...names, `${CLIENT.name}/node`])}) out[name] = Object.keys(require(name)).sort();
const { md5 } = require('${CLIENT.name}');
out.md5 = md5('hello');
out.bundle = require('node:fs').existsSync(require.resolve('${CLIENT.name}/browser/node_im.min.js'));
console.log(JSON.stringify(out));
`,
    );
    const esm = JSON.parse((await run(process.execPath, ['load.mjs'], app, { timeout: 60_000 })).stdout) as Record<string, string[]>;
    const cjs = JSON.parse((await run(process.execPath, ['load.cjs'], app, { timeout: 60_000 })).stdout) as Record<string, unknown>;
    expect(esm[CLIENT.name]).toEqual(expect.arrayContaining(['createClient', 'md5', 'createCatchUp', 'createSendQueue', 'createLegacyApi']));
    expect(esm[`${CLIENT.name}/node`]).toEqual(expect.arrayContaining(['signedConnectUrl', 'connectSigned', 'notify']));
    expect(esm['@node-socket-im/protocol']).toEqual(expect.arrayContaining(['ERROR_CODES', 'ImError']));
    expect(esm['@node-socket-im/signing']).toEqual(expect.arrayContaining(['signRequest']));
    expect(esm['@node-socket-im/log-client']).toEqual(expect.arrayContaining(['createRemoteLogger']));
    expect(esm['@node-socket-im/browser-hook']).toEqual(expect.arrayContaining(['install']));
    for (const name of [...names, `${CLIENT.name}/node`]) expect(cjs[name], name).toEqual(esm[name]);
    expect(cjs.md5).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(cjs.bundle).toBe(true);
  }, 120_000);

  it('the SDK types check with tsc (NodeNext) from ESM and CommonJS, and catch a wrong call', async () => {
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const compilerOptions = { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: false, types: [] };
    const check = async (files: Record<string, string>) => {
      const dir = mkdtempSync(path.join(app, 'types-'));
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: Object.keys(files) }));
      return run(process.execPath, [tsc, '-p', dir], dir, { timeout: 120_000 }).then(
        () => '',
        (e: Error) => e.message,
      );
    };
    const good = await check({
      'esm.mts': `import { createClient, md5, type ImClient, type Message } from '${CLIENT.name}';
import { signedConnectUrl } from '${CLIENT.name}/node';
import { ERROR_CODES, type ErrorCode } from '@node-socket-im/protocol';
import { createRemoteLogger } from '@node-socket-im/log-client';
const url: string = signedConnectUrl({ url: 'http://127.0.0.1:4000', source: 'demo', signKey: 'k', rooms: ['a'], userid: 'u', username: 'u' });
const client: ImClient = createClient(url, { onMessage: (m: Message) => console.log(m.room_id, m.data) });
const sign: string = md5('x');
const code: ErrorCode = ERROR_CODES[0];
void client.send({ hello: 1 }, 'a');
void [sign, code, createRemoteLogger];
`,
      'cjs.cts': `import { createClient, type ImClient } from '${CLIENT.name}';
import { notify } from '${CLIENT.name}/node';
const client: ImClient = createClient('http://127.0.0.1:4000');
void [client, notify];
`,
    });
    expect(good).toBe('');
    const bad = await check({ 'bad.mts': `import { createClient } from '${CLIENT.name}';\ncreateClient(42);\n` });
    expect(bad).toMatch(/bad\.mts.*error TS2345/);
  }, 240_000);
});
