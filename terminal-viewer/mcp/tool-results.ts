/**
 * What every tool of `im-debug mcp` answers with: the common part (connection, notices, buffer,
 * the untrusted note), the header lines before the quoted page data, and fitting lines into the
 * result's size bound.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ImError } from '../../packages/protocol';
import type { LogBuffer } from './buffer';
import type { RelayFeed } from './feed';
import { UNTRUSTED_NOTE, entryLine, fence, type EntryFields } from './format';
import type { BufferState } from './tool-schemas';

/** What the tools read from. */
export interface ToolContext {
  buffer: LogBuffer;
  feed: RelayFeed;
  /** How often wait_for_log reports progress (when the client sent a progressToken). */
  progressEveryMs: number;
  /** How long a tool waits for the first history read before answering with what it has. */
  readyWaitMs?: number;
  now?: () => number;
}

export type Common = {
  connection: ReturnType<RelayFeed['connection']>;
  notices: ReturnType<RelayFeed['takeNotices']>;
  buffer: BufferState;
  untrusted: string;
};

export function common(ctx: ToolContext): Common {
  const b = ctx.buffer;
  return {
    connection: ctx.feed.connection(),
    notices: ctx.feed.takeNotices(),
    buffer: {
      entries: b.size,
      capacity: b.capacity,
      evicted: b.evicted,
      ...(b.oldestId !== undefined ? { oldest_id: b.oldestId } : {}),
      ...(b.newestId !== undefined ? { newest_id: b.newestId } : {}),
    },
    untrusted: UNTRUSTED_NOTE,
  };
}

/** The lines before the quoted page data: connection trouble and notices first, so they are read. */
export function headerLines(c: Common): string[] {
  const lines: string[] = [];
  if (c.connection.state !== 'connected' || c.connection.detail) lines.push(`Connection: ${c.connection.state}${c.connection.detail ? ` (${c.connection.detail})` : ''} since ${c.connection.since}.`);
  for (const n of c.notices) lines.push(`Notice (${n.level}, ${n.time}): ${n.text}`);
  return lines;
}

export function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

export function toolResult(text: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

/** Page data between the fence lines (none for no lines). */
export function quoted(lines: string[]): string[] {
  if (lines.length === 0) return [];
  const f = fence();
  return [f.begin, ...lines, f.end];
}

/** Waits for the first history read (bounded), and fails when the relay refused the sign. */
export async function prepare(ctx: ToolContext): Promise<void> {
  await ctx.feed.ready(ctx.readyWaitMs ?? 5000);
  const refused = ctx.feed.refusal();
  if (refused) {
    throw new ImError(
      'FORBIDDEN',
      `the relay refused the connection: ${refused}. Fix the sign options of im-debug mcp (--sign-key, --strong, --source, the config file) and restart it.`,
    );
  }
}

/**
 * Keeps items, in order, while they fit into `budget` bytes: each costs its line (in the text)
 * and its fields (in structuredContent), plus `overhead`.
 */
export function fitLines<T>(items: readonly T[], line: (item: T) => string, budget: number, overhead = 0): { kept: T[]; lines: string[] } {
  const kept: T[] = [];
  const lines: string[] = [];
  let used = 0;
  for (const item of items) {
    const text = line(item);
    const cost = bytes(text) + bytes(item) + overhead;
    if (used + cost > budget) break;
    used += cost;
    kept.push(item);
    lines.push(text);
  }
  return { kept, lines };
}

/**
 * Fits entries (oldest first) into the byte budget, keeping the newest: returns how many of the
 * oldest had to be left out.
 */
export function fitNewest(entries: EntryFields[], multiRoom: boolean, budget: number): { kept: EntryFields[]; lines: string[]; left: number } {
  const fit = fitLines([...entries].reverse(), (f) => entryLine(f, multiRoom), budget, 8);
  return { kept: fit.kept.reverse(), lines: fit.lines.reverse(), left: entries.length - fit.kept.length };
}
