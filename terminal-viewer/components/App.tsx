import { Box, useApp, useInput, useStdin } from 'ink';
import { useEffect, useReducer } from 'react';
import { DEFAULT_BATCH_MS, useLogStream } from '../hooks/use-log-stream';
import { useTerminalSize } from '../hooks/use-terminal-size';
import { isFiltering } from '../state/filters';
import { bottomIndex, createViewerState, pendingCount, reducer, shownCount, type ViewerInit, type ViewerState } from '../state/reducer';
import type { LogStreamSource } from '../stream/types';
import { FilterBar } from './FilterBar';
import { Help } from './Help';
import { LogList } from './LogList';
import { StatusBar } from './StatusBar';

export interface AppProps {
  stream: LogStreamSource;
  server: string;
  source: string;
  rooms: readonly string[];
  init?: ViewerInit;
  batchMs?: number;
  /** Fixed terminal size (tests, headless runs); the real size otherwise. */
  columns?: number;
  rows?: number;
  /** Called after each committed state (headless statistics). */
  onState?: (state: ViewerState) => void;
  now?: () => number;
}

/** Rows Ink may use: one less than the terminal, so Ink never falls back to clearing the whole screen. */
const RESERVED_ROWS = 1;
const BAR_ROWS = 2;

export function App({ stream, server, source, rooms, init, batchMs = DEFAULT_BATCH_MS, columns, rows, onState, now }: AppProps) {
  const size = useTerminalSize({ columns, rows });
  const listHeight = Math.max(1, size.rows - RESERVED_ROWS - BAR_ROWS);
  const [state, dispatch] = useReducer(reducer, { ...init, page: listHeight }, createViewerState);
  useLogStream(stream, dispatch, batchMs, now);
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();

  useInput((input, key) => dispatch({ type: 'key', input, key }), { isActive: isRawModeSupported === true });

  useEffect(() => {
    dispatch({ type: 'resize', page: listHeight });
  }, [listHeight]);
  useEffect(() => {
    if (state.quit) exit();
  }, [state.quit, exit]);
  useEffect(() => {
    onState?.(state);
  }, [state, onState]);

  const hidden = state.entries.length - state.shown.length;
  const emptyText =
    state.entries.length === 0
      ? `waiting for messages on ${rooms.map((r) => `#${r}`).join(' ')}…`
      : `${hidden} row${hidden === 1 ? '' : 's'} hidden by the filter${isFiltering(state.filter) ? ' (x clears it)' : ''}`;

  return (
    <Box flexDirection="column" width={size.columns}>
      <StatusBar
        server={server}
        source={source}
        rooms={rooms}
        status={state.status}
        received={state.received}
        shown={shownCount(state)}
        dropped={state.dropped}
        lost={state.lost}
        follow={state.follow}
        pending={pendingCount(state)}
      />
      {state.help ? (
        <Help height={listHeight} width={size.columns} />
      ) : (
        <LogList
          rows={state.shown}
          bottom={bottomIndex(state)}
          height={listHeight}
          width={size.columns}
          json={state.json}
          expanded={state.expanded}
          multiRoom={rooms.length > 1}
          emptyText={emptyText}
        />
      )}
      <FilterBar
        filter={state.filter}
        input={state.input}
        error={state.filterError}
        session={state.sessions.find((s) => s.id === state.filter.session)}
        sessionCount={state.sessions.length}
        json={state.json}
        expanded={state.expanded}
        width={size.columns}
      />
    </Box>
  );
}
