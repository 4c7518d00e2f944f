// Compiles each workspace package into its own dist/ (run by `npm run build`, after rollup has
// written the browser bundles to dist/browser):
//   - JavaScript with esbuild: our own code (relative imports such as ../packages/protocol) is
//     bundled in, so a tarball needs none of our names from a registry; every bare import (an npm
//     package) stays external and must be listed in that package's dependencies (checked here).
//   - Libraries: ESM (.js) + CommonJS (.cjs); types bundled with rollup-plugin-dts (.d.ts, and
//     the same as .d.cts for `require`).
//   - The server and the CLI: ESM with code splitting (lazy commands stay lazy), the cluster
//     worker entry, and the files the server serves copied into dist/assets (server/core/assets.ts).
// Usage: node scripts/build-packages.mjs [package-dir ...]   (default: all)
import { builtinModules } from 'node:module';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BROWSER = path.join(ROOT, 'dist/browser');
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** What the server serves, from where it is in the repository to where the compiled server looks. */
const SERVER_ASSETS = [
  ['dist/browser', 'js'],
  ['examples', 'examples'],
  ['debug-viewer/index.html', 'debug-viewer/index.html'],
  ['debug-viewer/debug.css', 'debug-viewer/debug.css'],
  ['debug-viewer/source-map-worker.js', 'debug-viewer/source-map-worker.js'],
  ['docs/protocol.md', 'docs/protocol.md'],
  ['docs/migrating.md', 'docs/migrating.md'],
  ['server/presence/monitor-page', 'monitor-page'],
];

const PACKAGES = [
  { dir: 'packages/protocol', lib: { index: 'packages/protocol/index.ts' } },
  { dir: 'packages/signing', lib: { index: 'packages/signing/index.ts' } },
  { dir: 'packages/log-core', lib: { index: 'packages/log-core/index.ts' } },
  { dir: 'packages/log-client', lib: { index: 'packages/log-client/index.ts' } },
  { dir: 'packages/client', lib: { index: 'packages/client/index.ts', node: 'packages/client/node.ts' }, browser: ['node_im.min.js', 'md5.js'] },
  { dir: 'browser-hook', lib: { index: 'browser-hook/index.ts' }, browser: ['node_im_remote_debug.js'] },
  {
    dir: 'server',
    app: { index: 'server/index.ts', main: 'server/main.ts', 'worker-main': 'server/worker-main.ts' },
    types: { index: 'server/index.ts' },
    serverAssets: true,
  },
  // `im-debug serve` is the whole server, so the CLI carries it (and what it serves) too.
  { dir: 'terminal-viewer', app: { cli: 'terminal-viewer/cli.ts', 'worker-main': 'server/worker-main.ts' }, serverAssets: true },
];

/** Name of the npm package a bare import specifier belongs to (`@a/b/c` → `@a/b`, `x/y` → `x`). */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** esbuild plugin: bare imports stay external; each must be a declared dependency of the package. */
function externals(pkg, missing) {
  const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies }));
  return {
    name: 'externals',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (path.isAbsolute(args.path)) return undefined;
        if (!BUILTINS.has(args.path) && !declared.has(packageName(args.path))) missing.add(`${pkg.name}: ${packageName(args.path)} (imported by ${path.relative(ROOT, args.importer)})`);
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * A package that bundles server/engine (the server, and im-debug for `serve`) replaces private
 * methods of these packages, so it must pin them as the server does (`~`, the tested minors).
 */
const ENGINE_PINS = (() => {
  const server = JSON.parse(readFileSync(path.join(ROOT, 'server/package.json'), 'utf8'));
  return Object.fromEntries(['socket.io', 'engine.io', 'socket.io-adapter', 'ws'].map((name) => [name, server.dependencies[name]]));
})();

function enginePins(pkg, missing) {
  return {
    name: 'engine-pins',
    setup(build) {
      build.onLoad({ filter: /server[\\/]engine[\\/]check\.ts$/ }, () => {
        for (const [name, range] of Object.entries(ENGINE_PINS)) {
          if (pkg.dependencies?.[name] !== range) missing.add(`${pkg.name}: ${name} must be pinned as in server/package.json ("${range}"): it bundles server/engine`);
        }
        return undefined;
      });
    },
  };
}

function esbuildOptions(pkg, missing) {
  return {
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    jsx: 'automatic',
    legalComments: 'none',
    logLevel: 'warning',
    define: { __IM_COMPILED__: 'true', __IM_PACKAGE_VERSION__: JSON.stringify(pkg.version) },
    plugins: [externals(pkg, missing), enginePins(pkg, missing)],
  };
}

/** The declaration files' imports must resolve for a user's tsc: a declared package with types, or its @types. */
function checkTypeImports(code, pkg, missing) {
  const declared = new Set(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies }));
  for (const [, spec] of code.matchAll(/\bfrom '([^'.][^']*)'/g)) {
    if (BUILTINS.has(spec)) continue;
    const name = packageName(spec);
    const needsTypesPackage = !hasOwnTypes(name);
    if (!declared.has(needsTypesPackage ? `@types/${name.replace(/^@([^/]+)\//, '$1__')}` : name)) missing.add(`${pkg.name}: ${needsTypesPackage ? `@types/${name}` : name} (imported by its .d.ts)`);
  }
}

function hasOwnTypes(name) {
  const file = path.join(ROOT, 'node_modules', name, 'package.json');
  if (!existsSync(file)) return false;
  const meta = JSON.parse(readFileSync(file, 'utf8'));
  return Boolean(meta.types || meta.typings || JSON.stringify(meta.exports ?? {}).includes('"types"') || existsSync(path.join(ROOT, 'node_modules', name, 'index.d.ts')));
}

async function buildTypes(entries, outDir, pkg, missing) {
  for (const [name, input] of Object.entries(entries)) {
    // One rollup per entry: no shared declaration chunks, so each .d.ts (and its .d.cts copy) stands alone.
    const bundle = await rollup({
      input: path.join(ROOT, input),
      external: (id) => /^[^./]/.test(id) && !path.isAbsolute(id),
      plugins: [dts({ tsconfig: path.join(ROOT, 'tsconfig.json'), compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, noUnusedLocals: false } })],
      onwarn(warning, warn) {
        if (warning.code === 'CIRCULAR_DEPENDENCY') return;
        warn(warning);
      },
    });
    const { output } = await bundle.generate({ format: 'es' });
    await bundle.close();
    const code = output[0].code;
    checkTypeImports(code, pkg, missing);
    await writeFile(path.join(outDir, `${name}.d.ts`), code);
    await writeFile(path.join(outDir, `${name}.d.cts`), code);
  }
}

async function copyAssets(outDir, list) {
  for (const [from, to] of list) {
    const src = path.join(ROOT, from);
    if (!existsSync(src)) throw new Error(`missing ${from}: run \`npm run build\` (rollup writes dist/browser first)`);
    await mkdir(path.dirname(path.join(outDir, to)), { recursive: true });
    await cp(src, path.join(outDir, to), { recursive: true, filter: (f) => !f.endsWith('.ts') });
  }
}

async function buildPackage(spec) {
  const pkgDir = path.join(ROOT, spec.dir);
  const pkg = JSON.parse(await readFile(path.join(pkgDir, 'package.json'), 'utf8'));
  const outDir = path.join(pkgDir, 'dist');
  const missing = new Set();
  const started = Date.now();
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  if (spec.lib) {
    const entryPoints = Object.fromEntries(Object.entries(spec.lib));
    const base = esbuildOptions(pkg, missing);
    await esbuild.build({ ...base, entryPoints, outdir: outDir, format: 'esm', outExtension: { '.js': '.js' } });
    await esbuild.build({ ...base, entryPoints, outdir: outDir, format: 'cjs', outExtension: { '.js': '.cjs' } });
    await buildTypes(spec.lib, outDir, pkg, missing);
  }
  if (spec.app) {
    await esbuild.build({
      ...esbuildOptions(pkg, missing),
      entryPoints: spec.app,
      outdir: outDir,
      format: 'esm',
      splitting: true,
      // Chunks beside the entries: the code finds dist/assets and dist/worker-main.js from import.meta.url.
      chunkNames: 'chunk-[hash]',
    });
    if (spec.types) await buildTypes(spec.types, outDir, pkg, missing);
  }
  if (spec.serverAssets) await copyAssets(path.join(outDir, 'assets'), SERVER_ASSETS);
  if (spec.browser) {
    await copyAssets(outDir, spec.browser.flatMap((f) => [[`dist/browser/${f}`, `browser/${f}`], [`dist/browser/${f}.map`, `browser/${f}.map`]]));
  }
  if (missing.size) throw new Error(`imports not in package.json dependencies:\n  ${[...missing].join('\n  ')}`);
  process.stdout.write(`${pkg.name.padEnd(28)} ${spec.dir}/dist  (${Date.now() - started} ms)\n`);
}

const only = process.argv.slice(2).map((d) => d.replace(/\/+$/, ''));
const specs = only.length ? PACKAGES.filter((p) => only.includes(p.dir)) : PACKAGES;
if (only.length && specs.length !== only.length) {
  process.stderr.write(`unknown package dir in ${only.join(' ')}; known: ${PACKAGES.map((p) => p.dir).join(' ')}\n`);
  process.exit(2);
}
if (!existsSync(BROWSER)) {
  process.stderr.write('dist/browser is missing: run `npm run build` (rollup first, then this script)\n');
  process.exit(1);
}
try {
  for (const spec of specs) await buildPackage(spec);
} catch (err) {
  process.stderr.write(`build-packages: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
