import { EventEmitter } from 'node:events';
import { render } from 'ink';
import type { Message } from '../packages/protocol';
import { App } from './components/App';
import type { ViewerInit, ViewerState } from './state/reducer';
import { createManualStream } from './stream/manual-stream';

/**
 * The interactive viewer rendered into an off-screen terminal, fed by hand: the same App,
 * reducer, batching hook and Ink renderer as `im-debug tail` on a TTY, without a socket.
 * For benchmarks (entries/s the view keeps up with, memory after N entries) and smoke checks.
 */

class OffscreenStdout extends EventEmitter {
  readonly isTTY = true;
  bytes = 0;
  writes = 0;
  last = '';
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (chunk: string | Uint8Array): boolean => {
    this.bytes += chunk.length;
    this.writes++;
    this.last = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
}

class OffscreenStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  setRawMode(): void {}
  setEncoding(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  type(text: string): void {
    this.data = text;
    this.emit('readable');
    this.emit('data', text);
  }
}

export interface HeadlessOptions {
  columns?: number;
  rows?: number;
  init?: ViewerInit;
  /** Batching of the stream hook (default as im-debug: 32 ms). */
  batchMs?: number;
  /** Ink's frame cap (default as im-debug: 30). */
  maxFps?: number;
  rooms?: string[];
}

export interface HeadlessStats {
  /** Messages handed to push(). */
  pushed: number;
  /** Messages the viewer's state has taken in (its `received` count). */
  applied: number;
  shown: number;
  dropped: number;
  /** Rows in the ring buffer. */
  buffered: number;
  /** Ink renders, and the time spent in them (ms). */
  renders: number;
  renderMs: number;
  /** Bytes Ink wrote to the off-screen terminal. */
  bytesWritten: number;
}

export interface HeadlessViewer {
  /** Delivers messages as the socket stream would (live). */
  push(messages: Message[]): void;
  /** Types keys (e.g. '/', 'error', '\r', ' '). */
  press(keys: string): void;
  stats(): HeadlessStats;
  /** The last committed state. */
  state(): ViewerState | undefined;
  /** Resolves once every pushed message is in the state. */
  settled(timeoutMs?: number): Promise<HeadlessStats>;
  /** The last frame Ink wrote (with ANSI codes). Empty when CI=true: Ink then renders without writing. */
  lastFrame(): string;
  unmount(): void;
}

/**
 * Mounts the viewer off-screen. Example (bench/):
 *
 *   const v = renderHeadless({ columns: 120, rows: 40 });
 *   v.push(messages);              // any number of times, at any rate
 *   const stats = await v.settled();
 *   v.unmount();
 */
export function renderHeadless(opts: HeadlessOptions = {}): HeadlessViewer {
  const stdout = new OffscreenStdout(opts.columns ?? 120, opts.rows ?? 40);
  const stdin = new OffscreenStdin();
  const stream = createManualStream();
  let pushed = 0;
  let renders = 0;
  let renderMs = 0;
  let last: ViewerState | undefined;
  const instance = render(
    <App
      stream={stream}
      server="http://headless"
      source="remote_debug"
      rooms={opts.rooms ?? ['console-log']}
      init={opts.init}
      batchMs={opts.batchMs}
      onState={(s) => {
        last = s;
      }}
    />,
    {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stderr: new OffscreenStdout(80, 24) as unknown as NodeJS.WriteStream,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: opts.maxFps ?? 30,
      onRender: ({ renderTime }) => {
        renders++;
        renderMs += renderTime;
      },
    },
  );
  const stats = (): HeadlessStats => ({
    pushed,
    applied: last?.received ?? 0,
    shown: last ? last.shown.length - last.noticeRows : 0,
    dropped: last?.dropped ?? 0,
    buffered: last?.entries.length ?? 0,
    renders,
    renderMs,
    bytesWritten: stdout.bytes,
  });
  return {
    push(messages) {
      pushed += messages.length;
      stream.push(messages);
    },
    press: (keys) => stdin.type(keys),
    stats,
    state: () => last,
    async settled(timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while ((last?.received ?? 0) < pushed) {
        if (Date.now() > end) throw new Error(`viewer did not take in ${pushed} messages within ${timeoutMs} ms (has ${last?.received ?? 0})`);
        await new Promise((r) => setTimeout(r, 1));
      }
      return stats();
    },
    lastFrame: () => stdout.last,
    unmount: () => instance.unmount(),
  };
}
