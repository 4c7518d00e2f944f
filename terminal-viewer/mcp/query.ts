import { compileTextFilter, ImError, LOG_LEVEL_RANK, type LogLevel } from '../../packages/protocol';
import { parseSince } from '../options/duration';
import type { BufferedEntry, EntryKind, LogBuffer } from './buffer';

/** The filters the tools share (as the agent sends them, already checked by the input schema). */
export interface QueryInput {
  /** Lowest level. */
  level?: LogLevel;
  /** Case-insensitive text, or `/regular expression/flags`. */
  text?: string;
  /** A session id, or an unambiguous start of one (lines show the first 8 characters). */
  session?: string;
  kind?: EntryKind | EntryKind[];
  /** `30s`, `5m`, `2h`, `1d` back from now, or an ISO date-time. */
  since?: string;
  /** Only entries with a larger id. */
  after_id?: number;
}

export interface Query {
  test(e: BufferedEntry): boolean;
  /** The session the filter resolved to (a prefix becomes the full id). */
  session?: string;
  /** Things the agent should know about how the filter was read. */
  notes: string[];
}

/**
 * Resolves a session id or a prefix of one. Unknown sessions are an error unless `allowUnknown`
 * (wait_for_log may wait for a session that has not logged yet).
 */
export function resolveSession(buffer: LogBuffer, raw: string, allowUnknown: boolean): { session: string; note?: string } {
  if (buffer.hasSession(raw)) return { session: raw };
  const all = buffer.sessions().map((s) => s.session);
  const prefixed = all.filter((s) => s.startsWith(raw));
  if (prefixed.length === 1) return { session: prefixed[0]! };
  if (prefixed.length > 1) {
    throw new ImError('INVALID_PARAMETER', `session ${JSON.stringify(raw)} is ambiguous: it starts ${prefixed.length} sessions (${prefixed.slice(0, 5).map((s) => JSON.stringify(s)).join(', ')}${prefixed.length > 5 ? ', …' : ''}); give more characters`);
  }
  if (allowUnknown) return { session: raw, note: `session ${JSON.stringify(raw)} has not logged anything yet; waiting for it` };
  const known = all.length
    ? `${all.length} session${all.length === 1 ? '' : 's'} seen: ${all.slice(-5).map((s) => JSON.stringify(s)).join(', ')}${all.length > 5 ? ', …' : ''}`
    : 'no session has logged anything yet';
  throw new ImError('INVALID_PARAMETER', `unknown session ${JSON.stringify(raw)} (${known}); call list_sessions for the full list`);
}

export function parseSinceInput(raw: string, now: number): number {
  try {
    return parseSince(raw, now);
  } catch {
    throw new ImError('INVALID_PARAMETER', `since ${JSON.stringify(raw)}: give a duration back from now (30s, 5m, 2h, 1d, 1h30m) or an ISO date-time (2026-11-26T10:00:00Z)`);
  }
}

/** Compiles the filters once; throws ImError (a tool error) for a bad expression, session or time. */
export function compileQuery(input: QueryInput, buffer: LogBuffer, opts: { now: number; allowUnknownSession?: boolean }): Query {
  const notes: string[] = [];
  let session: string | undefined;
  if (input.session !== undefined && input.session !== '') {
    const resolved = resolveSession(buffer, input.session, opts.allowUnknownSession === true);
    session = resolved.session;
    if (resolved.note) notes.push(resolved.note);
    else if (session !== input.session) notes.push(`session ${JSON.stringify(input.session)} is ${JSON.stringify(session)}`);
  }
  // The viewers' one text rule (as in tail's filter bar): a path such as /api/missing is text.
  let pattern: RegExp | undefined;
  try {
    const compiled = compileTextFilter(input.text ?? '');
    pattern = compiled.pattern;
    if (compiled.note) notes.push(compiled.note);
  } catch (err) {
    throw new ImError('INVALID_PARAMETER', `${(err as Error).message} (give plain text for a case-insensitive search, or a valid /regular expression/flags)`);
  }
  const minRank = input.level !== undefined ? LOG_LEVEL_RANK[input.level] : undefined;
  const kinds = input.kind === undefined ? undefined : new Set(Array.isArray(input.kind) ? input.kind : [input.kind]);
  if (kinds && kinds.size === 0) throw new ImError('INVALID_PARAMETER', 'kind: give at least one of console, error, network, performance, plain (or leave it out)');
  const since = input.since !== undefined && input.since !== '' ? parseSinceInput(input.since, opts.now) : undefined;
  const afterId = input.after_id;
  return {
    session,
    notes,
    test: (e) =>
      (afterId === undefined || e.id > afterId) &&
      (kinds === undefined || kinds.has(e.kind)) &&
      (since === undefined || e.time >= since) &&
      (minRank === undefined || LOG_LEVEL_RANK[e.level] >= minRank) &&
      (session === undefined || e.session === session) &&
      (pattern === undefined || pattern.test(e.text) || (e.callSite !== undefined && pattern.test(e.callSite))),
  };
}
