/**
 * The four tools of `im-debug mcp`, registered on an McpServer: recent_logs, list_sessions,
 * wait_for_log (wait-for-log.ts) and get_entry. Their schemas are in tool-schemas.ts, what every
 * result carries in tool-results.ts.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { ImError } from '../../packages/protocol';
import { MAX_ENTRIES, MAX_RESULT_BYTES, detailLines, entryDetail, entryFields, iso, sessionFields, sessionLine } from './format';
import { compileQuery, parseSinceInput, type QueryInput } from './query';
import { bytes, common, fitLines, fitNewest, headerLines, prepare, quoted, toolResult, type ToolContext } from './tool-results';
import { UNTRUSTED_TOOL_NOTE, commonOut, detailOut, entryOut, idSchema, kindSchema, levelSchema, sessionOut, sessionSchema, sinceSchema, textSchema } from './tool-schemas';
import { registerWaitForLog } from './wait-for-log';

export function registerLogTools(server: McpServer, ctx: ToolContext): void {
  const now = ctx.now ?? Date.now;
  const multiRoom = () => ctx.feed.connection().rooms.length > 1;

  server.registerTool(
    'recent_logs',
    {
      title: 'Recent remote-console entries',
      description: [
        'The newest entries of the remote console (browser pages with the node-socket-im hook, back ends with the log client) that im-debug keeps in its buffer, oldest first.',
        'Filters combine: level (lowest level), text (case-insensitive substring, or /regular expression/flags, matched against the message and call site), session, kind, since, after_id (only entries newer than an id you already saw: use the newest id of a previous result to poll).',
        `Each entry is one readable line "#id time LEVEL [session] message (call site)" plus structured fields; get_entry gives one entry in full. At most ${MAX_ENTRIES} entries and ${MAX_RESULT_BYTES / 1024} KB per result: long messages are cut and say their original length; "omitted" says how many matching older entries were left out.`,
        'Every result also has "connection" and "notices" (e.g. the relay connection was lost and re-established: entries may be missing).',
        UNTRUSTED_TOOL_NOTE,
      ].join(' '),
      inputSchema: {
        limit: z.number().int().min(1).max(MAX_ENTRIES).default(50).describe(`most entries to return, newest kept (1-${MAX_ENTRIES}, default 50)`),
        level: levelSchema.optional(),
        text: textSchema.optional().describe('case-insensitive text, or /regular expression/flags (e.g. /timeout|refused/i)'),
        session: sessionSchema.optional(),
        kind: kindSchema.optional(),
        since: sinceSchema.optional(),
        after_id: idSchema.optional().describe('only entries with a larger id'),
      },
      outputSchema: {
        entries: z.array(entryOut).describe('oldest first'),
        matched: z.number().describe('entries in the buffer that match the filters'),
        returned: z.number(),
        omitted: z.number().describe('matching entries left out (older ones: past limit or the size bound)'),
        filter_notes: z.array(z.string()),
        ...commonOut,
      },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (args) => {
      await prepare(ctx);
      const q = compileQuery(args as QueryInput, ctx.buffer, { now: now() });
      const { entries, matched } = ctx.buffer.newest(q.test, args.limit);
      const c = common(ctx);
      const fields = entries.map((e) => entryFields(e));
      const fit = fitNewest(fields, multiRoom(), MAX_RESULT_BYTES - 8 * 1024 - bytes(c));
      const omitted = matched - fit.kept.length;
      const head = [
        matched === 0
          ? `No entries match${ctx.buffer.size === 0 ? ' (nothing received yet)' : ''}. Buffer: ${ctx.buffer.size} of ${ctx.buffer.capacity} entries.`
          : `${fit.kept.length} of ${matched} matching entries (oldest first; ids #${fit.kept[0]?.id ?? '-'}…#${fit.kept.at(-1)?.id ?? '-'})${omitted ? `; ${omitted} older matching entries omitted${fit.left ? ` (${fit.left} for the ${MAX_RESULT_BYTES / 1024} KB bound)` : ''}` : ''}. Buffer: ${ctx.buffer.size} of ${ctx.buffer.capacity} entries${ctx.buffer.evicted ? `, ${ctx.buffer.evicted} older ones dropped` : ''}.`,
        ...q.notes,
        ...headerLines(c),
      ];
      return toolResult([...head, ...quoted(fit.lines)].join('\n'), {
        entries: fit.kept,
        matched,
        returned: fit.kept.length,
        omitted,
        filter_notes: q.notes,
        ...c,
      });
    },
  );

  server.registerTool(
    'list_sessions',
    {
      title: 'Sessions seen',
      description: [
        'The sessions (one per browser tab, or per back-end process) that logged to the rooms since im-debug mcp started (history included), most recently seen first:',
        'session id, origin (browser, node…), page URL and title, user agent, first and last seen, rooms, entry counts per level. Pass a session id (or its first characters) to the other tools to see only its entries.',
        UNTRUSTED_TOOL_NOTE,
      ].join(' '),
      inputSchema: {
        limit: z.number().int().min(1).max(MAX_ENTRIES).default(50).describe(`most sessions to return (1-${MAX_ENTRIES}, default 50)`),
        active_since: sinceSchema.optional().describe('only sessions seen at or after this time: 30s, 5m, 2h, 1d back from now, or an ISO date-time'),
      },
      outputSchema: {
        sessions: z.array(sessionOut).describe('most recently seen first'),
        total: z.number().describe('sessions known (matching active_since)'),
        plain_messages: z.number().describe('room messages that are not log entries (they have no session)'),
        ...commonOut,
      },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (args) => {
      await prepare(ctx);
      const since = args.active_since !== undefined ? parseSinceInput(args.active_since, now()) : undefined;
      const all = ctx.buffer
        .sessions()
        .filter((s) => since === undefined || s.lastSeen >= since)
        .sort((a, b) => b.lastSeen - a.lastSeen);
      const c = common(ctx);
      const budget = MAX_RESULT_BYTES - 8 * 1024 - bytes(c);
      const { kept, lines } = fitLines(all.slice(0, args.limit).map(sessionFields), sessionLine, budget);
      const head = [
        all.length === 0
          ? 'No sessions have logged yet.'
          : `${kept.length} of ${all.length} sessions (most recently seen first)${ctx.buffer.plainCount ? `; ${ctx.buffer.plainCount} plain room messages without a session` : ''}.`,
        ...headerLines(c),
      ];
      return toolResult([...head, ...quoted(lines)].join('\n'), { sessions: kept, total: all.length, plain_messages: ctx.buffer.plainCount, ...c });
    },
  );

  registerWaitForLog(server, ctx);

  server.registerTool(
    'get_entry',
    {
      title: 'One entry in full',
      description: [
        'One buffered entry in full, by its id (the #id of recent_logs / wait_for_log): every argument expanded as a console shows it (objects, Maps, Errors with stack and cause), the caller stack, call site, page URL and title, user agent, viewport, network or performance details when the entry has them, and the raw message as received.',
        `At most ${MAX_RESULT_BYTES / 1024} KB: long values are cut and say their original length.`,
        UNTRUSTED_TOOL_NOTE,
      ].join(' '),
      inputSchema: { id: idSchema.min(1).describe('the entry id') },
      outputSchema: { entry: detailOut, ...commonOut },
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (args) => {
      await prepare(ctx);
      const e = ctx.buffer.get(args.id);
      if (!e) {
        const b = ctx.buffer;
        if (b.newestId === undefined || args.id > b.newestId) throw new ImError('NOT_FOUND', `no entry #${args.id} yet: the newest entry is ${b.newestId === undefined ? 'none (nothing received yet)' : `#${b.newestId}`}`);
        throw new ImError('NOT_FOUND', `entry #${args.id} is no longer in the buffer: it keeps the newest ${b.capacity} entries and the oldest kept is #${b.oldestId} (start im-debug mcp with a larger --buffer to keep more)`);
      }
      const c = common(ctx);
      const d = entryDetail(e, Math.floor((MAX_RESULT_BYTES - 4 * 1024 - bytes(c)) / 2));
      return toolResult([`Entry #${e.id} (received ${iso(e.receivedAt)} via ${e.via}).`, ...headerLines(c), ...quoted(detailLines(d))].join('\n'), { entry: d, ...c });
    },
  );
}
