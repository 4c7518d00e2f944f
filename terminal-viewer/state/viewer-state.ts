import type { LogLevel, Message } from '../../packages/protocol';
import type { ConnectionStatus, NoticeLevel } from '../stream/types';
import type { ViewEntry } from '../format/view-entry';
import type { Filter, FilterInit } from './filters';

// The viewer's state and actions as types, apart from the reducer, so the key map (which the
// reducer calls) and the reducer both depend on this file and not on each other.

export const DEFAULT_BUFFER_SIZE = 10_000;
/** Sessions remembered for the session picker. */
export const MAX_SESSIONS = 500;

export interface SessionInfo {
  id: string;
  origin: string;
  page?: string;
}

export interface ViewerState {
  bufferSize: number;
  nextId: number;
  /** The ring buffer, oldest first. */
  entries: readonly ViewEntry[];
  /** Entries that pass the filter, oldest first. */
  shown: readonly ViewEntry[];
  /** Messages received since start (clearing the list does not reset it). */
  received: number;
  /** Rows that fell out of the ring buffer. */
  dropped: number;
  /** Entries the producers reported dropping before sending (their `dropped` field). */
  lost: number;
  filter: Filter;
  /** Why the filter text being typed is not applied (an invalid regular expression). */
  filterError: string | null;
  /** The filter prompt while it is open: what is typed, and the text to restore on Esc. */
  input: { draft: string; before: string } | null;
  /** Sticky follow: the view sticks to the newest row until the user scrolls up or pauses. */
  follow: boolean;
  /** When not following: the id of the bottom row of the view. */
  anchorId: number;
  /** Height of the list in lines (the App reports it), for paging and the first screenful. */
  page: number;
  /** Notices among `entries` (they are always shown, and not counted as received messages). */
  noticeRows: number;
  json: boolean;
  expanded: boolean;
  help: boolean;
  sessions: readonly SessionInfo[];
  status: ConnectionStatus;
  /** The user asked to quit (the App exits on it). */
  quit: boolean;
}

export type Action =
  | { type: 'append'; messages: readonly Message[]; receivedAt: number }
  | { type: 'notice'; text: string; level: NoticeLevel; at: number }
  | { type: 'status'; status: ConnectionStatus }
  /** Moves the view by `by` rows (negative: up). */
  | { type: 'scroll'; by: number }
  | { type: 'top' }
  | { type: 'resize'; page: number }
  | { type: 'follow' }
  | { type: 'togglePause' }
  | { type: 'clear' }
  | { type: 'toggleLevel'; level: LogLevel }
  | { type: 'allLevels' }
  | { type: 'cycleSession'; direction: 1 | -1 }
  /** Network rows: shown → only → hidden → shown. */
  | { type: 'cycleNetwork' }
  | { type: 'resetFilters' }
  | { type: 'openFilter' }
  | { type: 'editFilter'; draft: string }
  | { type: 'commitFilter' }
  | { type: 'cancelFilter' }
  | { type: 'toggleJson' }
  | { type: 'toggleExpanded' }
  | { type: 'toggleHelp' }
  /** A key press, mapped by keyToAction against the current state (so fast typing never sees a stale state). */
  | { type: 'key'; input: string; key: KeyInfo };

export interface ViewerInit {
  bufferSize?: number;
  filter?: FilterInit;
  json?: boolean;
  expanded?: boolean;
  /** Height of the list in lines. */
  page?: number;
  /** Rows to start with (e.g. "using the demo key"). */
  notices?: ReadonlyArray<{ text: string; level: NoticeLevel }>;
  /** Time of those notices (ms since the epoch). */
  at?: number;
}

/** The parts of Ink's `Key` the viewer reads (so this stays a pure, testable function). */
export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  backspace?: boolean;
  delete?: boolean;
  tab?: boolean;
  meta?: boolean;
}
