import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEntry, LogLevel, Message } from '../../packages/protocol';
import { App } from '../../terminal-viewer/components/App';
import type { ViewerInit, ViewerState } from '../../terminal-viewer/state/reducer';
import { createManualStream, type ManualStream } from '../../terminal-viewer/stream/manual-stream';
import { until } from '../helpers/wait-for';

const KEYS = { up: '\u001b[A', down: '\u001b[B', pageUp: '\u001b[5~', end: '\u001b[F', enter: '\r', escape: '\u001b', backspace: '\u007f' };
// eslint-disable-next-line no-control-regex
const strip = (s: string | undefined) => (s ?? '').replace(/\u001b\[[0-9;]*m/g, '');

let seq = 0;
function log(level: LogLevel, text: string, over: Partial<LogEntry> = {}): Message {
  seq++;
  const data: LogEntry = { kind: 'log', v: 1, level, method: level, args: [text], ts: 1_700_000_000_000 + seq, seq, session: 'tab-aaaa1111', origin: 'browser', ...over };
  return { source: 'remote_debug', room_id: 'console-log', data, offset: seq, epoch: 'e', ts: 1_700_000_000_000 + seq };
}

interface Viewer {
  stream: ManualStream;
  frame(): string;
  /** Waits until the screen shows `text` (a frame after the batch is applied and rendered). */
  see(text: string | RegExp): Promise<string>;
  /** Waits until the screen no longer shows `text`. */
  notSee(text: string): Promise<string>;
  press(...keys: string[]): Promise<void>;
  state(): ViewerState;
  unmount(): void;
}

const mounted: Viewer[] = [];
afterEach(() => {
  for (const v of mounted.splice(0)) v.unmount();
});

function mount(init: ViewerInit = {}, rooms = ['console-log']): Viewer {
  const stream = createManualStream();
  let last: ViewerState | undefined;
  const r = render(
    <App stream={stream} server="http://127.0.0.1:4000" source="remote_debug" rooms={rooms} init={init} batchMs={1} rows={12} onState={(s) => (last = s)} />,
  );
  const frame = () => strip(r.lastFrame());
  const waitFrame = async (ok: (f: string) => boolean, what: string) => {
    try {
      await until(() => ok(frame()), 5000, `the screen ${what}`);
    } catch (err) {
      throw new Error(`${(err as Error).message}; last frame:\n${frame()}`);
    }
    return frame();
  };
  const v: Viewer = {
    stream,
    frame,
    see: (text) => waitFrame((f) => (typeof text === 'string' ? f.includes(text) : text.test(f)), `to show ${String(text)}`),
    notSee: (text) => waitFrame((f) => !f.includes(text), `to stop showing ${text}`),
    async press(...keys) {
      for (const k of keys) {
        r.stdin.write(k);
        // Ink reads input on the next turns of the event loop.
        await new Promise((res) => setImmediate(res));
      }
    },
    state: () => last!,
    unmount: () => r.unmount(),
  };
  mounted.push(v);
  return v;
}

describe('im-debug App', () => {
  it('shows the status bar, the rows as they arrive and the counts', async () => {
    const v = mount();
    await v.see('waiting for messages on #console-log');
    v.stream.push([log('warn', 'disk almost full'), { source: 'remote_debug', room_id: 'console-log', data: 'a plain notify' }]);
    const f = await v.see('disk almost full');
    expect(f).toContain('● connected');
    expect(f).toContain('127.0.0.1:4000 remote_debug #console-log');
    expect(f).toMatch(/WRN tab-aaaa disk almost full/);
    expect(f).toMatch(/MSG .* a plain notify/);
    expect(f).toMatch(/received 2 shown 2 dropped 0/);
    expect(f).toContain('▼ following');
  });

  it('shows reconnecting, errors and notices from the stream', async () => {
    const v = mount();
    v.stream.setStatus({ state: 'reconnecting', attempt: 3, reason: 'connect ECONNREFUSED 127.0.0.1:4000' });
    await v.see('◌ reconnecting (attempt 3): connect ECONNREFUSED');
    v.stream.notice('reconnected; 2 missed messages read from history');
    v.stream.setStatus({ state: 'connected', catchingUp: false });
    await v.see('--- reconnected; 2 missed messages read from history');
    v.stream.setStatus({ state: 'error', message: 'sign verify failed!', code: 'BAD_SIGN' });
    await v.see('✖ sign verify failed! (BAD_SIGN)');
  });

  it('filters by text as it is typed, keeps it on Enter and restores on Esc', async () => {
    const v = mount();
    v.stream.push([log('info', 'Payment accepted'), log('error', 'Payment refused'), log('log', 'cart opened')]);
    await v.see('cart opened');
    await v.press('/', 'r', 'e', 'f');
    // Wait for the last key's frame: an earlier one ("re") already hides "cart opened".
    await v.see('filter › ref');
    let f = await v.notSee('cart opened');
    expect(f).toContain('Payment refused');
    expect(f).not.toContain('Payment accepted');
    await v.press(KEYS.enter);
    f = await v.see('text ref');
    expect(f).not.toContain('filter ›');
    await v.press('/', KEYS.backspace, KEYS.backspace, KEYS.backspace, '/', '^(cart|payment a)/', 'i');
    f = await v.see('cart opened');
    expect(f).toContain('Payment accepted');
    expect(f).not.toContain('Payment refused');
    await v.press(KEYS.escape);
    f = await v.see('text ref');
    expect(f).not.toContain('cart opened');
  });

  it('shows a broken regular expression without losing the last filter', async () => {
    const v = mount();
    v.stream.push([log('info', 'alpha'), log('info', 'beta')]);
    await v.see('beta');
    await v.press('/', '/(a/');
    const f = await v.see('invalid regular expression');
    expect(f).toContain('alpha');
    expect(f).toContain('beta');
  });

  it('toggles levels with 1-5 and cycles sessions with s', async () => {
    const v = mount();
    v.stream.push([
      log('debug', 'dbg line', { session: 'tab-one' }),
      log('warn', 'warn line', { session: 'tab-two', page: { url: 'https://shop.example.com/cart' } }),
      log('error', 'err line', { session: 'tab-one' }),
    ]);
    await v.see('err line');
    await v.press('1');
    let f = await v.notSee('dbg line');
    expect(f).toContain('warn line');
    await v.press('5');
    f = await v.notSee('err line');
    expect(f).toContain('warn line');
    await v.press('0', 's');
    f = await v.see('session tab-one');
    expect(f).toContain('dbg line');
    expect(f).not.toContain('warn line');
    await v.press('s');
    f = await v.see('session tab-two https://shop.example.com/cart');
    expect(f).not.toContain('dbg line');
    await v.press('s');
    await v.see('session all (2)');
  });

  it('pauses with space, counts what waits, and resumes at the end', async () => {
    const v = mount();
    v.stream.push([log('log', 'first')]);
    await v.see('first');
    await v.press(' ');
    await v.see('PAUSED');
    v.stream.push([log('log', 'second'), log('log', 'third')]);
    let f = await v.see('PAUSED · 2 new');
    expect(f).not.toContain('second');
    await v.press(KEYS.end);
    f = await v.see('▼ following');
    expect(f).toContain('third');
  });

  it('scrolls up through rows that do not fit, pausing, with a badge of the rows below', async () => {
    const v = mount();
    v.stream.push(Array.from({ length: 30 }, (_, i) => log('log', `row ${String(i).padStart(2, '0')}`)));
    let f = await v.see('row 29');
    expect(f).not.toContain('row 20');
    await v.press(KEYS.pageUp);
    f = await v.see('PAUSED · 8 new');
    expect(f).toContain('row 21');
    expect(f).not.toContain('row 29');
    await v.press('g');
    f = await v.see('row 00');
    expect(f).toContain('PAUSED · 21 new');
    await v.press('G');
    await v.see('row 29');
  });

  it('expands objects, shows raw JSON, and clears the list', async () => {
    const v = mount();
    v.stream.push([log('info', 'order', { args: ['order', { id: 42, items: Array.from({ length: 20 }, (_, i) => `item-${i}`) }] })]);
    await v.see("order { id: 42, items: ['item-0'");
    await v.press(KEYS.enter);
    let f = await v.see('      id: 42,');
    expect(f).toContain('expanded');
    await v.press(KEYS.enter, 'j');
    f = await v.see('"kind":"log"');
    expect(f).toContain('JSON');
    await v.press('c');
    f = await v.see('waiting for messages');
    expect(f).toContain('received 1 shown 0');
  });

  it('prefixes rows with their room when several rooms are read', async () => {
    const v = mount({}, ['a', 'b']);
    v.stream.push([{ source: 'demo', room_id: 'b', data: 'in b' }]);
    const f = await v.see('in b');
    expect(f).toContain('#a #b');
    expect(f).toMatch(/MSG #b .* in b/);
  });

  it('opens the key help with ? and quits on q', async () => {
    const v = mount();
    await v.press('?');
    const f = await v.see('im-debug keys');
    expect(f).toContain('pause / resume');
    await v.press('?');
    await v.notSee('im-debug keys');
    await v.press('q');
    await until(() => v.state().quit, 5000, 'quit');
  });
});
