import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { entryLines, type Line, type LineOptions } from '../format/entry-lines';
import type { ViewEntry } from '../format/view-entry';
import { LogLine } from './LogLine';

export interface LogListProps {
  /** The filtered rows, oldest first. */
  rows: readonly ViewEntry[];
  /** Index in `rows` of the row at the bottom of the view. */
  bottom: number;
  /** Lines available. */
  height: number;
  /** Columns available. */
  width: number;
  json: boolean;
  expanded: boolean;
  multiRoom: boolean;
  /** What to say when there is nothing to show. */
  emptyText: string;
}

/**
 * Cuts a line to `width` characters before Ink sees it: Ink measures and truncates the whole
 * text of every row on every frame, and a 4 KB row costs far more to measure than to cut.
 * A character is at least one column wide, so what is left still fills the row.
 */
export function clipLine(line: Line, width: number): Line {
  // The call site keeps its line number (the end) and at most a quarter of a narrow row.
  const maxRight = Math.max(16, Math.floor(width / 4));
  const right = line.right && line.right.text.length > maxRight ? { ...line.right, text: ` …${line.right.text.slice(-(maxRight - 2))}` } : line.right;
  let budget = Math.max(1, width - (right?.text.length ?? 0));
  const left: Line['left'] = [];
  for (const seg of line.left) {
    if (budget <= 0) break;
    left.push(seg.text.length > budget ? { ...seg, text: seg.text.slice(0, budget) } : seg);
    budget -= seg.text.length;
  }
  const same = right === line.right && left.length === line.left.length && left.every((s, i) => s === line.left[i]);
  return same ? line : { left, right };
}

interface Placed {
  key: string;
  line: Line;
}

/**
 * Renders only the rows that fit: walks up from `bottom` until the height is full. Cost per
 * frame is the height, never the buffer size.
 */
export function LogList({ rows, bottom, height, width, json, expanded, multiRoom, emptyText }: LogListProps) {
  // Lines of a row depend only on the row and the view options: reuse them across frames, so
  // unchanged rows keep the same `line` objects and their memoized LogLine does not re-render.
  const cache = useMemo(() => new WeakMap<ViewEntry, Line[]>(), [json, expanded, multiRoom, width]);
  const opts: LineOptions = { json, expanded, multiRoom, maxLines: Math.max(1, height) };
  const linesOf = (row: ViewEntry): Line[] => {
    let lines = cache.get(row);
    if (!lines) {
      lines = entryLines(row, opts).map((l) => clipLine(l, width));
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
