import cluster from 'node:cluster';
import type { PageViewRecord, PresenceConnection } from '../../packages/protocol';
import { createIpcClient, serveIpc } from '../adapters/ipc';
import type { ServerConfig } from '../config';
import { createMemoryPresenceStore } from './memory-presence-store';
import { presenceStoreLimits } from '../config/presence';
import type { PresenceStore } from './presence-store';

const CHANNEL = 'im:presence';

type Payload = {
  connection: PresenceConnection;
  source: string;
  sid: string;
  graceMs: number;
  sources: string[];
  heartbeat: boolean;
  userid: string;
  view: PageViewRecord;
  limit: number;
  date: string;
  username: string;
  instance: string;
};

/**
 * `--workers N` without Redis: every worker's presence lives in one memory store in the primary
 * process, reached over IPC, so the workers agree on who is online and announce each join and
 * leave once. When a worker exits, the primary drops its connections at once.
 */
export function createIpcPresenceStore(instanceId: string, timeoutMs?: number): PresenceStore {
  const ipc = createIpcClient(CHANNEL, timeoutMs);
  const call = <T>(op: string, payload: Partial<Payload>) => ipc.request<T>(op, { ...payload, instance: instanceId });
  return {
    add: (connection) => call('add', { connection }),
    update: (connection) => call('update', { connection }),
    remove: (source, sid, graceMs) => call('remove', { source, sid, graceMs }),
    tick: (sources, heartbeat = true) => call('tick', { sources: [...sources], heartbeat }),
    connections: (source) => call('connections', { source }),
    userConnections: (source, userid) => call('userConnections', { source, userid }),
    addPageView: (source, view) => call('addPageView', { source, view }),
    pageViews: (source, userid, limit) => call('pageViews', { source, userid, limit }),
    recentPageViews: (source, limit) => call('recentPageViews', { source, limit }),
    markSeen: (source, date, userid, username) => call('markSeen', { source, date, userid, username }),
    seen: (source, date) => call('seen', { source, date }),
    async close() {
      await call('close', {}).catch(() => undefined);
      ipc.close();
    },
  };
}

/**
 * The primary's side: one memory store for all workers. Returns the function that stops
 * serving. Call it in the primary of `--workers N` when there is no Redis.
 */
export function servePresenceToWorkers(config: ServerConfig, now: () => number = Date.now): () => void {
  const store = createMemoryPresenceStore({ instanceId: 'primary', ...presenceStoreLimits(config.presence), now });
  // worker id -> the instance ids it spoke for (one per createServer in that process).
  const instances = new Map<number, Set<string>>();
  const onExit = (worker: { id: number }) => {
    for (const instance of instances.get(worker.id) ?? []) store.dropInstance(instance);
    instances.delete(worker.id);
  };
  cluster.on('exit', onExit);
  const stop = serveIpc(CHANNEL, async (op, raw, worker) => {
    const p = raw as Payload;
    let seen = instances.get(worker.id);
    if (!seen) instances.set(worker.id, (seen = new Set()));
    seen.add(p.instance);
    switch (op) {
      case 'add':
        return store.add(p.connection);
      case 'update':
        return store.update(p.connection);
      case 'remove':
        return store.remove(p.source, p.sid, p.graceMs);
      case 'tick':
        return store.tick(p.sources, p.heartbeat);
      case 'connections':
        return store.connections(p.source);
      case 'userConnections':
        return store.userConnections(p.source, p.userid);
      case 'addPageView':
        return store.addPageView(p.source, p.view);
      case 'pageViews':
        return store.pageViews(p.source, p.userid, p.limit);
      case 'recentPageViews':
        return store.recentPageViews(p.source, p.limit);
      case 'markSeen':
        return store.markSeen(p.source, p.date, p.userid, p.username);
      case 'seen':
        return store.seen(p.source, p.date);
      case 'close':
        store.dropInstance(p.instance);
        seen.delete(p.instance);
        return null;
      default:
        throw new Error(`unknown presence operation ${op}`);
    }
  });
  return () => {
    stop();
    cluster.off('exit', onExit);
  };
}
