import type { HistoryRequest, HistoryResult, Message } from '../protocol';

/**
 * Missed-message recovery, kept free of sockets so it can be tested on its own.
 *
 * Every `newMsg` carries its room's position: an `offset` that grows by one per message within
 * an `epoch` (the server's history stream). The client remembers the last position per room;
 * after a reconnect it asks `history` for what came after it, delivers that in order and drops
 * what it already had. Live messages that arrive while a room is catching up are held back and
 * merged in afterwards, so the application sees each message once, in order. This also covers
 * an instance crash in a cluster, where Socket.IO's own state recovery has nothing to replay.
 *
 * A room that has had no message yet has no position, so on connect the client asks for the
 * room's newest position (a one-message history read): without it, whatever is sent while the
 * first connection is down could not be recovered.
 *
 * With `onLiveGap`, a gap while connected is caught too: a live message whose offset skips
 * ahead of the room's position (a broadcast lost between instances, e.g. a Redis pub/sub
 * subscriber that reconnected) is held, and the room catches up from its position as after a
 * reconnect.
 */

/**
 * Pages of history one room may fetch per reconnect before giving up (and reporting a gap).
 * The server caps each answer in bytes (1 MB by default) and says where to read on (`next`).
 */
export const MAX_CATCH_UP_PAGES = 50;

/** Live messages one room holds back while it catches up; past it the oldest go (a reader that cannot keep up loses messages, not memory). */
export const MAX_HELD = 10_000;

/** Why some messages could not be recovered. */
export type GapKind = 'epoch' | 'truncated' | 'pages';

/** The one wording of a gap, for every client that shows it (/debug, im-debug tail). */
export function gapText(kind: GapKind): string {
  switch (kind) {
    case 'epoch':
      return "the server's history restarted (new epoch); messages sent while disconnected may be missing";
    case 'truncated':
      return 'some messages sent while disconnected are no longer kept by the server';
    case 'pages':
      return `stopped reading missed messages after ${MAX_CATCH_UP_PAGES} answers; the rest were skipped`;
  }
}

export interface RoomPosition {
  epoch: string;
  offset: number;
}

export interface CatchUpStep {
  /** Messages to hand to the application now, oldest first. */
  deliver: Message[];
  /** The next page to ask for; absent when the room has caught up. */
  next?: HistoryRequest;
  /** Some messages could not be recovered (older than the server keeps, or its history was lost). */
  gap: boolean;
  /** Why, when `gap`. */
  gapKind?: GapKind;
}

export interface CatchUp {
  /** A live `newMsg`: returns what to deliver now ([] for a duplicate or while catching up). */
  receive(message: Message): Message[];
  /**
   * On every connect: starts a round and returns the history requests to send: one per room
   * with a position (what came after it), and a position read for rooms without one.
   */
  begin(): HistoryRequest[];
  /** The answer to a request of round `round` (answers from an older round are ignored). */
  page(result: HistoryResult, round: number): CatchUpStep;
  /** The room's history cannot be had this round (refused, timed out): release what was held. */
  abandon(roomId: string, round: number): Message[];
  /** The current round, as `begin` numbered it. */
  readonly round: number;
  position(roomId: string): RoomPosition | undefined;
}

/**
 * What a room is waiting for: nothing (`live`), missed messages after its position
 * (`position`), messages since a server time (`time`: no position, but other rooms show when
 * we were last connected), its newest position (`baseline`), or the history a viewer shows
 * before anything was seen (`initial`).
 */
type Mode = 'live' | 'position' | 'time' | 'baseline' | 'initial';

interface RoomState {
  epoch?: string;
  offset?: number;
  /** Server time of the newest message delivered in this room. */
  ts?: number;
  mode: Mode;
  pages: number;
  /** Live messages that arrived while catching up. */
  held: Message[];
}

function hasPosition(m: Message): m is Message & RoomPosition {
  return typeof m.offset === 'number' && typeof m.epoch === 'string';
}

/** Offsets start at 1 in every history store, so 0 is "before the first message". */
const BEFORE_FIRST = 0;

export interface CatchUpOptions {
  /** Called with the history request that fills a gap seen while connected (send it in the current round). */
  onLiveGap?(request: HistoryRequest): void;
  /**
   * Viewers: a room that has seen nothing yet first reads (and delivers) its newest `limit`
   * messages, or those since `sinceTime`, instead of only learning its position.
   */
  initial?: { limit: number; sinceTime?: number };
  /**
   * Messages asked for per read from a position. With it, an answer shorter than this and
   * without the server's cursor ends the room's catch-up (no extra empty read).
   */
  pageSize?: number;
}

/** `rooms`: the rooms the connection joins (from its `room_ids`). */
export function createCatchUp(rooms: readonly string[] = [], options: CatchUpOptions = {}): CatchUp {
  const states = new Map<string, RoomState>();
  let round = 0;
  /** Newest server time seen in any room. */
  let lastTs: number | undefined;

  const state = (roomId: string): RoomState => {
    let s = states.get(roomId);
    if (!s) {
      s = { mode: 'live', pages: 0, held: [] };
      states.set(roomId, s);
    }
    return s;
  };
  for (const room of rooms) state(room);

  const catching = (s: RoomState) => s.mode === 'position' || s.mode === 'time' || s.mode === 'initial';

  /** Records a message as delivered unless it is one the room already had. */
  function accept(s: RoomState, m: Message): boolean {
    if (hasPosition(m)) {
      if (s.epoch === m.epoch && s.offset !== undefined && m.offset <= s.offset) return false;
      s.epoch = m.epoch;
      s.offset = m.offset;
    }
    if (typeof m.ts === 'number') {
      s.ts = Math.max(s.ts ?? m.ts, m.ts);
      lastTs = Math.max(lastTs ?? m.ts, m.ts);
    }
    return true;
  }

  /** Ends the room's catch-up: held live messages, in position order, minus duplicates. */
  function release(s: RoomState): Message[] {
    const epoch = s.epoch;
    const rank = (m: Message) => (hasPosition(m) && m.epoch === epoch ? 0 : 1);
    const held = s.held
      .map((m, i) => ({ m, i }))
      .sort((x, y) => rank(x.m) - rank(y.m) || (rank(x.m) === 0 ? x.m.offset! - y.m.offset! : x.i - y.i))
      .map(({ m }) => m);
    s.held = [];
    s.mode = 'live';
    return held.filter((m) => accept(s, m));
  }

  return {
    get round() {
      return round;
    },
    receive(message) {
      if (!hasPosition(message)) return [message];
      const s = state(message.room_id);
      if (catching(s)) {
        if (s.held.length >= MAX_HELD) s.held.shift();
        s.held.push(message);
        return [];
      }
      if (options.onLiveGap && s.mode === 'live' && s.epoch === message.epoch && s.offset !== undefined && message.offset > s.offset + 1) {
        s.mode = 'position';
        s.pages = 0;
        s.held.push(message);
        options.onLiveGap({ room_id: message.room_id, since: s.offset, epoch: s.epoch });
        return [];
      }
      return accept(s, message) ? [message] : [];
    },
    begin() {
      round++;
      const requests: HistoryRequest[] = [];
      for (const [room_id, s] of states) {
        s.pages = 0;
        if (s.epoch !== undefined && s.offset !== undefined) {
          s.mode = 'position';
          requests.push({ room_id, since: s.offset, epoch: s.epoch, ...(options.pageSize !== undefined ? { limit: options.pageSize } : {}) });
        } else if (options.initial && s.ts === undefined) {
          const { limit, sinceTime } = options.initial;
          s.mode = 'initial';
          requests.push({ room_id, limit, ...(sinceTime !== undefined ? { sinceTime } : {}) });
        } else if (lastTs !== undefined && s.ts === undefined) {
          // No position here, but other rooms show we were connected until about lastTs.
          s.mode = 'time';
          requests.push({ room_id, sinceTime: lastTs });
        } else {
          s.mode = 'baseline';
          requests.push({ room_id, limit: 1 });
        }
      }
      return requests;
    },
    page(result, forRound) {
      const s = states.get(result.room_id);
      if (!s || forRound !== round) return { deliver: [], gap: false };
      if (s.mode === 'baseline') {
        // Where the room stands now; what it holds is from before we joined.
        s.mode = 'live';
        if (s.offset === undefined) {
          s.epoch = result.epoch;
          s.offset = result.messages[result.messages.length - 1]?.offset ?? BEFORE_FIRST;
        }
        return { deliver: [], gap: false };
      }
      if (!catching(s)) return { deliver: [], gap: false };
      // Reads by time or by count follow only the server's cursor; what they hold is not "missed".
      const byTime = s.mode === 'time' || s.mode === 'initial';
      const initial = s.mode === 'initial';
      let gap = result.truncated && !initial;
      let gapKind: GapKind | undefined = gap ? 'truncated' : undefined;
      let candidates = result.messages;
      if (!byTime && s.epoch !== undefined && s.epoch !== result.epoch) {
        // The server's stream restarted (its history was lost): offsets are not comparable, so
        // keep what is newer than what we had, by server time, and follow the new epoch.
        gap = true;
        gapKind = 'epoch';
        const since = s.ts;
        candidates = candidates.filter((m) => since === undefined || (m.ts ?? 0) > since);
        s.epoch = result.epoch;
        s.offset = undefined;
      }
      const deliver = [...candidates].sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0)).filter((m) => accept(s, m));
      const last = result.messages[result.messages.length - 1];
      if (last?.offset !== undefined && s.epoch === result.epoch && !(s.offset !== undefined && s.offset >= last.offset)) {
        // Messages skipped above (older than what we had) still count as seen.
        s.offset = last.offset;
      }
      if (initial && s.offset === undefined) {
        // An empty room: whatever comes next is news.
        s.epoch = result.epoch;
        s.offset = BEFORE_FIRST;
      }
      // The server's cursor when it cut the answer (bytes or count); otherwise, from a position,
      // ask on until an empty page (a server without cursors cuts silently).
      const short = options.pageSize !== undefined && result.messages.length < options.pageSize;
      const more = result.next ?? (!byTime && !short && last?.offset !== undefined ? { room_id: result.room_id, since: last.offset, epoch: result.epoch, ...(options.pageSize !== undefined ? { limit: options.pageSize } : {}) } : undefined);
      if (more && ++s.pages < MAX_CATCH_UP_PAGES) {
        // A read by time that was cut reads on by position.
        if (s.mode === 'time') s.mode = 'position';
        return { deliver, gap, gapKind, next: { room_id: result.room_id, since: more.since, epoch: more.epoch, ...(more.limit !== undefined ? { limit: more.limit } : {}) } };
      }
      if (more) {
        // Gave up paging with more possibly left.
        gap = true;
        gapKind ??= 'pages';
      }
      return { deliver: deliver.concat(release(s)), gap, gapKind };
    },
    abandon(roomId, forRound) {
      const s = states.get(roomId);
      if (!s || forRound !== round) return [];
      if (s.mode === 'baseline') {
        s.mode = 'live';
        return [];
      }
      return catching(s) ? release(s) : [];
    },
    position(roomId) {
      const s = states.get(roomId);
      return s?.epoch !== undefined && s.offset !== undefined ? { epoch: s.epoch, offset: s.offset } : undefined;
    },
  };
}
