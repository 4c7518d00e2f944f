import type { AckResult, HistoryResult, Message } from '../../packages/protocol';
import { openClient, type ConnectOptions, type TestSocket } from './connect-client';

interface Position {
  epoch: string;
  offset: number;
}

/**
 * A subscriber that never loses or repeats a message, the way the SDK and the viewer work:
 * it keeps the last (epoch, offset) per room, drops what it has already seen, and when it
 * sees a gap, a new epoch or a fresh (not recovered) reconnection, it asks `history` for what
 * it missed before taking live messages again.
 */
export class TrackingClient {
  readonly socket: TestSocket;
  /** Accepted messages, in order (per room the offsets are consecutive). */
  readonly messages: Message[] = [];
  /** Messages seen twice and dropped. */
  duplicates = 0;
  /** Reconnections, and how many of them Socket.IO recovered by itself. */
  reconnects = 0;
  recovered = 0;
  historyCalls = 0;
  truncated = 0;
  private readonly positions = new Map<string, Position>();
  private readonly catchingUp = new Map<string, Message[]>();
  private readonly active = new Set<string>();
  private readonly again = new Set<string>();
  private connectedOnce = false;
  private readonly waiters = new Set<() => void>();

  constructor(url: string, options: ConnectOptions = {}) {
    this.socket = openClient(url, {
      ...options,
      options: {
        transports: ['websocket'],
        reconnection: true,
        reconnectionDelay: 20,
        reconnectionDelayMax: 200,
        randomizationFactor: 0,
        ...options.options,
      },
    });
    this.socket.on('connect', () => {
      if (this.connectedOnce) {
        this.reconnects++;
        if (this.socket.recovered) this.recovered++;
        else for (const room of this.positions.keys()) void this.catchUp(room);
      }
      this.connectedOnce = true;
      this.notify();
    });
    this.socket.on('newMsg', (m: Message) => this.onMessage(m));
  }

  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  /** Resolves once `check` holds; checked after every accepted message and reconnection. */
  until(check: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(test);
        reject(new Error(`timed out after ${ms} ms waiting for ${what} (have ${this.messages.length} messages)`));
      }, ms);
      const test = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(test);
        resolve();
      };
      this.waiters.add(test);
    });
  }

  data(room?: string): unknown[] {
    return this.messages.filter((m) => room === undefined || m.room_id === room).map((m) => m.data);
  }

  close(): void {
    this.socket.close();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private onMessage(m: Message): void {
    const buffer = this.catchingUp.get(m.room_id);
    if (buffer) {
      buffer.push(m);
      return;
    }
    this.accept(m);
  }

  private accept(m: Message): void {
    if (m.offset === undefined || m.epoch === undefined) {
      // Delivered while Redis was away: no position to track.
      this.messages.push(m);
      this.notify();
      return;
    }
    const pos = this.positions.get(m.room_id);
    if (pos && pos.epoch === m.epoch && m.offset <= pos.offset) {
      this.duplicates++;
      return;
    }
    if (pos && (pos.epoch !== m.epoch || m.offset > pos.offset + 1)) {
      // A gap or a new epoch: fetch what is missing first, then this one (it is in history too).
      this.catchingUp.set(m.room_id, [m]);
      void this.catchUp(m.room_id);
      return;
    }
    this.positions.set(m.room_id, { epoch: m.epoch, offset: m.offset });
    this.messages.push(m);
    this.notify();
  }

  private async catchUp(room: string): Promise<void> {
    if (!this.catchingUp.has(room)) this.catchingUp.set(room, []);
    if (this.active.has(room)) {
      this.again.add(room);
      return;
    }
    this.active.add(room);
    try {
      for (;;) {
        const pos = this.positions.get(room);
        if (!pos) break;
        this.historyCalls++;
        const res = (await this.socket
          .timeout(5000)
          .emitWithAck('history', { room_id: room, since: pos.offset, epoch: pos.epoch, limit: 500 })) as unknown as AckResult<HistoryResult>;
        if (!res.ok) throw new Error(`history failed: ${res.error.message}`);
        const { epoch, messages, truncated } = res.result;
        if (truncated) this.truncated++;
        // A new epoch: take all it has, from its start.
        if (epoch !== pos.epoch) this.positions.set(room, { epoch, offset: 0 });
        for (const m of messages) this.acceptInOrder(m);
        if (messages.length < 500) break;
      }
    } catch {
      // Disconnected while catching up: the next connection starts over.
    } finally {
      this.active.delete(room);
    }
    if (this.again.delete(room)) {
      void this.catchUp(room);
      return;
    }
    const buffer = this.catchingUp.get(room) ?? [];
    this.catchingUp.delete(room);
    for (const m of buffer.sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0))) this.accept(m);
  }

  private acceptInOrder(m: Message): void {
    const pos = this.positions.get(m.room_id)!;
    if (m.epoch === pos.epoch && m.offset! <= pos.offset) {
      this.duplicates++;
      return;
    }
    this.positions.set(m.room_id, { epoch: m.epoch!, offset: m.offset! });
    this.messages.push(m);
    this.notify();
  }
}
