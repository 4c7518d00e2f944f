import { Box, Text } from 'ink';
import { LOG_LEVELS } from '../../packages/protocol';
import { LEVEL_BADGE, LEVEL_COLOR, sessionColor, shortSession } from '../format/colors';
import { sanitizeLine } from '../format/value';
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
}

/** The bottom row: the filter prompt, or the active filters and the main keys. */
export function FilterBar({ filter, input, error, session, sessionCount, json, expanded }: FilterBarProps) {
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
  return (
    <Box height={1} flexDirection="row">
      <Box flexGrow={1} flexShrink={1} overflow="hidden">
        <Text wrap="truncate-end">
          {LOG_LEVELS.map((level, i) => (
            <Text key={level} color={filter.levels[level] ? LEVEL_COLOR[level] : 'gray'} bold={filter.levels[level]} dimColor={!filter.levels[level]} strikethrough={!filter.levels[level]}>
              {`${i + 1}${LEVEL_BADGE[level]} `}
            </Text>
          ))}
          {filter.text ? (
            <Text>
              <Text dimColor>{' text '}</Text>
              <Text color="cyan">{sanitizeLine(filter.text)}</Text>
            </Text>
          ) : null}
          <Text dimColor>{' session '}</Text>
          {filter.session !== null ? (
            <Text>
              <Text color={sessionColor(filter.session)}>{sanitizeLine(shortSession(filter.session, 16))}</Text>
              {session?.page ? <Text dimColor>{` ${sanitizeLine(session.page)}`}</Text> : null}
            </Text>
          ) : (
            <Text>{`all (${sessionCount})`}</Text>
          )}
          {json ? <Text color="magenta">{' JSON'}</Text> : null}
          {expanded ? <Text color="magenta">{' expanded'}</Text> : null}
        </Text>
      </Box>
      <Box flexShrink={0}>
        <Text dimColor>{' / filter · s session · space pause · ? help · q quit'}</Text>
      </Box>
    </Box>
  );
}
