import { createEntryBuffer } from '../packages/log-core';
import { createFinalize } from './finalize';
import { instrumentConsole } from './instrument/console';
import { instrumentGlobalErrors } from './instrument/global-error';
import { instrumentNetwork } from './instrument/network';
import { instrumentPerformance } from './instrument/performance';
import { earlierRequests } from './instrument/timing';
import { instrumentResourceErrors } from './instrument/resource-error';
import { instrumentUnhandledRejections } from './instrument/unhandled-rejection';
import { bodyLimit, parseLevels, type HookStatus, type InstallOptions, type RemoteDebug } from './options';
import { createRecorders } from './record';
import { tabSession } from './session';
import { createTransport, type Transport } from './transport';
import type { DebugEntry, Guard } from './instrument/types';

export { ALL_LEVELS, MAX_BODY_BYTES, parseLevels, type HookStatus, type InstallOptions, type RemoteDebug } from './options';

const GLOBAL_KEY = Symbol.for('node-im.remote-debug');

/**
 * Installs the remote-debug hook in this page. Idempotent: while installed, another call
 * returns the same handle. Never throws into the page.
 */
export function install(options: InstallOptions = {}): RemoteDebug {
  if (typeof window === 'undefined' || typeof window.console === 'undefined') return inert();
  const win = window;
  const holder = win as unknown as Record<symbol, RemoteDebug | undefined>;
  const existing = holder[GLOBAL_KEY];
  if (existing) return existing;

  const guard: Guard = { busy: false };
  const con = win.console;
  const levels = parseLevels(options.levels);
  const session = (options.session ?? '').slice(0, 128) || tabSession(win);
  const maxEntryBytes = options.maxEntryBytes ?? 32_000;
  const ignoreFiles = [...(options.ownFile ? [options.ownFile] : []), ...(options.ignoreFiles ?? [])];
  const buffer = createEntryBuffer<DebugEntry>(options.bufferSize ?? 1000);
  // Filled once console is wrapped: the hook's own messages must bypass the wrapper.
  let original: Record<string, (...args: unknown[]) => void> = {};

  const diag = (level: 'warn' | 'info', message: string) => {
    try {
      (original[level] ?? con[level]).call(con, message);
    } catch {
      /* nowhere left to report */
    }
  };

  let transport: Transport | undefined;
  const { record, recordNet, recordPerf, recorded } = createRecorders({
    win,
    guard,
    levels,
    session,
    buffer,
    schedule: () => transport?.schedule(),
    serialize: options.serialize,
  });

  const server = (() => {
    try {
      return new URL(options.server ?? win.location.origin, win.location.href).origin;
    } catch {
      return win.location.origin;
    }
  })();
  // The hook's own connection (publish-only Engine.IO polling/WebSocket) and its own script.
  const ownTraffic = (url: string): boolean =>
    (url.startsWith(`${server}/socket.io/`) && /[?&]role=publisher(&|$)/.test(url)) || (!!options.ownFile && url === options.ownFile);

  const finalize = createFinalize({ win, guard, ignoreFiles, beforeSend: options.beforeSend, maxEntryBytes, diag });

  const undo: Array<() => void> = [];
  try {
    if (options.captureConsole !== false) {
      // The wrapper, the caller and one spare (a builtin such as Array.forEach may sit between);
      // more when frames of the user's ignored files may come first.
      const wrapped = instrumentConsole(con, record, guard, levels, options.ignoreFiles?.length ? 12 : 3);
      original = wrapped.originals;
      undo.push(wrapped.restore);
    }
    if (options.captureErrors !== false) undo.push(instrumentGlobalErrors(win, record));
    if (options.captureRejections !== false) undo.push(instrumentUnhandledRejections(win, record));
    if (options.captureResources !== false) undo.push(instrumentResourceErrors(win, record));
    if (options.captureNetwork !== false) {
      undo.push(earlierRequests(win, recordNet, ownTraffic));
      undo.push(
        ...instrumentNetwork(win, {
          guard,
          emit: recordNet,
          ignore: ownTraffic,
          maxBody: bodyLimit(options.networkBodies),
          frames: options.ignoreFiles?.length ? 12 : 3,
        }),
      );
    }
    if (options.capturePerformance !== false) undo.push(instrumentPerformance(win, recordPerf));
    transport = createTransport({
      server,
      source: options.source || 'remote_debug',
      room: options.room || 'console-log',
      credential: options.credential,
      userid: options.userid || 'hook',
      username: options.username || session,
      buffer,
      finalize,
      diag,
      batchSize: Math.min(Math.max(1, options.batchSize ?? 50), 100),
      flushDelayMs: options.flushDelayMs ?? 100,
      ackTimeoutMs: 10_000,
      retryDelayMs: 1000,
    });
    if (buffer.size > 0) transport.schedule();
  } catch (err) {
    diag('warn', `remote debug: could not start (${String(err)})`);
  }

  const onHide = () => transport?.flush();
  win.addEventListener('pagehide', onHide);

  const uninstall = () => {
    if (holder[GLOBAL_KEY] !== handle) return;
    delete holder[GLOBAL_KEY];
    win.removeEventListener('pagehide', onHide);
    for (const fn of undo.splice(0).reverse()) {
      try {
        fn();
      } catch {
        /* keep undoing the rest */
      }
    }
    transport?.close();
  };

  const handle = Object.assign(uninstall, {
    uninstall,
    flush: () => transport?.flush(),
    status: (): HookStatus => ({
      ...(transport?.status() ?? { connected: false, buffered: buffer.size, sent: 0, dropped: buffer.droppedTotal, rateLimited: 0 }),
      session,
      recorded: recorded(),
    }),
    session,
  }) as RemoteDebug;
  holder[GLOBAL_KEY] = handle;
  return handle;
}

/** Outside a browser (server-side rendering, a worker without window): a hook that does nothing. */
function inert(): RemoteDebug {
  const noop = () => undefined;
  return Object.assign(noop, {
    uninstall: noop,
    flush: noop,
    status: (): HookStatus => ({ connected: false, buffered: 0, sent: 0, dropped: 0, rateLimited: 0, session: '', recorded: 0 }),
    session: '',
  }) as RemoteDebug;
}
