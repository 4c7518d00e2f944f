import type { Message } from '../../packages/protocol';
import { noticeEntry, toViewEntry, type ViewEntry } from '../format/view-entry';
import { ALL_LEVELS, compileText, createFilter, matches, type Filter } from './filters';
import { isSpecialKey, keyToAction } from './keys';
import { DEFAULT_BUFFER_SIZE, MAX_SESSIONS, type Action, type SessionInfo, type ViewerInit, type ViewerState } from './viewer-state';

/**
 * The viewer's whole state and the only code that changes it. Pure: the same state and action
 * always give the same result, so it is unit-tested without a terminal. Memory is bounded by
 * the ring buffer (`bufferSize` rows); `shown` is the filtered subset, kept incrementally.
 */

export { DEFAULT_BUFFER_SIZE, MAX_SESSIONS } from './viewer-state';
export type { Action, SessionInfo, ViewerInit, ViewerState } from './viewer-state';

export function createViewerState(init: ViewerInit = {}): ViewerState {
  const bufferSize = init.bufferSize ?? DEFAULT_BUFFER_SIZE;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) throw new RangeError(`bufferSize must be a positive integer, got ${bufferSize}`);
  const state: ViewerState = {
    bufferSize,
    nextId: 1,
    entries: [],
    shown: [],
    received: 0,
    dropped: 0,
    lost: 0,
    filter: createFilter(init.filter),
    filterError: null,
    input: null,
    follow: true,
    anchorId: 0,
    page: Math.max(1, init.page ?? 20),
    noticeRows: 0,
    json: init.json ?? false,
    expanded: init.expanded ?? false,
    help: false,
    sessions: [],
    status: { state: 'connecting', attempt: 0 },
    quit: false,
  };
  const at = init.at ?? 0;
  return (init.notices ?? []).reduce((s, n) => reducer(s, { type: 'notice', text: n.text, level: n.level, at }), state);
}

/** Index of the last row whose id is <= id (-1 when none): rows are sorted by id. */
export function indexAtOrBefore(rows: readonly ViewEntry[], id: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid]!.id <= id) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Lowest index scrolling takes the bottom row to: in the one-line view the end of the first
 * screenful, so that every scroll key moves what is seen (in the expanded views rows have
 * different heights, so the first row).
 */
function minBottom(state: ViewerState): number {
  return state.expanded ? 0 : Math.min(Math.max(0, state.page - 1), state.shown.length - 1);
}

/** Index of the bottom row of the view (-1 when nothing is shown). */
export function bottomIndex(state: ViewerState): number {
  const last = state.shown.length - 1;
  if (state.follow || last < 0) return last;
  // The anchor fell out of the buffer (or the filter hides everything before it): the oldest row.
  return Math.min(last, Math.max(0, indexAtOrBefore(state.shown, state.anchorId)));
}

/** Rows below the view while not following: the "N new" badge. */
export function pendingCount(state: ViewerState): number {
  if (state.follow) return 0;
  return state.shown.length - 1 - bottomIndex(state);
}

/** Filtered messages (notices are not messages). */
export function shownCount(state: ViewerState): number {
  return state.shown.length - state.noticeRows;
}

function refilter(state: ViewerState, filter: Filter): ViewerState {
  return { ...state, filter, shown: state.entries.filter((e) => matches(e, filter)) };
}

function addRows(state: ViewerState, fresh: ViewEntry[]): ViewerState {
  const { entries, bufferSize } = state;
  const overflow = Math.max(0, entries.length + fresh.length - bufferSize);
  let kept: ViewEntry[];
  let evicted = 0;
  let noticesOut = 0;
  let noticesIn = 0;
  for (const e of fresh) if (e.kind === 'notice') noticesIn++;
  if (overflow === 0) {
    kept = entries.concat(fresh);
  } else {
    const fromOld = Math.min(overflow, entries.length);
    for (let i = 0; i < fromOld; i++) if (entries[i]!.kind !== 'notice') evicted++;
    const fromFresh = overflow - fromOld;
    for (let i = 0; i < fromFresh; i++) if (fresh[i]!.kind !== 'notice') evicted++;
    noticesOut = overflow - evicted;
    kept = fromFresh > 0 ? fresh.slice(fromFresh) : entries.slice(fromOld).concat(fresh);
  }
  const oldest = kept[0]?.id ?? state.nextId;
  const first = state.shown.length && state.shown[0]!.id < oldest ? indexAtOrBefore(state.shown, oldest - 1) + 1 : 0;
  const added = fresh.filter((e) => e.id >= oldest && matches(e, state.filter));
  const base = first > 0 ? state.shown.slice(first) : state.shown;
  return {
    ...state,
    entries: kept,
    shown: added.length ? base.concat(added) : base,
    dropped: state.dropped + evicted,
    noticeRows: state.noticeRows + noticesIn - noticesOut,
  };
}

function append(state: ViewerState, messages: readonly Message[], receivedAt: number): ViewerState {
  if (messages.length === 0) return state;
  // A burst larger than the buffer: only its tail can stay, so only the tail is parsed.
  const skip = Math.max(0, messages.length - state.bufferSize);
  let nextId = state.nextId;
  let lost = state.lost;
  let sessions = state.sessions;
  let known: Set<string> | undefined;
  const fresh: ViewEntry[] = new Array(messages.length - skip);
  for (let i = skip; i < messages.length; i++) {
    const entry = toViewEntry(messages[i]!, nextId++, receivedAt);
    fresh[i - skip] = entry;
    if (entry.log?.dropped) lost += entry.log.dropped;
    if (entry.session !== undefined) {
      known ??= new Set(sessions.map((s) => s.id));
      if (!known.has(entry.session)) {
        known.add(entry.session);
        const from = entry.log ?? entry.net ?? entry.perf;
        const info: SessionInfo = { id: entry.session, origin: from?.origin ?? '', page: from?.page?.url };
        sessions = sessions.length >= MAX_SESSIONS ? [...sessions.slice(1), info] : [...sessions, info];
      }
    }
  }
  const next = addRows({ ...state, nextId, lost, sessions, received: state.received + messages.length }, fresh);
  return skip > 0 ? { ...next, dropped: next.dropped + skip } : next;
}

function scrollTo(state: ViewerState, index: number, resumeAtEnd: boolean): ViewerState {
  const last = state.shown.length - 1;
  if (last < 0) return state;
  const idx = Math.min(last, Math.max(minBottom(state), index));
  if (idx === last && resumeAtEnd) return { ...state, follow: true };
  return { ...state, follow: false, anchorId: state.shown[idx]!.id };
}

function withText(state: ViewerState, text: string): ViewerState {
  return refilter(state, { ...state.filter, text, pattern: compileText(text) });
}

export function reducer(state: ViewerState, action: Action): ViewerState {
  switch (action.type) {
    case 'append':
      return append(state, action.messages, action.receivedAt);
    case 'notice':
      return addRows({ ...state, nextId: state.nextId + 1 }, [noticeEntry(action.text, state.nextId, action.at, action.level)]);
    case 'status':
      return { ...state, status: action.status };
    case 'scroll':
      return scrollTo(state, bottomIndex(state) + action.by, action.by > 0);
    case 'top':
      return scrollTo(state, 0, false);
    case 'resize':
      return action.page === state.page ? state : { ...state, page: Math.max(1, action.page) };
    case 'follow':
      return { ...state, follow: true };
    case 'togglePause':
      if (!state.follow) return { ...state, follow: true };
      return { ...state, follow: false, anchorId: state.shown.at(-1)?.id ?? state.nextId - 1 };
    case 'clear':
      return { ...state, entries: [], shown: [], follow: true, noticeRows: 0 };
    case 'toggleLevel':
      return refilter(state, { ...state.filter, levels: { ...state.filter.levels, [action.level]: !state.filter.levels[action.level] } });
    case 'allLevels':
      return refilter(state, { ...state.filter, levels: ALL_LEVELS });
    case 'cycleSession': {
      const ids: Array<string | null> = [null, ...state.sessions.map((s) => s.id)];
      const at = Math.max(0, ids.indexOf(state.filter.session));
      const session = ids[(at + action.direction + ids.length) % ids.length] ?? null;
      return refilter(state, { ...state.filter, session });
    }
    case 'cycleNetwork': {
      const next = { show: 'only', only: 'hide', hide: 'show' } as const;
      return refilter(state, { ...state.filter, network: next[state.filter.network] });
    }
    case 'resetFilters':
      return { ...refilter(state, createFilter()), filterError: null, input: null };
    case 'openFilter':
      return { ...state, input: { draft: state.filter.text, before: state.filter.text }, filterError: null };
    case 'editFilter': {
      if (!state.input) return state;
      const input = { ...state.input, draft: action.draft };
      try {
        return { ...withText(state, action.draft), input, filterError: null };
      } catch (err) {
        return { ...state, input, filterError: (err as Error).message };
      }
    }
    case 'commitFilter':
      if (!state.input || state.filterError) return state;
      return { ...state, input: null };
    case 'cancelFilter':
      if (!state.input) return state;
      return { ...withText(state, state.input.before), input: null, filterError: null };
    case 'toggleJson':
      return { ...state, json: !state.json };
    case 'toggleExpanded':
      return { ...state, expanded: !state.expanded };
    case 'toggleHelp':
      return { ...state, help: !state.help };
    case 'key': {
      const chars = [...action.input];
      // Keys typed faster than the terminal is read arrive as one string ("0s"): one at a time.
      if (chars.length > 1 && !state.input && !isSpecialKey(action.key)) {
        return chars.reduce((s, input) => (s.quit ? s : reducer(s, { type: 'key', input, key: {} })), state);
      }
      const result = keyToAction(state, action.input, action.key);
      if (result === 'quit') return { ...state, quit: true };
      return result ? reducer(state, result) : state;
    }
  }
}
