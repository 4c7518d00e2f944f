import { Box, Text } from 'ink';
import type { ConnectionStatus } from '../stream/types';

export interface StatusBarProps {
  server: string;
  source: string;
  rooms: readonly string[];
  status: ConnectionStatus;
  received: number;
  shown: number;
  dropped: number;
  lost: number;
  follow: boolean;
  /** Rows below the view while paused or scrolled up. */
  pending: number;
}

const n = (v: number) => v.toLocaleString('en-US');

function connection(status: ConnectionStatus): { text: string; color: string } {
  switch (status.state) {
    case 'connecting':
      return { text: `◌ connecting${status.attempt ? ` (attempt ${status.attempt})` : ''}${status.error ? `: ${status.error}` : '…'}`, color: 'yellow' };
    case 'connected':
      return status.catchingUp ? { text: '● catching up…', color: 'cyan' } : { text: '● connected', color: 'green' };
    case 'reconnecting':
      return { text: `◌ reconnecting (attempt ${status.attempt})${status.reason ? `: ${status.reason}` : ''}`, color: 'yellow' };
    case 'error':
      return { text: `✖ ${status.message}${status.code ? ` (${status.code})` : ''}`, color: 'red' };
    case 'closed':
      return { text: '○ closed', color: 'gray' };
  }
}

/** The top row: where we read from, how the connection is, the counts and follow/pause. */
export function StatusBar(props: StatusBarProps) {
  const conn = connection(props.status);
  const host = props.server.replace(/^https?:\/\//, '');
  return (
    <Box height={1} flexDirection="row">
      <Box flexShrink={1} flexGrow={1} overflow="hidden">
        <Text wrap="truncate-end">
          <Text color={conn.color} bold>
            {conn.text}
          </Text>
          <Text>{`  ${host} `}</Text>
          <Text color="blue">{`${props.source} ${props.rooms.map((r) => `#${r}`).join(' ')}`}</Text>
          <Text dimColor>{`  received `}</Text>
          <Text>{n(props.received)}</Text>
          <Text dimColor>{` shown `}</Text>
          <Text>{n(props.shown)}</Text>
          <Text dimColor>{` dropped `}</Text>
          <Text color={props.dropped ? 'yellow' : undefined}>{n(props.dropped)}</Text>
          {props.lost ? <Text color="yellow">{` lost by producers ${n(props.lost)}`}</Text> : null}
        </Text>
      </Box>
      <Box flexShrink={0}>
        {props.follow ? (
          <Text color="green">{' ▼ following'}</Text>
        ) : (
          <Text color="black" backgroundColor="yellow" bold>
            {` ⏸ PAUSED${props.pending ? ` · ${n(props.pending)} new` : ''} `}
          </Text>
        )}
      </Box>
    </Box>
  );
}
