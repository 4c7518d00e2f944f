import { Box, Text } from 'ink';
import { memo } from 'react';
import type { Line } from '../format/entry-lines';

export interface LogLineProps {
  line: Line;
}

/** One terminal row: the text cut at the edge, the call site kept visible on the right. */
export const LogLine = memo(function LogLine({ line }: LogLineProps) {
  return (
    <Box height={1} flexDirection="row">
      <Box flexGrow={1} flexShrink={1} overflow="hidden">
        <Text wrap="truncate-end">
          {line.left.map((s, i) => (
            <Text key={i} color={s.color} dimColor={s.dim} bold={s.bold}>
              {s.text}
            </Text>
          ))}
        </Text>
      </Box>
      {line.right ? (
        <Box flexShrink={0}>
          <Text color={line.right.color} dimColor={line.right.dim}>
            {line.right.text}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
});
