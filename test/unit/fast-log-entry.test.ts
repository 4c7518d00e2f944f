import { describe, expect, it } from 'vitest';
import { postLogsEntriesSchema as batchSchema } from '../../packages/protocol';
import { isPlainLogBatch } from '../../packages/protocol/fast-log-entry';

// The postLogs schema (packages/protocol), which the server applies when the fast path says no.

const base = {
  kind: 'log',
  v: 1,
  level: 'log',
  method: 'log',
  args: ['hello', { n: 1 }],
  ts: 1_700_000_000_000,
  seq: 1,
  session: 's1',
  origin: 'node',
};

// Values a field might take: right, wrong type, out of range, edge.
const candidates: unknown[] = [
  undefined, null, 0, -1, 1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, '', 'x', 'log', 'warn', 'nope', 'a'.repeat(33),
  'a'.repeat(129), 'a'.repeat(1025), 'a'.repeat(16385), [], [1], Array.from({ length: 101 }, () => 0), {}, { url: 'u' }, true,
];
const fields = ['kind', 'v', 'level', 'method', 'args', 'ts', 'seq', 'session', 'origin', 'userAgent', 'stack', 'dropped', 'group', 'page', 'callSite', 'extra', '__proto__'];

describe('isPlainLogBatch: never accepts what the schema would refuse or change', () => {
  it('accepts the plain entries hooks send', () => {
    expect(isPlainLogBatch([base, { ...base, seq: 2, userAgent: 'ua', stack: 'at x', dropped: 3, group: 1 }])).toBe(true);
  });

  it('agrees with zod on every single-field change, and zod gives back the same entry', () => {
    let accepted = 0;
    for (const field of fields) {
      for (const value of candidates) {
        const entry: Record<string, unknown> = JSON.parse(JSON.stringify(base));
        if (value === undefined) delete entry[field];
        else if (field === '__proto__') Object.defineProperty(entry, '__proto__', { value, enumerable: true });
        else entry[field] = value;
        const batch = [entry];
        if (!isPlainLogBatch(batch)) continue;
        accepted++;
        const parsed = batchSchema.safeParse(batch);
        expect(parsed.success, `${field}=${JSON.stringify(value)}`).toBe(true);
        expect(parsed.data, `${field}=${JSON.stringify(value)}`).toEqual(batch);
      }
    }
    expect(accepted).toBeGreaterThan(10);
  });

  it('leaves empty, oversized and non-array batches and other kinds to zod', () => {
    expect(isPlainLogBatch([])).toBe(false);
    expect(isPlainLogBatch(Array.from({ length: 101 }, () => base))).toBe(false);
    expect(isPlainLogBatch(base)).toBe(false);
    expect(isPlainLogBatch([base, null])).toBe(false);
    expect(isPlainLogBatch([{ ...base, kind: 'performance', metric: 'LCP', value: 1 }])).toBe(false);
    expect(isPlainLogBatch([Object.assign(Object.create({ inherited: 1 }), base)])).toBe(false);
  });
});
