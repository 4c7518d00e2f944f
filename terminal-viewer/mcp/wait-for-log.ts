/**
 * The wait_for_log tool of `im-debug mcp`: waits until a matching entry arrives (or one newer
 * than after_id is already buffered), with progress notifications for clients with a short
 * request timeout, a bound on concurrent waits, and cancellation by the client.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ImError } from '../../packages/protocol';
import type { BufferedEntry } from './buffer';
import { entryFields, entryLine } from './format';
import { compileQuery } from './query';
import { common, headerLines, prepare, quoted, toolResult, type ToolContext } from './tool-results';
import { UNTRUSTED_TOOL_NOTE, entryOut, commonOut, idSchema, kindSchema, levelSchema, sessionSchema, textSchema } from './tool-schemas';

/** Concurrent wait_for_log calls: each holds a listener and two timers. */
export const MAX_WAITS = 16;
export const MAX_WAIT_SECONDS = 300;

export function registerWaitForLog(server: McpServer, ctx: ToolContext): void {
  const now = ctx.now ?? Date.now;
  const multiRoom = () => ctx.feed.connection().rooms.length > 1;
  let waits = 0;

  server.registerTool(
    'wait_for_log',
    {
      title: 'Wait for a log entry',
      description: [
        'Waits until an entry matching the filters arrives (e.g. "reload the page, then wait for the error"), up to timeout_seconds (at most 300), and returns it; or returns timed_out: true.',
        'pattern: case-insensitive text or /regular expression/flags; level is the lowest level. Only entries that arrive after the call count, unless after_id is given: then an already buffered entry with a larger id counts too (no race between recent_logs and this call).',
        `While waiting it sends a progress notification every ${Math.round(ctx.progressEveryMs / 1000)} s when the request carries a progressToken, so clients with a short request timeout keep waiting.`,
        UNTRUSTED_TOOL_NOTE,
      ].join(' '),
      inputSchema: {
        pattern: textSchema.optional().describe('case-insensitive text, or /regular expression/flags, matched against the message and call site'),
        level: levelSchema.optional(),
        session: sessionSchema.optional().describe('only this session (may be one that has not logged yet: it is waited for)'),
        kind: kindSchema.optional(),
        // 45 s by default: a client with a 60 s request timeout and no progress handling still gets the answer.
        timeout_seconds: z
          .number()
          .min(1)
          .max(MAX_WAIT_SECONDS)
          .default(45)
          .describe(`how long to wait, in seconds (1-${MAX_WAIT_SECONDS}, default 45; above 60 only if your client keeps waiting on progress notifications)`),
        after_id: idSchema.optional().describe('also accept an already buffered entry with a larger id'),
      },
      outputSchema: {
        matched: z.boolean(),
        timed_out: z.boolean(),
        cancelled: z.boolean(),
        waited_seconds: z.number(),
        entry: entryOut.optional().describe('the first matching entry'),
        filter_notes: z.array(z.string()),
        ...commonOut,
      },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (args, extra) => {
      await prepare(ctx);
      const q = compileQuery({ level: args.level, text: args.pattern, session: args.session, kind: args.kind }, ctx.buffer, { now: now(), allowUnknownSession: true });
      const started = now();
      const answer = (entry: BufferedEntry | undefined, how: 'matched' | 'timeout' | 'cancelled'): CallToolResult => {
        const waited = Math.round((now() - started) / 100) / 10;
        const c = common(ctx);
        const f = entry ? entryFields(entry) : undefined;
        const head =
          how === 'matched'
            ? [`Matching entry #${f!.id} arrived after ${waited} s.`]
            : how === 'timeout'
              ? [`Timed out: no matching entry arrived within ${args.timeout_seconds} s (newest entry is #${ctx.buffer.newestId ?? '-'}). Call wait_for_log again with after_id ${ctx.buffer.newestId ?? 0} to keep waiting without missing anything.`]
              : ['Cancelled by the client before a matching entry arrived.'];
        return toolResult([...head, ...q.notes, ...headerLines(c), ...quoted(f ? [entryLine(f, multiRoom())] : [])].join('\n'), {
          matched: how === 'matched',
          timed_out: how === 'timeout',
          cancelled: how === 'cancelled',
          waited_seconds: waited,
          ...(f ? { entry: f } : {}),
          filter_notes: q.notes,
          ...c,
        });
      };
      if (args.after_id !== undefined) {
        const hit = ctx.buffer.firstAfter(args.after_id, q.test);
        if (hit) return answer(hit, 'matched');
      }
      if (waits >= MAX_WAITS) throw new ImError('RATE_LIMITED', `${MAX_WAITS} wait_for_log calls are already waiting; let one finish or cancel one first`);
      waits++;
      const token = extra._meta?.progressToken;
      return new Promise<CallToolResult>((resolve) => {
        let finished = false;
        const finish = (entry: BufferedEntry | undefined, how: 'matched' | 'timeout' | 'cancelled') => {
          if (finished) return;
          finished = true;
          waits--;
          unsubscribe();
          clearTimeout(timer);
          clearInterval(progress);
          extra.signal.removeEventListener('abort', onAbort);
          resolve(answer(entry, how));
        };
        const unsubscribe = ctx.buffer.onEntry((e) => {
          if (q.test(e)) finish(e, 'matched');
        });
        const timer = setTimeout(() => finish(undefined, 'timeout'), args.timeout_seconds * 1000);
        // Only a request that carries a progressToken may get progress notifications.
        const progress = token === undefined ? undefined : setInterval(() => {
          // Tenths of a second: progress must grow with every notification.
          const elapsed = Math.round((now() - started) / 100) / 10;
          const conn = ctx.feed.connection();
          extra
            .sendNotification({
              method: 'notifications/progress',
              params: {
                progressToken: token,
                progress: elapsed,
                total: args.timeout_seconds,
                message: `waiting for a matching entry: ${elapsed} of ${args.timeout_seconds} s; relay ${conn.state}${conn.detail ? ` (${conn.detail})` : ''}`,
              },
            })
            .catch(() => {});
        }, ctx.progressEveryMs);
        const onAbort = () => finish(undefined, 'cancelled');
        extra.signal.addEventListener('abort', onAbort);
        if (extra.signal.aborted) onAbort();
      });
    },
  );
}
