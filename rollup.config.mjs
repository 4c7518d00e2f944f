// Builds the scripts the server serves under /js/. Each bundle has a gzipped size budget:
// the build prints every size and fails when one is over.
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import commonjs from '@rollup/plugin-commonjs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import esbuild from 'rollup-plugin-esbuild';

const KB = 1024;

/** @type {Array<{ input: string, file: string, name?: string, budget: number }>} */
const bundles = [
  // The browser SDK: window.XIN_NODE and window.NODE_IM (issue 3).
  { input: 'packages/client/browser.ts', file: 'dist/browser/node_im.min.js', budget: 18 * KB },
  // window.md5(string), as the seed's pages use it.
  { input: 'packages/client/md5-global.ts', file: 'dist/browser/md5.js', budget: 2 * KB },
  // The remote-debug hook: one script tag (issue 4), with network and performance capture (issue 17).
  { input: 'browser-hook/iife.ts', file: 'dist/browser/node_im_remote_debug.js', budget: 26 * KB },
  // The /debug live log page (issue 4); a developer tool, so a looser budget.
  { input: 'debug-viewer/main.ts', file: 'dist/browser/debug-viewer.js', budget: 60 * KB },
];

// engine.io-client imports its Node transports (`./polling-xhr.node.js`, which pulls a Node XHR
// and `ws`) and maps them to the browser ones in its package.json "browser" field, which
// node-resolve ignores for packages with "exports". Map them here: 3 KB gzipped less per bundle.
const engineIoBrowser = {
  name: 'engine-io-browser',
  resolveId(source, importer) {
    if (!importer || !source.endsWith('.node.js') || !importer.includes(`${path.sep}engine.io-client${path.sep}`)) return null;
    return path.resolve(path.dirname(importer), source.replace(/\.node\.js$/, '.js'));
  },
};

function sizeBudget(budget) {
  return {
    name: 'size-budget',
    generateBundle(_options, output) {
      for (const chunk of Object.values(output)) {
        if (chunk.type !== 'chunk') continue;
        const gz = gzipSync(chunk.code, { level: 9 }).length;
        const line = `${chunk.fileName.padEnd(28)} ${(chunk.code.length / KB).toFixed(1).padStart(7)} KB  ${(gz / KB).toFixed(1).padStart(6)} KB gzipped  (budget ${(budget / KB).toFixed(0)} KB)`;
        if (gz > budget) this.error(`over the size budget: ${line}`);
        process.stdout.write(`${line}\n`);
      }
    },
  };
}

export default bundles.map(({ input, file, budget }) => ({
  input,
  output: { file, format: 'iife', sourcemap: true, generatedCode: 'es2015' },
  plugins: [
    engineIoBrowser,
    // The production builds of our dependencies whatever NODE_ENV says (vitest sets it to "test",
    // which would pick socket.io-client's debug build: 2 KB more gzipped).
    nodeResolve({ browser: true, preferBuiltins: false, exportConditions: ['production'] }),
    commonjs(),
    esbuild({ target: 'es2018', tsconfig: 'tsconfig.json' }),
    terser({ ecma: 2018, compress: { passes: 2 }, format: { comments: false } }),
    sizeBudget(budget),
  ],
  onwarn(warning, warn) {
    if (warning.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(warning.message)) return;
    warn(warning);
  },
}));
