import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The product folders whose imports are checked (tests, benches and scripts may import anything). */
export const PRODUCT_FOLDERS = ['packages', 'server', 'browser-hook', 'terminal-viewer', 'debug-viewer'];

const SOURCE = /\.(ts|tsx|mts)$/;
// Static imports and re-exports, type-only ones included (they are loops for a reader too), and import().
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
  for (const c of [base, `${base}.ts`, `${base}.tsx`, `${base}.mts`, path.join(base, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return undefined;
}

/** File → the files it imports (relative imports only), paths relative to root. */
export function importGraph(root: string): Map<string, string[]> {
  const files: string[] = [];
  for (const f of PRODUCT_FOLDERS) if (existsSync(path.join(root, f))) walk(path.join(root, f), files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const deps = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(file, spec);
      if (target) deps.add(path.relative(root, target));
    }
    graph.set(path.relative(root, file), [...deps]);
  }
  return graph;
}

/** The strongly connected components of more than one node (Tarjan): each is an import loop. */
export function loops(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** The same graph between folders (server/socket → server/security), files' own folder links dropped. */
export function folderGraph(graph: Map<string, string[]>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const [file, deps] of graph) {
    const from = path.dirname(file);
    const set = out.get(from) ?? new Set<string>();
    out.set(from, set);
    for (const d of deps) if (path.dirname(d) !== from) set.add(path.dirname(d));
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]));
}
