import { HOOK_BUNDLE, VIEWER_BUNDLE, requireBundles, startAppServer, type AppServer } from '../browser/remote-debug-fixtures';
import { launchBrowser, type TestBrowser } from './browser';
import { closeAll } from './close-all';
import { connectClient, type TestSocket } from './connect-client';
import { startServer, type TestServer } from './start-server';

// A customer's page for the remote-debug hook's console capture (remote-debug-console, -viewer and
// -seed-pages tests): `APP_JS` makes every kind of console call, an uncaught error, a rejection and
// a failed load; `hookPage` loads the hook, then that script.

/** The "customer" script: one console call per line, each tagged with a marker to find its line. */
export const APP_JS = `(function () {
  var circular = { name: 'loop' };
  circular.self = circular;
  var withGetter = { ok: 1, get broken() { throw new Error('getter failed'); } };
  console.log('primitives', 'text', 42, true, null, undefined, NaN, -0, Infinity, 10n, Symbol('sym')); // @primitives
  console.log('objects', new Date(0), /ab+c/gi, new Map([['k', { v: 1 }]]), new Set([1, 2]), new Uint8Array([1, 2, 3]), function namedFn() {}); // @objects
  console.log('circular', circular); // @circular
  console.error('failure', new Error('outer', { cause: new TypeError('inner cause') })); // @error
  console.log('dom', document.getElementById('app')); // @dom
  console.log('long', 'x'.repeat(20000)); // @long
  console.log('getter', withGetter); // @getter
  console.info('info %s has %d items', 'cart', 3); // @info
  console.warn('deep', { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } }); // @warn
  console.debug('debug details'); // @debug
  console.table([{ a: 1, b: 'x' }, { a: 2, b: 'y' }]); // @table
  console.group('group label'); // @group
  console.log('inside group'); // @inside
  console.groupEnd();
  console.count('clicks'); // @count
  console.count('clicks'); // @count2
  console.assert(1 === 2, 'math is broken'); // @assert
  console.trace('trace here'); // @trace
  console.time('t');
  console.timeEnd('t'); // @timeEnd
  console.dir({ dir: true }); // @dir
  setTimeout(function () { throw new Error('uncaught boom'); }, 0); // @throw
  Promise.reject(new Error('rejected promise')); // @reject
  var img = document.createElement('img'); img.src = '/missing.png'; document.body.appendChild(img); // @img
})();
`;
const APP_LINES = APP_JS.split('\n');
export const lineOf = (marker: string) => APP_LINES.findIndex((l) => l.includes(`// @${marker}`)) + 1;
/** V8 points a member call at the property name: `console.log(` -> the column of `log`. */
export const colOf = (marker: string) => APP_LINES[lineOf(marker) - 1]!.indexOf('console.') + 'console.'.length + 1;

export const SYNC_CALLS: Array<[marker: string, level: string, method: string]> = [
  ['primitives', 'log', 'log'],
  ['objects', 'log', 'log'],
  ['circular', 'log', 'log'],
  ['error', 'error', 'error'],
  ['dom', 'log', 'log'],
  ['long', 'log', 'log'],
  ['getter', 'log', 'log'],
  ['info', 'info', 'info'],
  ['warn', 'warn', 'warn'],
  ['debug', 'debug', 'debug'],
  ['table', 'log', 'table'],
  ['group', 'log', 'group'],
  ['inside', 'log', 'log'],
  ['count', 'log', 'count'],
  ['count2', 'log', 'count'],
  ['assert', 'error', 'assert'],
  ['trace', 'log', 'trace'],
  ['timeEnd', 'log', 'timeEnd'],
  ['dir', 'log', 'dir'],
];
export const ASYNC_METHODS = ['onerror', 'resource', 'unhandledrejection'];
export const TOTAL = SYNC_CALLS.length + ASYNC_METHODS.length;

// Console capture only: these tests count entries exactly (network and performance entries
// have their own tests, remote-debug-network.test.ts).
export function hookPage(server: string, scriptAttrs = ' data-network="off" data-performance="off"'): string {
  return `<!doctype html><html><head><title>Shop page</title>
<script src="${server}/js/node_im_remote_debug.js"${scriptAttrs}></script>
</head><body><div id="app" class="main"></div><script src="/app.js"></script></body></html>`;
}

export interface HookBench {
  server: TestServer;
  browser: TestBrowser;
  /** The customer's site: /page.html loads the hook from the relay, then APP_JS as /app.js. */
  app: AppServer;
  /** The site's origin (app.url). */
  APP: string;
  /** A reader of the debug room (remote_debug, console-log). */
  reader: TestSocket;
  close(): Promise<void>;
}

/** A relay, Chromium, the customer's site and a reader of the debug room, for the remote-debug console tests. */
export async function startHookBench(): Promise<HookBench> {
  requireBundles(HOOK_BUNDLE, VIEWER_BUNDLE);
  const server = await startServer();
  const browser = await launchBrowser();
  const app = await startAppServer({
    '/page.html': ['text/html', hookPage(server.url)],
    '/app.js': ['text/javascript', APP_JS],
  });
  const reader = await connectClient(server.url, { source: 'remote_debug', roomIds: 'console-log' });
  return { server, browser, app, APP: app.url, reader, close: () => closeAll(reader, browser, app, server) };
}
