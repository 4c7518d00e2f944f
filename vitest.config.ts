import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';

/**
 * Tests run the sources. The workspace folders (packages/protocol, browser-hook, …) have a
 * package.json whose `exports` point at their built dist/, and Vite would follow it for a
 * directory import such as `../../packages/protocol`: resolve those to the folder's index.ts.
 */
function workspaceSources(): Plugin {
  return {
    name: 'workspace-sources',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.startsWith('.')) return null;
      const dir = path.resolve(path.dirname(importer), source);
      const index = path.join(dir, 'index.ts');
      return existsSync(path.join(dir, 'package.json')) && existsSync(index) ? index : null;
    },
  };
}

export default defineConfig({
  plugins: [workspaceSources()],
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here: a few forks, so real servers, Redis and Chromium do not starve each other.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
