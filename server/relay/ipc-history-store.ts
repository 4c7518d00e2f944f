import type { HistoryRequest, Message } from '../../packages/protocol';
import type { HistoryStore } from './history-store';
import { createIpcClient, serveIpc } from '../adapters/ipc';

const CHANNEL = 'im:history';

/**
 * `--workers N` without Redis: one memory history in the primary process, reached over IPC,
 * so every worker hands out the same (epoch, offset) and serves the same history.
 */
export function createIpcHistoryStore(timeoutMs?: number): HistoryStore {
  const ipc = createIpcClient(CHANNEL, timeoutMs);
  return {
    append: (roomKey, message) => ipc.request<Message>('append', { roomKey, message }),
    // One IPC round trip for many: the primary appends them in order.
    appendMany: (items) => ipc.request<Message[]>('appendMany', { items }),
    read: (roomKey, request, cap) => ipc.request('read', { roomKey, request, cap }),
    async close() {
      ipc.close();
    },
  };
}

/** The primary's side: answers the workers from `store`. Returns a function that stops serving. */
export function serveHistoryToWorkers(store: HistoryStore): () => void {
  return serveIpc(CHANNEL, async (op, payload) => {
    const p = payload as {
      roomKey: string;
      message: Message;
      request: HistoryRequest;
      cap: number;
      items: Array<{ roomKey: string; message: Message }>;
    };
    if (op === 'append') return store.append(p.roomKey, p.message);
    if (op === 'appendMany') {
      return store.appendMany ? store.appendMany(p.items) : Promise.all(p.items.map((i) => store.append(i.roomKey, i.message)));
    }
    if (op === 'read') return store.read(p.roomKey, p.request, p.cap);
    throw new Error(`unknown history operation ${op}`);
  });
}
