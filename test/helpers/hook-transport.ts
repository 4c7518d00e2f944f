import { createEntryBuffer } from '../../packages/log-core';
import { createTransport, type Transport, type TransportOptions } from '../../browser-hook/transport';

export interface TestHookTransport {
  transport: Transport;
  /** The entries waiting to be sent: push one, then `transport.schedule()`. */
  buffer: TransportOptions['buffer'];
  /** What the hook would have printed with console.warn/info (its diagnostics). */
  diags: string[];
}

/**
 * The browser hook's connection to a server, as a page's hook makes it (source `remote_debug`,
 * room `console-log`), without a page: entries go out unchanged, diagnostics are collected, and
 * retries are quick. Close it with `transport.close()`.
 */
export function hookTransport(server: string, userid: string): TestHookTransport {
  const diags: string[] = [];
  const buffer = createEntryBuffer(100) as TransportOptions['buffer'];
  const transport = createTransport({
    server,
    source: 'remote_debug',
    room: 'console-log',
    userid,
    username: userid,
    buffer,
    finalize: (e) => e,
    diag: (_level, message) => diags.push(message),
    batchSize: 10,
    flushDelayMs: 5,
    ackTimeoutMs: 5000,
    retryDelayMs: 50,
  });
  return { transport, buffer, diags };
}
