import { LOG_LEVELS, MAX_ENTRIES_PER_POST, type DebugEntry } from './log-entry';

/**
 * A cheap structural pass over a `postLogs` batch for the common case: every entry a flat
 * `kind: 'log'` entry whose fields are all among the primitives below. When it says yes, the
 * batch is exactly what `postLogsEntriesSchema` would accept (no field zod
 * would strip, none it would refuse), so the server skips zod's per-entry copies; anything else
 * (another kind, a nested optional field, an unknown key, a bad value) answers no and goes
 * through zod, which words the error. test/unit/fast-log-entry.test.ts holds it to the schema.
 */
const LEVELS: ReadonlySet<string> = new Set(LOG_LEVELS);

const str = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && v.length >= min && v.length <= max;
const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

function plainLogEntry(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || Array.isArray(e) || Object.getPrototypeOf(e) !== Object.prototype) return false;
  const o = e as Record<string, unknown>;
  let seen = 0;
  for (const key in o) {
    seen++;
    switch (key) {
      case 'kind': case 'v': case 'level': case 'method': case 'args': case 'ts': case 'seq': case 'session': case 'origin':
        break;
      case 'userAgent':
        if (!str(o.userAgent, 0, 1024)) return false;
        break;
      case 'stack':
        if (!str(o.stack, 0, 16384)) return false;
        break;
      case 'dropped': case 'group':
        if (!count(o[key])) return false;
        break;
      default:
        return false;
    }
  }
  return (
    seen >= 9 &&
    o.kind === 'log' &&
    o.v === 1 &&
    LEVELS.has(o.level as string) &&
    str(o.method, 0, 32) &&
    Array.isArray(o.args) &&
    (o.args as unknown[]).length <= 100 &&
    typeof o.ts === 'number' &&
    Number.isFinite(o.ts) &&
    count(o.seq) &&
    str(o.session, 1, 128) &&
    str(o.origin, 0, 32)
  );
}

/** True when `value` is a batch of 1–MAX_ENTRIES_PER_POST plain log entries that zod would accept unchanged. */
export function isPlainLogBatch(value: unknown): value is DebugEntry[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_ENTRIES_PER_POST) return false;
  for (let i = 0; i < value.length; i++) if (!plainLogEntry(value[i])) return false;
  return true;
}
