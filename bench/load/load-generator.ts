import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { legacyNotifySign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { connectUrl } from '../../test/helpers/connect-client';
import { serveCommands, settledMemory } from '../lib/ipc';
import { connectLight, payloadFor, SEQ_MARKER, sequenceOf, type LightClient } from '../lib/light-client';
import { summarize, type LatencySummary } from '../lib/stats';

/**
 * The load process: holds the subscribed clients and sends the pushes, so that the server
 * under test has a process (and a core, as far as the OS allows) of its own. Timing uses this
 * process's monotonic clock only: a notify is timed from just before its request is written to
 * the moment each subscriber's frame arrives.
 */

export interface ConnectRequest {
  /** http://127.0.0.1:PORT */
  base: string;
  count: number;
  /** Client i joins rooms[i % rooms.length]. */
  rooms: string[];
  concurrency?: number;
  timeoutMs?: number;
}
export interface ConnectResult {
  /** Connected by this call. */
  connected: number;
  failed: number;
  ms: number;
  firstError?: string;
}

export interface FanoutRequest {
  base: string;
  room: string;
  warmupMs: number;
  durationMs: number;
  maxMessages: number;
  /** Messages sent but not yet delivered to every subscriber, at most. */
  window: number;
  payloadBytes: number;
}
export interface FanoutResult {
  subscribers: number;
  messages: number;
  deliveries: number;
  ms: number;
  deliveriesPerSecond: number;
  messagesPerSecond: number;
  /** Every delivery of the call, warm-up and drain included (for CPU per delivery). */
  totalDeliveries: number;
  /** Messages that did not reach every subscriber by the end of the drain. */
  incomplete: number;
  httpErrors: number;
}

export interface LatencyRequest {
  base: string;
  room: string;
  rate: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
  /** How long to wait for late deliveries after the last send. */
  drainMs?: number;
}
export interface LatencyResult extends LatencySummary {
  subscribers: number;
  messages: number;
  expected: number;
  received: number;
  httpErrors: number;
  /** The rate the sender actually achieved. */
  sentPerSecond: number;
}

const source = 'demo';
const signKey = DEMO_SOURCES.demo.signKey;
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
let clients: LightClient[] = [];
let membersOf = new Map<string, number>();
// Where event frames go: the running measurement installs its handler.
let onEvent: (frame: Buffer) => void = () => {};

function notifyBody(room: string, data: string): string {
  return new URLSearchParams({ source, room_id: room, data, sign: legacyNotifySign(source, room, data, signKey) }).toString();
}

/** POSTs a notify; resolves with the HTTP status (0 when the request failed). */
function postNotify(base: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${base}/api/notify`,
      { method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.setTimeout(10_000, () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

async function connect(r: ConnectRequest): Promise<ConnectResult> {
  const start = performance.now();
  const before = clients.length;
  const wsBase = `${r.base.replace(/^http/, 'ws')}/socket.io/`;
  // Each connection a user of its own, as a page population would be.
  const urlFor = (i: number, room: string) =>
    connectUrl(wsBase, { roomIds: room, userid: `u${i}`, username: `user ${i}`, extra: { EIO: '4', transport: 'websocket' } });
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const deadline = start + (r.timeoutMs ?? 60_000);
  const worker = async () => {
    while (next < r.count && performance.now() < deadline) {
      const i = next++;
      const room = r.rooms[i % r.rooms.length]!;
      try {
        clients.push(await connectLight({ url: urlFor(i, room), onEvent: (f) => onEvent(f) }));
        membersOf.set(room, (membersOf.get(room) ?? 0) + 1);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: r.concurrency ?? 50 }, worker));
  return { connected: clients.length - before, failed, ms: performance.now() - start, firstError };
}

async function fanout(r: FanoutRequest): Promise<FanoutResult> {
  const members = membersOf.get(r.room) ?? 0;
  if (members === 0) throw new Error(`no client in room ${r.room}`);
  const counts = new Uint16Array(r.maxMessages);
  let sent = 0;
  let completed = 0;
  let inflight = 0;
  let deliveries = 0;
  let httpErrors = 0;
  let sending = true;
  let wake: (() => void) | undefined;

  onEvent = (frame) => {
    const seq = sequenceOf(frame, SEQ_MARKER);
    if (seq < 0 || seq >= counts.length) return;
    deliveries++;
    if (++counts[seq]! === members) {
      completed++;
      inflight--;
      pump();
    }
  };
  const pump = () => {
    while (sending && inflight < r.window && sent < r.maxMessages) {
      const seq = sent++;
      inflight++;
      void postNotify(r.base, notifyBody(r.room, payloadFor(seq, r.payloadBytes))).then((status) => {
        if (status !== 200) {
          httpErrors++;
          inflight--;
          pump();
        }
      });
    }
    if (inflight === 0) wake?.();
  };

  pump();
  await new Promise((r2) => setTimeout(r2, r.warmupMs));
  const warmDeliveries = deliveries;
  const warmCompleted = completed;
  const tWarm = performance.now();
  await new Promise((r2) => setTimeout(r2, r.durationMs));
  const tEnd = performance.now();
  const measured = deliveries - warmDeliveries;
  const measuredMessages = completed - warmCompleted;
  sending = false;
  // Drain: everything sent must still arrive everywhere (bounded).
  if (inflight > 0) {
    await Promise.race([new Promise<void>((resolve) => (wake = resolve)), new Promise((r2) => setTimeout(r2, 10_000))]);
  }
  onEvent = () => {};
  const ms = tEnd - tWarm;
  return {
    subscribers: members,
    messages: measuredMessages,
    deliveries: measured,
    ms,
    deliveriesPerSecond: (measured / ms) * 1000,
    messagesPerSecond: (measuredMessages / ms) * 1000,
    totalDeliveries: deliveries,
    incomplete: sent - completed - httpErrors,
    httpErrors,
  };
}

async function latency(r: LatencyRequest): Promise<LatencyResult> {
  const members = membersOf.get(r.room) ?? 0;
  if (members === 0) throw new Error(`no client in room ${r.room}`);
  const total = Math.round((r.rate * (r.warmupMs + r.durationMs)) / 1000);
  const warm = Math.round((r.rate * r.warmupMs) / 1000);
  const sendTimes = new Float64Array(total);
  const samples = new Float64Array((total - warm) * members);
  let n = 0;
  let received = 0;
  let httpErrors = 0;
  const expected = (total - warm) * members;
  let wake: (() => void) | undefined;

  onEvent = (frame) => {
    const at = performance.now();
    const seq = sequenceOf(frame, SEQ_MARKER);
    if (seq < warm || seq >= total) return;
    received++;
    samples[n++] = at - sendTimes[seq]!;
    if (received === expected) wake?.();
  };

  // Open loop: message i is due at start + i/rate whatever happened to the earlier ones.
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + (sent * 1000) / r.rate <= now) {
        const seq = sent++;
        const body = notifyBody(r.room, payloadFor(seq, r.payloadBytes));
        sendTimes[seq] = performance.now();
        void postNotify(r.base, body).then((status) => {
          if (status !== 200) httpErrors++;
        });
      }
      if (sent >= total) return resolve();
      setTimeout(tick, Math.max(0, start + (sent * 1000) / r.rate - performance.now()));
    };
    tick();
  });
  const sendMs = performance.now() - start;
  if (received < expected) {
    await Promise.race([new Promise<void>((resolve) => (wake = resolve)), new Promise((r2) => setTimeout(r2, r.drainMs ?? 10_000))]);
  }
  onEvent = () => {};
  return {
    ...summarize(samples.subarray(0, n)),
    subscribers: members,
    messages: total - warm,
    expected,
    received,
    httpErrors,
    sentPerSecond: (total / sendMs) * 1000,
  };
}

/** Pushes `count` notifies to a room nobody joined, `concurrency` at a time: the cost of the HTTP path alone. */
async function pushes(r: { base: string; room: string; count: number; concurrency: number }): Promise<{ ok: number; ms: number }> {
  let next = 0;
  let ok = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < r.count) {
      const seq = next++;
      if ((await postNotify(r.base, notifyBody(r.room, payloadFor(seq, 128)))) === 200) ok++;
    }
  };
  await Promise.all(Array.from({ length: r.concurrency }, worker));
  return { ok, ms: performance.now() - start };
}

function disconnect(): { closed: number } {
  const closed = clients.length;
  for (const c of clients) c.close();
  clients = [];
  membersOf = new Map();
  return { closed };
}

serveCommands(
  { connect, fanout, latency, pushes, disconnect, mem: () => settledMemory(), cpu: () => process.cpuUsage() },
  { pid: process.pid },
  () => {
    disconnect();
  },
);
