import { Box, Text } from 'ink';
import { KEY_HELP } from '../state/keys';

export interface HelpProps {
  height: number;
  width: number;
}

const KEY_WIDTH = 16;

/** The key list (`?`), in place of the log list: two columns when one does not fit. */
export function Help({ height, width }: HelpProps) {
  const fits = KEY_HELP.length + 1 <= height;
  const perColumn = fits ? KEY_HELP.length : Math.ceil(KEY_HELP.length / 2);
  const columns = fits ? [KEY_HELP] : [KEY_HELP.slice(0, perColumn), KEY_HELP.slice(perColumn)];
  const columnWidth = Math.floor(width / columns.length);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text bold>im-debug keys (? or Esc to close)</Text>
      <Box flexDirection="row">
        {columns.map((items, c) => (
          <Box key={c} flexDirection="column" width={columnWidth}>
            {items.slice(0, Math.max(0, height - 1)).map(([keys, what]) => (
              <Text key={keys} wrap="truncate-end">
                <Text color="cyan">{keys.padEnd(KEY_WIDTH)}</Text>
                <Text>{what}</Text>
              </Text>
            ))}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
