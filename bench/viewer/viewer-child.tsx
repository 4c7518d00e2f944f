import { PassThrough, Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { render } from 'ink';
import type { Message } from '../../packages/protocol';
import { App } from '../../terminal-viewer/components/App';
import { createViewerState, reducer, type ViewerState } from '../../terminal-viewer/state/reducer';
import { createManualStream } from '../../terminal-viewer/stream/manual-stream';
import { serveCommands, settledMemory } from '../lib/ipc';

/**
 * The `im-debug tail` view, headless: the real Ink App (as commands/tail-tty.tsx renders it,
 * 30 frames per second at most) on a fake 120×40 terminal, fed through a manual stream as fast
 * as it takes entries. Runs in a process of its own so its memory is the viewer's alone.
 */

export interface ViewerRunRequest {
  mode: 'tty' | 'reducer';
  entries: number;
  /** Entries handed over per turn of the event loop. */
  chunk: number;
  /** Entries pushed but not yet in the view's state, at most: the view must keep up. */
  maxBacklog: number;
  timeLimitMs: number;
}

export interface ViewerRunResult {
  mode: 'tty' | 'reducer';
  entries: number;
  /** Entries the view's state holds as received at the end. */
  received: number;
  ms: number;
  perSecond: number;
  frames: number;
  bytesWritten: number;
  /** Rows kept (the ring buffer). */
  rows: number;
  heapBefore: number;
  heapAfter: number;
  rssBefore: number;
  rssAfter: number;
}

const SESSIONS = ['a1b2c3', 'd4e5f6', 'g7h8i9', 'j0k1l2', 'm3n4o5'];
const LEVELS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/** A remote-debug message as the hook sends it: a console.log with a format string, a number and an object. */
function message(i: number): Message {
  const ts = 1_764_000_000_000 + i;
  return {
    source: 'remote_debug',
    room_id: 'console-log',
    offset: i + 1,
    epoch: 'bench',
    ts,
    data: {
      kind: 'log',
      v: 1,
      level: LEVELS[i % 5]!,
      method: LEVELS[i % 5]!,
      args: ['order %d updated', i, { id: i, items: [1, 2, 3], user: { name: 'ada', admin: false } }],
      ts,
      seq: i + 1,
      session: SESSIONS[i % SESSIONS.length]!,
      origin: 'browser',
      page: { url: 'https://shop.example.com/checkout?step=2', title: 'Checkout' },
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
      viewport: { width: 1280, height: 720 },
      callSite: { file: 'https://shop.example.com/assets/checkout.js', line: 120 + (i % 50), col: 9 },
    },
  };
}

function fakeTerminal(): { stdout: NodeJS.WriteStream; frames: () => number; bytes: () => number } {
  let frames = 0;
  let bytes = 0;
  const out = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      frames++;
      bytes += chunk.length;
      cb();
    },
  });
  Object.assign(out, { isTTY: true, columns: 120, rows: 40 });
  return { stdout: out as unknown as NodeJS.WriteStream, frames: () => frames, bytes: () => bytes };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function runTty(r: ViewerRunRequest): Promise<ViewerRunResult> {
  const before = await settledMemory();
  const stream = createManualStream();
  const term = fakeTerminal();
  const stdin = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream;
  let state: ViewerState | undefined;
  const instance = render(
    <App stream={stream} server="http://127.0.0.1:4000" source="remote_debug" rooms={['console-log']} columns={120} rows={40} onState={(s) => (state = s)} />,
    { stdout: term.stdout, stdin, stderr: term.stdout, exitOnCtrlC: false, patchConsole: false, maxFps: 30 },
  );
  const received = () => state?.received ?? 0;
  let pushed = 0;
  const start = performance.now();
  const deadline = start + r.timeLimitMs;
  while (pushed < r.entries && performance.now() < deadline) {
    if (pushed - received() < r.maxBacklog) {
      const n = Math.min(r.chunk, r.entries - pushed);
      const batch = new Array<Message>(n);
      for (let k = 0; k < n; k++) batch[k] = message(pushed + k);
      stream.push(batch);
      pushed += n;
    }
    await turn();
  }
  while (received() < pushed && performance.now() < deadline + 5000) await turn();
  const ms = performance.now() - start;
  // One more frame so the last state is on screen, as a user would see it.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const after = await settledMemory();
  const rows = state?.entries.length ?? 0;
  instance.unmount();
  return {
    mode: 'tty',
    entries: pushed,
    received: received(),
    ms,
    perSecond: (received() / ms) * 1000,
    frames: term.frames(),
    bytesWritten: term.bytes(),
    rows,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    rssBefore: before.rss,
    rssAfter: after.rss,
  };
}

/** The reducer alone, in the same batches: what the state logic costs without rendering. */
async function runReducer(r: ViewerRunRequest): Promise<ViewerRunResult> {
  const before = await settledMemory();
  let state = createViewerState();
  const start = performance.now();
  let pushed = 0;
  while (pushed < r.entries && performance.now() < start + r.timeLimitMs) {
    const n = Math.min(r.chunk, r.entries - pushed);
    const batch = new Array<Message>(n);
    for (let k = 0; k < n; k++) batch[k] = message(pushed + k);
    state = reducer(state, { type: 'append', messages: batch, receivedAt: Date.now() });
    pushed += n;
  }
  const ms = performance.now() - start;
  const after = await settledMemory();
  return {
    mode: 'reducer',
    entries: pushed,
    received: state.received,
    ms,
    perSecond: (state.received / ms) * 1000,
    frames: 0,
    bytesWritten: 0,
    rows: state.entries.length,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    rssBefore: before.rss,
    rssAfter: after.rss,
  };
}

serveCommands({ run: (r: ViewerRunRequest) => (r.mode === 'tty' ? runTty(r) : runReducer(r)) }, { pid: process.pid });
