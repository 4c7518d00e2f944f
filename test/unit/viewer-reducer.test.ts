import { describe, expect, it } from 'vitest';
import type { LogEntry, LogLevel, Message } from '../../packages/protocol';
import {
  bottomIndex,
  createViewerState,
  pendingCount,
  reducer,
  shownCount,
  type Action,
  type ViewerInit,
  type ViewerState,
} from '../../terminal-viewer/state/reducer';
import type { KeyInfo } from '../../terminal-viewer/state/keys';

let offset = 0;
function entry(over: Partial<LogEntry> = {}): LogEntry {
  return { kind: 'log', v: 1, level: 'log', method: 'log', args: ['hello'], ts: 1_700_000_000_000, seq: 1, session: 'tab-1', origin: 'browser', ...over };
}
function msg(data: unknown, room = 'console-log'): Message {
  offset++;
  return { source: 'remote_debug', room_id: room, data, offset, epoch: 'e1', ts: 1_700_000_000_000 + offset };
}
function log(level: LogLevel, text: string, session = 'tab-1'): Message {
  return msg(entry({ level, method: level, args: [text], session }));
}

function run(state: ViewerState, ...actions: Action[]): ViewerState {
  return actions.reduce(reducer, state);
}
const append = (...messages: Message[]): Action => ({ type: 'append', messages, receivedAt: 1 });
const key = (input: string, k: KeyInfo = {}): Action => ({ type: 'key', input, key: k });
const texts = (s: ViewerState) => s.shown.map((e) => e.summary);
const init = (over: ViewerInit = {}) => createViewerState({ page: 3, ...over });

describe('viewer reducer: entries', () => {
  it('turns log entries into log rows and everything else into plain rows, never dropping one', () => {
    const s = run(
      init(),
      append(
        log('warn', 'careful'),
        msg('a plain notify string'),
        msg({ username: 'spring', key: 'user_quit', msg: 'spring退出群聊' }),
        msg(42),
        msg(null),
        msg(JSON.stringify(entry({ level: 'error', args: ['from php'] }))),
        msg({ kind: 'log', level: 'warn' }),
      ),
    );
    expect(s.received).toBe(7);
    expect(s.shown.map((e) => e.kind)).toEqual(['log', 'plain', 'plain', 'plain', 'plain', 'log', 'plain']);
    expect(s.shown.map((e) => e.level)).toEqual(['warn', 'log', 'log', 'log', 'log', 'error', 'log']);
    expect(texts(s)).toEqual([
      'careful',
      'a plain notify string',
      "{ username: 'spring', key: 'user_quit', msg: 'spring退出群聊' }",
      '42',
      'null',
      'from php',
      "{ kind: 'log', level: 'warn' }",
    ]);
    expect(s.shown[0]!.message!.offset).toBe(s.shown[0]!.message!.offset);
  });

  it('keeps a ring buffer: the oldest rows fall out and are counted as dropped', () => {
    let s = init({ bufferSize: 3 });
    for (let i = 1; i <= 5; i++) s = reducer(s, append(log('log', `m${i}`)));
    expect(s.entries.map((e) => e.summary)).toEqual(['m3', 'm4', 'm5']);
    expect(texts(s)).toEqual(['m3', 'm4', 'm5']);
    expect(s).toMatchObject({ received: 5, dropped: 2 });
  });

  it('parses only the tail of a burst larger than the buffer', () => {
    const burst = Array.from({ length: 10 }, (_, i) => log('info', `b${i}`));
    const s = run(init({ bufferSize: 4 }), append(log('log', 'old')), append(...burst));
    expect(texts(s)).toEqual(['b6', 'b7', 'b8', 'b9']);
    expect(s).toMatchObject({ received: 11, dropped: 7 });
  });

  it('keeps the filtered list in step with evictions', () => {
    let s = init({ bufferSize: 4, filter: { level: 'warn' } });
    s = run(s, append(log('warn', 'w1'), log('log', 'l1'), log('error', 'e1')));
    s = run(s, append(log('log', 'l2'), log('log', 'l3')));
    expect(texts(s)).toEqual(['e1']);
    expect(s.shown.every((e) => s.entries.includes(e))).toBe(true);
  });

  it('shows notices whatever the filter, and does not count them as messages', () => {
    const s = run(
      init({ filter: { level: 'error' } }),
      append(log('log', 'hidden')),
      { type: 'notice', text: 'reconnected', level: 'info', at: 5 },
    );
    expect(texts(s)).toEqual(['reconnected']);
    expect(s.received).toBe(1);
    expect(shownCount(s)).toBe(0);
  });

  it('remembers sessions in order of appearance, with their page', () => {
    const page = { url: 'https://shop.example.com/cart' };
    const s = run(init(), append(msg(entry({ session: 'b', page })), msg(entry({ session: 'a' })), msg(entry({ session: 'b' }))));
    expect(s.sessions).toEqual([
      { id: 'b', origin: 'browser', page: page.url },
      { id: 'a', origin: 'browser', page: undefined },
    ]);
  });

  it('adds up what producers report as dropped', () => {
    const s = run(init(), append(msg(entry({ dropped: 3 })), msg(entry({ dropped: 2 }))));
    expect(s.lost).toBe(5);
  });

  it('clear empties the list but keeps the totals', () => {
    const s = run(init(), append(log('log', 'a'), log('log', 'b')), { type: 'clear' });
    expect(s.shown).toEqual([]);
    expect(s.entries).toEqual([]);
    expect(s.received).toBe(2);
  });
});

describe('viewer reducer: filters', () => {
  const base = () =>
    run(
      init(),
      append(log('debug', 'dbg', 'A'), log('info', 'Connection refused', 'A'), log('warn', 'slow', 'B'), log('error', 'timeout', 'B'), msg('plain')),
    );

  it('toggles levels (plain messages count as log) and shows all again with allLevels', () => {
    let s = run(base(), { type: 'toggleLevel', level: 'debug' }, { type: 'toggleLevel', level: 'log' });
    expect(texts(s)).toEqual(['Connection refused', 'slow', 'timeout']);
    s = reducer(s, { type: 'allLevels' });
    expect(texts(s)).toHaveLength(5);
  });

  it('cycles through the sessions and back to all', () => {
    let s = reducer(base(), { type: 'cycleSession', direction: 1 });
    expect(s.filter.session).toBe('A');
    expect(texts(s)).toEqual(['dbg', 'Connection refused']);
    s = reducer(s, { type: 'cycleSession', direction: 1 });
    expect(texts(s)).toEqual(['slow', 'timeout']);
    s = reducer(s, { type: 'cycleSession', direction: 1 });
    expect(s.filter.session).toBeNull();
    expect(reducer(s, { type: 'cycleSession', direction: -1 }).filter.session).toBe('B');
  });

  it('filters live while the text is typed, and Enter keeps it', () => {
    let s = run(base(), key('/'), key('R'), key('E'), key('f'));
    expect(s.input?.draft).toBe('REf');
    expect(texts(s)).toEqual(['Connection refused']);
    s = reducer(s, key('', { backspace: true }));
    expect(s.input?.draft).toBe('RE');
    expect(texts(s)).toEqual(['Connection refused']);
    s = reducer(s, key('', { return: true }));
    expect(s.input).toBeNull();
    expect(s.filter.text).toBe('RE');
  });

  it('takes /regex/flags, keeps the last valid filter while the expression is broken, and Esc restores', () => {
    let s = run(base(), key('/'), key('/(slow|time/'));
    expect(s.filterError).toMatch(/invalid regular expression/);
    expect(texts(s)).toHaveLength(5);
    s = run(s, key('', { return: true }));
    expect(s.input).not.toBeNull();
    s = run(s, key('', { backspace: true }), key('OUT)/i'));
    expect(s.filterError).toBeNull();
    expect(texts(s)).toEqual(['slow', 'timeout']);
    s = reducer(s, key('', { escape: true }));
    expect(s.filter.text).toBe('');
    expect(texts(s)).toHaveLength(5);
  });

  it('takes several keys read at once one by one, the rest of them as filter text after /', () => {
    let s = reducer(base(), key('15'));
    expect(s.filter.levels).toMatchObject({ debug: false, error: false, info: true });
    s = reducer(s, key('0/slow'));
    expect(s.input?.draft).toBe('slow');
    expect(texts(s)).toEqual(['slow']);
  });

  it('x clears every filter', () => {
    const s = run(base(), { type: 'toggleLevel', level: 'warn' }, { type: 'cycleSession', direction: 1 }, key('x'));
    expect(texts(s)).toHaveLength(5);
  });
});

describe('viewer reducer: follow, pause and scroll', () => {
  const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => log('log', `r${from + i}`));

  it('follows the newest row until paused, then counts what waits', () => {
    let s = run(init(), append(...rows(5)));
    expect(s.follow).toBe(true);
    expect(bottomIndex(s)).toBe(4);
    s = run(s, key(' '), append(...rows(3, 5)));
    expect(s.follow).toBe(false);
    expect(bottomIndex(s)).toBe(4);
    expect(pendingCount(s)).toBe(3);
    s = reducer(s, key(' '));
    expect(s.follow).toBe(true);
    expect(pendingCount(s)).toBe(0);
  });

  it('scrolling up pauses; scrolling down to the end resumes', () => {
    let s = run(init(), append(...rows(10)), key('', { upArrow: true }), key('', { upArrow: true }));
    expect(s.follow).toBe(false);
    expect(bottomIndex(s)).toBe(7);
    s = run(s, append(...rows(2, 10)));
    expect(bottomIndex(s)).toBe(7);
    expect(pendingCount(s)).toBe(4);
    s = run(s, key('', { downArrow: true }), key('', { downArrow: true }), key('', { downArrow: true }));
    expect(s.follow).toBe(false);
    s = reducer(s, key('', { downArrow: true }));
    expect(s.follow).toBe(true);
  });

  it('never moves the bottom row above the first screenful, and pages by the height', () => {
    let s = run(init({ page: 3 }), append(...rows(10)), key('g'));
    expect(bottomIndex(s)).toBe(2);
    expect(pendingCount(s)).toBe(7);
    s = reducer(s, key('', { upArrow: true }));
    expect(bottomIndex(s)).toBe(2);
    s = reducer(s, key('', { pageDown: true }));
    expect(bottomIndex(s)).toBe(4);
    s = reducer(s, key('G'));
    expect(s.follow).toBe(true);
  });

  it('keeps the view on the same rows when older rows fall out of the buffer', () => {
    let s = run(init({ bufferSize: 6, page: 2 }), append(...rows(6)), key('', { upArrow: true }));
    const anchored = s.shown[bottomIndex(s)]!.summary;
    s = run(s, append(...rows(2, 6)));
    expect(s.shown[bottomIndex(s)]!.summary).toBe(anchored);
  });

  it('toggles the JSON and expanded views, the help, and quits on q or Ctrl-C', () => {
    const s = init();
    expect(reducer(s, key('j')).json).toBe(true);
    expect(reducer(s, key('', { return: true })).expanded).toBe(true);
    expect(reducer(s, key('p')).expanded).toBe(true);
    expect(reducer(s, key('?')).help).toBe(true);
    expect(reducer(s, key('q')).quit).toBe(true);
    expect(reducer(s, key('c', { ctrl: true })).quit).toBe(true);
    // While typing a filter, q is a letter.
    expect(run(s, key('/'), key('q')).quit).toBe(false);
  });

  it('reports the connection status it is given', () => {
    const s = reducer(init(), { type: 'status', status: { state: 'reconnecting', attempt: 3, reason: 'transport close' } });
    expect(s.status).toEqual({ state: 'reconnecting', attempt: 3, reason: 'transport close' });
  });
});
