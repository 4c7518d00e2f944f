/**
 * Entry of dist/browser/md5.js: the global `md5(string)` the seed's pages call before
 * `XIN_NODE.init` to compute their sign.
 */
import { md5 } from './md5';

(globalThis as unknown as { md5: (input: string) => string }).md5 = md5;
