import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Set to true by scripts/build-packages.mjs in the compiled server (dist/*.js); undefined when
// the TypeScript runs from the repository (tsx, vitest).
declare const __IM_COMPILED__: boolean | undefined;

/** True in the installed (compiled) package, false when running from the repository's sources. */
export const COMPILED = typeof __IM_COMPILED__ !== 'undefined' && __IM_COMPILED__ === true;

/**
 * Where the files the server serves live. From source: the repository's folders (dist/browser
 * is rollup's output). Compiled: the build copies them into dist/assets/ beside the bundle, so an
 * installed package (npm install, npm install -g) finds them wherever it was installed.
 */
export interface AssetPaths {
  /** Has debug-viewer/ (index.html, debug.css), docs/ (protocol.md, migrating.md) and examples/. */
  root: string;
  /** The browser bundles served under /js/ (node_im.min.js, md5.js, the hook, the /debug page). */
  browserJs: string;
  /** The /monitor page (index.html, monitor.css, monitor-view.js, monitor.js). */
  monitorPage: string;
}

function assetPaths(): AssetPaths {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (COMPILED) {
    const root = path.join(here, 'assets');
    return { root, browserJs: path.join(root, 'js'), monitorPage: path.join(root, 'monitor-page') };
  }
  // server/core/ → the repository's root.
  const root = path.resolve(here, '../..');
  return { root, browserJs: path.join(root, 'dist/browser'), monitorPage: path.join(root, 'server/presence/monitor-page') };
}

export const ASSETS: AssetPaths = assetPaths();
