// A `--workers` process for the presence IPC test: runs the presence store ops the test sends
// (`{test: id, op, args}`) on an IPC presence store and answers `{test: id, result}`.
import { createIpcPresenceStore } from '../../server/presence/ipc-presence-store';
import type { PresenceStore } from '../../server/presence/presence-store';

const store = createIpcPresenceStore(`worker-${process.pid}`, 5000) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
process.on('message', (m: { test?: number; op?: keyof PresenceStore; args?: unknown[] }) => {
  if (typeof m?.test !== 'number' || !m.op) return;
  store[m.op]!(...(m.args ?? [])).then(
    (result) => process.send!({ test: m.test, result: result ?? null }),
    (err: Error) => process.send!({ test: m.test, error: err.message }),
  );
});
process.send!({ ready: true });
