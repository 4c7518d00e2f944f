import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

interface LoadedModule {
  exports: unknown;
  id: string;
  filename: string;
  loaded: boolean;
}

/** Where a relative require() of a CommonJS file points, the way Node resolves it. */
function resolveFile(from: string, id: string): string {
  const base = path.resolve(path.dirname(from), id);
  for (const candidate of [base, `${base}.js`, `${base}.cjs`, `${base}.json`, path.join(base, 'index.js')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next form
    }
  }
  throw Object.assign(new Error(`Cannot find module '${id}' required from ${from}`), { code: 'MODULE_NOT_FOUND' });
}

/**
 * Loads a file as CommonJS whatever the nearest package.json says. Node treats a `.js` file
 * under a `"type": "module"` package (this repository) as ESM, where `module.exports` does
 * not exist, and require() refuses it; the original's config files are CommonJS wherever an
 * operator keeps them. So the file is compiled with the CommonJS wrapper itself, and its own
 * relative requires (config.js → ./config/local) go through the same loader; packages and
 * Node's built-ins go through Node's require.
 */
export function loadCommonJs(file: string, cache: Map<string, LoadedModule> = new Map()): unknown {
  const filename = path.resolve(file);
  const cached = cache.get(filename);
  if (cached) return cached.exports;
  const text = readFileSync(filename, 'utf8');
  if (filename.endsWith('.json')) {
    const value: unknown = JSON.parse(text);
    cache.set(filename, { exports: value, id: filename, filename, loaded: true });
    return value;
  }
  const module: LoadedModule = { exports: {}, id: filename, filename, loaded: false };
  cache.set(filename, module);
  const nodeRequire = createRequire(filename);
  const localRequire = Object.assign(
    (id: string) =>
      id.startsWith('./') || id.startsWith('../') || path.isAbsolute(id) ? loadCommonJs(resolveFile(filename, id), cache) : nodeRequire(id),
    { resolve: nodeRequire.resolve, cache: {} },
  );
  // A "#!" line is valid at the top of a CommonJS file but not inside a function body.
  const body = text.startsWith('#!') ? `//${text}` : text;
  const fn = vm.compileFunction(body, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
  fn.call(module.exports, module.exports, localRequire, module, filename, path.dirname(filename));
  module.loaded = true;
  return module.exports;
}
