import { Box, Text } from 'ink';
import { LOG_LEVELS } from '../../packages/protocol';
import { LEVEL_BADGE, LEVEL_COLOR, sessionColor, shortSession } from '../format/colors';
import { sanitizeLine } from '../format/sanitize';
import type { Filter } from '../state/filters';
import type { SessionInfo } from '../state/reducer';

export interface FilterBarProps {
  filter: Filter;
  /** The filter prompt while it is open. */
  input: { draft: string } | null;
  error: string | null;
  /** The selected session's details, when one is selected. */
  session?: SessionInfo;
  sessionCount: number;
  json: boolean;
  expanded: boolean;
  /** Terminal columns. */
  width: number;
}

/** The bottom row: the filter prompt, or the active filters and the main keys. */
export function FilterBar({ filter, input, error, session, sessionCount, json, expanded, width }: FilterBarProps) {
  if (input) {
    return (
      <Box height={1}>
        <Text wrap="truncate-start">
          <Text color="cyan" bold>
            {'filter › '}
          </Text>
          <Text>{sanitizeLine(input.draft)}</Text>
          <Text inverse> </Text>
          {error ? <Text color="red">{`  ${error}`}</Text> : <Text dimColor>{'  Enter keep · Esc restore · /regex/i for a regular expression'}</Text>}
        </Text>
      </Box>
    );
  }
  const sessionText = filter.session !== null ? `${shortSession(filter.session, 16)}${session?.page ? ` ${session.page}` : ''}` : `all (${sessionCount})`;
  // Rough width of the left part (ASCII mostly): drop the long key hints before cutting the filters.
  const leftWidth = 25 + (json ? 5 : 0) + (expanded ? 9 : 0) + (filter.text ? 6 + filter.text.length : 0) + 9 + sessionText.length;
  const hints = leftWidth + LONG_HINTS.length <= width ? LONG_HINTS : SHORT_HINTS;
  return (
    <Box height={1} flexDirection="row">
      <Box flexGrow={1} flexShrink={1} overflow="hidden">
        <Text wrap="truncate-end">
          {LOG_LEVELS.map((level, i) => (
            <Text key={level} color={filter.levels[level] ? LEVEL_COLOR[level] : 'gray'} bold={filter.levels[level]} dimColor={!filter.levels[level]} strikethrough={!filter.levels[level]}>
              {`${i + 1}${LEVEL_BADGE[level]} `}
            </Text>
          ))}
          {json ? <Text color="magenta">{'JSON '}</Text> : null}
          {expanded ? <Text color="magenta">{'expanded '}</Text> : null}
          {filter.text ? (
            <Text>
              <Text dimColor>{'text '}</Text>
              <Text color="cyan">{`${sanitizeLine(filter.text)} `}</Text>
            </Text>
          ) : null}
          <Text dimColor>{'session '}</Text>
          <Text color={filter.session !== null ? sessionColor(filter.session) : undefined}>{sanitizeLine(sessionText)}</Text>
        </Text>
      </Box>
      <Box flexShrink={0}>
        <Text dimColor>{hints}</Text>
      </Box>
    </Box>
  );
}

const LONG_HINTS = ' / filter · s session · space pause · ? help · q quit';
const SHORT_HINTS = ' ? help';
