import type { Message } from '../../packages/protocol';
import { createClient, type ClientError, type ClientOptions, type ImClient } from '../../packages/client';
import { signedConnectUrl } from '../../packages/client/node';
import { DEMO_SOURCES } from '../../server/config';

export interface RecordingClient {
  client: ImClient;
  /** Every message handed to onMessage, in order. */
  received: Message[];
  errors: ClientError[];
  /** The rooms onGap named. */
  gaps: string[];
  connects(): number;
}

/**
 * The SDK's createClient on `rooms` of source demo (a signed connect URL for `userid`), over
 * websocket with quick reconnects, recording what it is given. `options` may add handlers; they
 * still run. Close it with `client.close()`.
 */
export function recordingClient(base: string, rooms: string, options: ClientOptions = {}, userid = '1'): RecordingClient {
  const received: Message[] = [];
  const errors: ClientError[] = [];
  const gaps: string[] = [];
  let connects = 0;
  const client = createClient(signedConnectUrl({ url: base, source: 'demo', signKey: DEMO_SOURCES.demo.signKey, rooms, userid, username: `u${userid}` }), {
    reconnectionDelay: 20,
    reconnectionDelayMax: 50,
    socketOptions: { transports: ['websocket'] },
    ...options,
    onMessage: (m) => {
      received.push(m);
      options.onMessage?.(m);
    },
    onError: (e) => {
      errors.push(e);
      options.onError?.(e);
    },
    onGap: (room) => {
      gaps.push(room);
      options.onGap?.(room);
    },
    onConnect: (s, info) => {
      connects++;
      options.onConnect?.(s, info);
    },
  });
  return { client, received, errors, gaps, connects: () => connects };
}
