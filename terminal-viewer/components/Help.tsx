import { Box, Text } from 'ink';
import { KEY_HELP } from '../state/keys';

export interface HelpProps {
  height: number;
}

/** The key list (`?`), in place of the log list. */
export function Help({ height }: HelpProps) {
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text bold>im-debug keys (? or Esc to close)</Text>
      {KEY_HELP.map(([keys, what]) => (
        <Text key={keys} wrap="truncate-end">
          <Text color="cyan">{keys.padEnd(16)}</Text>
          <Text>{what}</Text>
        </Text>
      ))}
    </Box>
  );
}
