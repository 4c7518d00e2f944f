/**
 * Entry of dist/browser/md5.js: the global `md5(string)` the seed's pages call before
 * `XIN_NODE.init` to compute their sign.
 */
import { md5 } from './md5';

// Not globalThis alone: pages of the original era run in browsers older than it.
const g = (typeof globalThis !== 'undefined' ? globalThis : typeof window !== 'undefined' ? window : self) as unknown as {
  md5: (input: string) => string;
};
g.md5 = md5;
