import cluster, { type Worker } from 'node:cluster';
import { ImError, type ErrorPayload } from '../../packages/protocol';

/**
 * Request/response over the IPC channel between `--workers` processes and their primary
 * (history held by the primary when there is no Redis, metrics aggregation). Messages carry
 * `im` = the channel name, so they never meet Socket.IO's or prom-client's own messages.
 */
interface IpcRequest {
  im: string;
  id: number;
  op: string;
  payload: unknown;
}

interface IpcReply {
  im: string;
  id: number;
  result?: unknown;
  error?: ErrorPayload;
}

export interface IpcClient {
  request<T>(op: string, payload: unknown): Promise<T>;
  close(): void;
}

function isMessage(m: unknown, channel: string): m is IpcRequest & IpcReply {
  return typeof m === 'object' && m !== null && (m as { im?: unknown }).im === channel && typeof (m as { id?: unknown }).id === 'number';
}

/** In a worker: sends requests to the primary and waits for the answers (UNAVAILABLE after `timeoutMs`). */
export function createIpcClient(channel: string, timeoutMs = 5000): IpcClient {
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const onMessage = (m: unknown) => {
    if (!isMessage(m, channel)) return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error) p.reject(new ImError(m.error.code, m.error.message));
    else p.resolve(m.result);
  };
  process.on('message', onMessage);
  return {
    request<T>(op: string, payload: unknown) {
      return new Promise<T>((resolve, reject) => {
        if (!process.send || !process.connected) {
          reject(new ImError('UNAVAILABLE', 'the primary process is not reachable'));
          return;
        }
        const id = next++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new ImError('UNAVAILABLE', `the primary process did not answer ${channel}.${op} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        process.send({ im: channel, id, op, payload } satisfies IpcRequest, undefined, {}, (err) => {
          if (!err) return;
          pending.delete(id);
          clearTimeout(timer);
          reject(new ImError('UNAVAILABLE', `cannot reach the primary process: ${err.message}`));
        });
      });
    },
    close() {
      process.off('message', onMessage);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new ImError('UNAVAILABLE', 'closing'));
      }
      pending.clear();
    },
  };
}

/** In the primary: answers every worker's requests on `channel`. Returns a function that stops. */
export function serveIpc(channel: string, handle: (op: string, payload: unknown, worker: Worker) => Promise<unknown>): () => void {
  const onMessage = (worker: Worker, m: unknown) => {
    if (!isMessage(m, channel) || (m as { op?: unknown }).op === undefined) return;
    const reply = (r: Omit<IpcReply, 'im' | 'id'>) => {
      if (worker.isConnected()) worker.send({ im: channel, id: m.id, ...r } satisfies IpcReply, undefined, () => {});
    };
    handle(m.op, m.payload, worker).then(
      (result) => reply({ result }),
      (err: unknown) => {
        const im = err instanceof ImError ? err : new ImError('INTERNAL', (err as Error).message ?? 'internal error');
        reply({ error: im.toJSON() });
      },
    );
  };
  cluster.on('message', onMessage);
  return () => cluster.off('message', onMessage);
}
