import type { ConnectionStatus, LogStreamSource, NoticeLevel } from '../stream/types';
import type { LogBuffer } from './buffer';
import { cleanText, iso } from './format';

/**
 * Feeds the buffer from the room stream and remembers what the agent must be told: the
 * connection's state, and notices (lost connection, reconnected and caught up from history,
 * history restarted) until the next tool result hands them over.
 */

export interface FeedNotice {
  time: string;
  level: NoticeLevel;
  text: string;
}

export interface ConnectionFields {
  state: ConnectionStatus['state'];
  server: string;
  source: string;
  rooms: string[];
  /** Why it is not connected, or what it is doing. */
  detail?: string;
  /** When the state last changed. */
  since: string;
}

export interface RelayFeed {
  connection(): ConnectionFields;
  /** The notices since the previous call (oldest first, at most MAX_NOTICES, older ones counted). */
  takeNotices(): FeedNotice[];
  /** Resolves once the first history read is done (or the connection failed), or after `ms`. */
  ready(ms: number): Promise<void>;
  /** The relay refused the connection (bad sign, unknown source): not retried. */
  refusal(): string | undefined;
  close(): void;
}

export const MAX_NOTICES = 20;

export function createRelayFeed(opts: {
  stream: LogStreamSource & { close(): void };
  buffer: LogBuffer;
  server: string;
  source: string;
  rooms: readonly string[];
  /** Status lines for stderr (never stdout: that is the MCP channel). */
  log?: (text: string) => void;
  now?: () => number;
}): RelayFeed {
  const now = opts.now ?? Date.now;
  let status: ConnectionStatus = { state: 'connecting', attempt: 0 };
  let statusSince = now();
  let notices: FeedNotice[] = [];
  let skippedNotices = 0;
  let firstSynced = false;
  let gaveUp = false;
  let lostAt: number | undefined;
  const readyWaiters = new Set<() => void>();

  const notice = (text: string, level: NoticeLevel) => {
    if (notices.length >= MAX_NOTICES) {
      notices.shift();
      skippedNotices++;
    }
    notices.push({ time: iso(now()), level, text: cleanText(text) });
    opts.log?.(text);
  };
  const wake = () => {
    for (const w of readyWaiters) w();
    readyWaiters.clear();
  };

  const unsubscribe = opts.stream.subscribe({
    messages: (messages, origin) => {
      opts.buffer.push(messages, origin);
    },
    notice: (text, level) => {
      // log-stream's own words; the time tells the agent which entries may be missing.
      if (text.startsWith('reconnected;') && lostAt !== undefined) {
        notice(`connection to the relay was lost at ${iso(lostAt)}; ${text} (at ${iso(now())}); entries sent while disconnected and not kept by the server may be missing`, 'warn');
        lostAt = undefined;
        return;
      }
      if (text.startsWith('disconnected')) lostAt ??= now();
      notice(text, level);
    },
    status: (next) => {
      if (next.state !== status.state) statusSince = now();
      status = next;
      if (next.state === 'connected' && !next.catchingUp && !firstSynced) {
        firstSynced = true;
        opts.log?.(`connected to ${opts.server}: ${opts.rooms.map((r) => `#${r}`).join(' ')} (source ${opts.source})`);
        wake();
      }
      if (next.state === 'error') {
        opts.log?.(`the relay refused the connection: ${next.message}${next.code ? ` (${next.code})` : ''}`);
        wake();
      }
      if (next.state === 'connecting' && next.error) opts.log?.(`cannot connect to ${opts.server} (attempt ${next.attempt}): ${next.error}`);
    },
  });

  const detail = (): string | undefined => {
    switch (status.state) {
      case 'connecting':
        return status.error ? `cannot connect yet (attempt ${status.attempt}): ${status.error}` : 'connecting';
      case 'connected':
        return status.catchingUp ? 'connected, reading history' : undefined;
      case 'reconnecting':
        return `connection lost; reconnecting (attempt ${status.attempt})${status.reason ? `: ${status.reason}` : ''}`;
      case 'error':
        return `refused by the relay: ${status.message}${status.code ? ` (${status.code})` : ''}`;
      case 'closed':
        return 'closed';
    }
  };

  return {
    connection() {
      const d = detail();
      return {
        state: status.state,
        server: opts.server,
        source: opts.source,
        rooms: [...opts.rooms],
        ...(d ? { detail: cleanText(d) } : {}),
        since: iso(statusSince),
      };
    },
    takeNotices() {
      const out = notices;
      if (skippedNotices) out.unshift({ time: out[0]?.time ?? iso(now()), level: 'warn', text: `${skippedNotices} older notices were left out` });
      notices = [];
      skippedNotices = 0;
      return out;
    },
    ready(ms) {
      // Wait once: when the relay is down, later calls answer at once with what they have.
      if (firstSynced || gaveUp || status.state === 'error' || status.state === 'closed') return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          if (!firstSynced) gaveUp = true;
          clearTimeout(timer);
          readyWaiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        readyWaiters.add(done);
      });
    },
    refusal: () => (status.state === 'error' ? `${status.message}${status.code ? ` (${status.code})` : ''}` : undefined),
    close() {
      unsubscribe();
      opts.stream.close();
      wake();
    },
  };
}
