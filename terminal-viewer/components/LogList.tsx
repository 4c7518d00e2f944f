import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { entryLines, type Line, type LineOptions } from '../format/entry-lines';
import type { ViewEntry } from '../state/entry';
import { LogLine } from './LogLine';

export interface LogListProps {
  /** The filtered rows, oldest first. */
  rows: readonly ViewEntry[];
  /** Index in `rows` of the row at the bottom of the view. */
  bottom: number;
  /** Lines available. */
  height: number;
  json: boolean;
  expanded: boolean;
  multiRoom: boolean;
  /** What to say when there is nothing to show. */
  emptyText: string;
}

interface Placed {
  key: string;
  line: Line;
}

/**
 * Renders only the rows that fit: walks up from `bottom` until the height is full. Cost per
 * frame is the height, never the buffer size.
 */
export function LogList({ rows, bottom, height, json, expanded, multiRoom, emptyText }: LogListProps) {
  // Lines of a row depend only on the row and the view options: reuse them across frames, so
  // unchanged rows keep the same `line` objects and their memoized LogLine does not re-render.
  const cache = useMemo(() => new WeakMap<ViewEntry, Line[]>(), [json, expanded, multiRoom]);
  const opts: LineOptions = { json, expanded, multiRoom, maxLines: Math.max(1, height) };
  const linesOf = (row: ViewEntry): Line[] => {
    let lines = cache.get(row);
    if (!lines) {
      lines = entryLines(row, opts);
      cache.set(row, lines);
    }
    return lines;
  };

  const above: Placed[] = [];
  for (let i = bottom; i >= 0 && above.length < height; i--) {
    const row = rows[i]!;
    const lines = linesOf(row);
    for (let k = lines.length - 1; k >= 0 && above.length < height; k--) above.push({ key: `${row.id}:${k}`, line: lines[k]! });
  }
  // Nothing below `bottom`: while paused, what arrives is counted, not shown.
  const placed = above.reverse();

  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      {placed.length === 0 ? (
        <Text dimColor>{emptyText}</Text>
      ) : (
        placed.map((p) => <LogLine key={p.key} line={p.line} />)
      )}
    </Box>
  );
}
