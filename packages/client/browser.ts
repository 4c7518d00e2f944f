/**
 * Entry of dist/browser/node_im.min.js: one object under both names the contract knows,
 * `XIN_NODE` (the seed's) and `NODE_IM` (the original's later name).
 */
import { createLegacyApi, type LegacyApi } from './legacy-api';

type Globals = { XIN_NODE?: LegacyApi; NODE_IM?: LegacyApi };
// Not globalThis alone: pages of the original era run in browsers older than it.
const g = (typeof globalThis !== 'undefined' ? globalThis : typeof window !== 'undefined' ? window : self) as unknown as Globals;
const ours = (value: LegacyApi | undefined) => (typeof value?.state === 'function' ? value : undefined);
// Included twice on one page: keep the first object (and its open session).
const api = ours(g.NODE_IM) ?? ours(g.XIN_NODE) ?? createLegacyApi();
g.XIN_NODE = api;
g.NODE_IM = api;
