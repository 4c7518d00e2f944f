import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { folderGraph, importGraph, loops } from '../helpers/import-graph';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Modules other workspaces may import by path instead of through the entry point, and why: each
 * keeps a browser bundle free of what the entry point would pull in (zod, node:crypto, Ink).
 */
const LIGHT_ENTRIES: Record<string, string> = {
  'packages/protocol/presence-limits.ts': 'the SDK clips tracking payloads without zod (node_im.min.js budget)',
  'packages/signing/legacy.ts': 'the log client signs md5 without the strong signs (node:crypto)',
  'terminal-viewer/format/network.ts': "/debug formats network rows as im-debug does, without the CLI's Ink and React",
};

/** packages/protocol/x.ts → packages/protocol; server/http/x.ts → server. */
function workspace(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'packages' ? parts.slice(0, 2).join('/') : parts[0]!;
}

describe('imports', () => {
  const graph = importGraph(ROOT);

  it('reads the product folders', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('server/create-server.ts')).toContain('server/http/app.ts');
  });

  it('have no loop between files', () => {
    expect(loops(graph)).toEqual([]);
  });

  it('have no loop between the workspaces (packages/*, server, browser-hook, terminal-viewer, debug-viewer)', () => {
    const top = new Map<string, string[]>();
    for (const [file, deps] of graph) {
      const from = workspace(file);
      top.set(from, [...new Set([...(top.get(from) ?? []), ...deps.map(workspace).filter((d) => d !== from)])]);
    }
    expect(loops(top)).toEqual([]);
  });

  it('from packages/ reach only packages/ (a library never takes code from an app folder)', () => {
    const out = [...graph].flatMap(([f, deps]) => (f.startsWith('packages/') ? deps.filter((d) => !d.startsWith('packages/')).map((d) => `${f} -> ${d}`) : []));
    expect(out).toEqual([]);
  });

  it('have no loop between folders (a folder is a layer: nothing below imports it)', () => {
    expect(loops(folderGraph(graph))).toEqual([]);
  });

  it('between workspaces go through the entry point (index.ts), but for the few light modules a browser bundle takes alone', () => {
    const out = [...graph].flatMap(([f, deps]) =>
      deps.filter((d) => workspace(d) !== workspace(f) && !/\/index\.tsx?$/.test(d) && !LIGHT_ENTRIES[d]).map((d) => `${f} -> ${d}`),
    );
    expect(out).toEqual([]);
  });

  it('in server/: the socket layer does not take from routes, nor security from the socket layer', () => {
    const edges = [...graph].flatMap(([f, deps]) => deps.map((d) => `${path.dirname(f)} -> ${path.dirname(d)}`));
    expect(edges).not.toContain('server/socket -> server/http');
    expect(edges).not.toContain('server/security -> server/socket');
  });
});
