import type { HistoryRequest, HistoryResult, Message } from '../../packages/protocol';
import { ImError } from '../../packages/protocol';
import type { ImServer } from '../core/im-server';
import type { ServerMetrics } from '../core/metrics';
import { roomKey } from '../core/rooms';
import type { HistoryStore } from './history-store';

/**
 * The one way a message enters the service, whether from /api/notify, postMsg or a debug hook:
 * each room gets its own `newMsg` whose `room_id` names that room, after the message is in the
 * room's history.
 */
export interface Relay {
  publish(source: string, rooms: readonly string[], data: unknown): Promise<Message[]>;
  /** Several messages (a batch, a hook's postLogs) with one history round trip; one list of stored messages per item. */
  publishMany(items: readonly PublishItem[]): Promise<Message[][]>;
  history(source: string, request: HistoryRequest, cap?: number): Promise<HistoryResult>;
  refresh(source: string, rooms: readonly string[]): void;
}

/** One message of a publishMany: its data to each of `rooms` of `source`. */
export interface PublishItem {
  source: string;
  rooms: readonly string[];
  data: unknown;
  /** JSON.stringify(data).length when the caller has measured it already (the history's size estimate). */
  dataLength?: number;
}

/** What the relay needs to know about the other instances (server/backends.ts). */
export interface RelayBackends {
  /** False while Redis is unreachable: messages then stay on this instance (or are refused). */
  canPublish(): boolean;
  whenDown: 'local' | 'reject';
  /** `memory`: one instance, no other process can hear a broadcast (AdapterKind, adapters/socket-adapter.ts). */
  kind?: string;
}

export interface RelayOptions {
  metrics?: ServerMetrics;
  /** Whether messages can reach the other instances now (server/backends.ts). */
  backends?: RelayBackends;
  /** Most bytes (JSON) of messages in one history answer; past it the answer carries `next`. */
  maxHistoryAnswerBytes?: number;
  /**
   * Asked before a history answer of `bytes` is sent: false refuses it as RATE_LIMITED (the
   * SDK and the viewers retry), so many answers at once cannot pile up in memory
   * (server/socket/answer-admission.ts).
   */
  admitAnswer?: (bytes: number) => boolean;
}

/** Default cap of one history answer: a reader asking many cannot make the server hold much. */
export const DEFAULT_HISTORY_ANSWER_BYTES = 1024 * 1024;

/**
 * Cuts a history page at `maxBytes` of JSON (never below one message, so a reader always moves
 * on): how many messages fit, and their bytes.
 */
export function fitHistory(messages: readonly Message[], maxBytes: number): { count: number; bytes: number } {
  let bytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const one = Buffer.byteLength(JSON.stringify(messages[i]) ?? '') + 1;
    if (bytes + one > maxBytes && i > 0) return { count: i, bytes };
    bytes += one;
  }
  return { count: messages.length, bytes };
}

function isUnavailable(err: unknown): boolean {
  return err instanceof ImError && err.code === 'UNAVAILABLE';
}

/**
 * Acceptance: a message is accepted once the history store has given it its position (in
 * Redis, for a cluster): from then on every instance can serve it through `history`, so a
 * subscriber that misses the broadcast still gets it. Socket.IO's emit is not awaitable
 * (BroadcastOperator.emit returns nothing), so the store write is the acceptance point that
 * /api/notify and postMsg acks wait for.
 *
 * While Redis is unreachable (`backends.canPublish()` false, or the store write fails with
 * UNAVAILABLE) a message is delivered to this instance's own clients only, without a position,
 * or refused when `whenDown` is `reject`.
 */
export function createRelay(io: ImServer, store: HistoryStore, now: () => number = Date.now, opts: RelayOptions = {}): Relay {
  const { metrics, backends } = opts;
  const maxAnswerBytes = opts.maxHistoryAnswerBytes ?? DEFAULT_HISTORY_ANSWER_BYTES;

  function refuse(): never {
    throw new ImError('UNAVAILABLE', 'Redis is unavailable: the message was not accepted, retry later');
  }

  const appendAll = (items: Array<{ roomKey: string; message: Message }>): Promise<Message[]> =>
    store.appendMany ? store.appendMany(items) : Promise.all(items.map((i) => store.append(i.roomKey, i.message)));

  /**
   * Every room of every item reaches the history store in one call (one round trip on Redis),
   * then each gets its `newMsg`, in order. A store that is unreachable fails them all together.
   */
  async function publishMany(items: readonly PublishItem[]): Promise<Message[][]> {
    if (items.length === 0) return [];
    let othersUp = backends ? backends.canPublish() : true;
    if (!othersUp && backends?.whenDown === 'reject') refuse();
    const ts = now();
    const entries: Array<{ roomKey: string; message: Message; dataLength?: number }> = [];
    const counts = new Map<string, number>();
    for (const { source, rooms, data, dataLength } of items) {
      counts.set(source, (counts.get(source) ?? 0) + 1);
      for (const room of rooms) entries.push({ roomKey: roomKey(source, room), message: { source, data, room_id: room, ts }, dataLength });
    }
    if (metrics) for (const [source, n] of counts) metrics.messagesIn.inc({ source }, n);
    let stored: Message[] | undefined;
    if (othersUp) {
      try {
        stored = await appendAll(entries);
      } catch (err) {
        if (!backends || !isUnavailable(err)) throw err;
        if (backends.whenDown === 'reject') throw err;
      }
    }
    // With nobody else to hear it (one instance, or Redis down), a room without local members
    // needs no broadcast: Socket.IO would encode the packet before finding no one to send it to.
    const localOnly = !stored || backends?.kind === 'memory';
    const localRooms = io.of('/').adapter.rooms;
    const sent = new Map<string, number>();
    const out: Message[][] = [];
    let at = 0;
    for (const { source, rooms } of items) {
      const messages: Message[] = [];
      for (let r = 0; r < rooms.length; r++, at++) {
        const { roomKey: key, message: plain } = entries[at]!;
        const message = stored ? stored[at]! : plain;
        if (!localOnly || localRooms.has(key)) (stored ? io : io.local).to(key).emit('newMsg', message);
        sent.set(source, (sent.get(source) ?? 0) + 1);
        messages.push(message);
      }
      out.push(messages);
    }
    if (metrics) for (const [source, n] of sent) (stored ? metrics.messagesOut : metrics.messagesLocalOnly).inc({ source }, n);
    return out;
  }

  return {
    async publish(source, rooms, data) {
      return (await publishMany([{ source, rooms, data }]))[0]!;
    },
    publishMany,
    async history(source, request, cap = 500) {
      // Paging forward from a position: one more than asked tells whether there is more.
      const forward = request.since !== undefined;
      const limit = Math.max(1, Math.min(request.limit ?? cap, cap));
      const asked = forward ? { ...request, limit: limit + 1 } : request;
      const read = await store.read(roomKey(source, request.room_id), asked, forward ? cap + 1 : cap);
      let messages = read.messages;
      let cut = forward && messages.length > limit;
      if (cut) messages = messages.slice(0, limit);
      const fit = fitHistory(messages, maxAnswerBytes);
      if (fit.count < messages.length) {
        messages = messages.slice(0, fit.count);
        cut = true;
      }
      if (opts.admitAnswer && !opts.admitAnswer(fit.bytes)) {
        metrics?.historyRequests.inc({ outcome: 'deferred' });
        throw new ImError('RATE_LIMITED', 'the server is sending much right now: retry this history read in a moment');
      }
      const last = messages[messages.length - 1];
      const result: HistoryResult = { room_id: request.room_id, epoch: read.epoch, messages, truncated: read.truncated };
      if (cut && last?.offset !== undefined) {
        result.next = { room_id: request.room_id, since: last.offset, epoch: read.epoch, ...(request.limit !== undefined ? { limit: request.limit } : {}) };
      }
      if (metrics) {
        metrics.historyRequests.inc({ outcome: result.truncated ? 'truncated' : messages.length ? 'hit' : 'empty' });
        metrics.historyMessages.inc(messages.length);
      }
      return result;
    },
    refresh(source, rooms) {
      const target = backends && !backends.canPublish() ? io.local : io;
      for (const room of rooms) target.to(roomKey(source, room)).emit('refreshPage');
    },
  };
}
