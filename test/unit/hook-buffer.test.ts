import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEntryBuffer } from '../../packages/log-core';

type E = { id: number; dropped?: number };
const e = (id: number): E => ({ id });

describe('hook entry buffer', () => {
  it('is FIFO and bounded', () => {
    const b = createEntryBuffer<E>(3);
    [1, 2].forEach((i) => b.push(e(i)));
    expect(b.size).toBe(2);
    expect(b.take(5).map((x) => x.id)).toEqual([1, 2]);
    expect(b.size).toBe(0);
    expect(b.take(1)).toEqual([]);
  });

  it('drops the oldest when full and reports the count on the next taken entry', () => {
    const b = createEntryBuffer<E>(3);
    for (let i = 1; i <= 5; i++) b.push(e(i));
    expect(b.pendingDropped).toBe(2);
    const got = b.take(2);
    expect(got).toEqual([{ id: 3, dropped: 2 }, { id: 4 }]);
    expect(b.pendingDropped).toBe(0);
    expect(b.take(1)).toEqual([{ id: 5 }]);
    expect(b.droppedTotal).toBe(2);
  });

  it('restores a failed batch in front, in order', () => {
    const b = createEntryBuffer<E>(5);
    for (let i = 1; i <= 4; i++) b.push(e(i));
    const batch = b.take(2);
    b.push(e(5));
    b.restore(batch);
    expect(b.take(10).map((x) => x.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it('restoring into a full buffer loses the oldest, and the count is not lost', () => {
    const b = createEntryBuffer<E>(3);
    for (let i = 1; i <= 5; i++) b.push(e(i)); // keeps 3,4,5; 2 dropped
    const batch = b.take(2); // 3 (dropped: 2), 4
    b.push(e(6));
    b.push(e(7)); // buffer: 5,6,7 (full)
    b.restore(batch); // 3 and 4 cannot come back: 4 lost, 3 lost with its 2
    expect(b.pendingDropped).toBe(4);
    const rest = b.take(10);
    expect(rest).toEqual([{ id: 5, dropped: 4 }, { id: 6 }, { id: 7 }]);
    expect(b.droppedTotal).toBe(4);
  });

  it('noteDropped counts losses elsewhere into the next entry', () => {
    const b = createEntryBuffer<E>(3);
    b.noteDropped(3);
    b.push(e(1));
    expect(b.take(1)).toEqual([{ id: 1, dropped: 3 }]);
  });

  it('every entry is either delivered or counted (property test)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.oneof(fc.constant<'push'>('push'), fc.constant<'take'>('take'), fc.constant<'fail'>('fail')), { maxLength: 80 }),
        (cap, ops) => {
          const b = createEntryBuffer<E>(cap);
          let next = 1;
          const delivered: number[] = [];
          let reported = 0;
          let pending: E[] = [];
          for (const op of ops) {
            if (op === 'push') b.push(e(next++));
            else if (op === 'take') {
              pending = b.take(2);
              for (const x of pending) {
                delivered.push(x.id);
                reported += x.dropped ?? 0;
              }
              pending = [];
            } else {
              pending = b.take(2);
              b.restore(pending);
            }
          }
          for (const x of b.take(1000)) {
            delivered.push(x.id);
            reported += x.dropped ?? 0;
          }
          reported += b.pendingDropped;
          // Nothing vanishes without being counted, and order is kept.
          expect(delivered.length + reported).toBe(next - 1);
          expect([...delivered].sort((a, c) => a - c)).toEqual(delivered);
        },
      ),
      { numRuns: 300 },
    );
  });
});
