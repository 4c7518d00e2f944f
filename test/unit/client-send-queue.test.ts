import { describe, expect, it } from 'vitest';
import { createSendQueue } from '../../packages/client/send-queue';

describe('send queue (send_msg while disconnected)', () => {
  it('keeps items in order and hands them all back once', () => {
    const q = createSendQueue<number>(3);
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, true]);
    expect(q.size).toBe(3);
    expect(q.drain()).toEqual([1, 2, 3]);
    expect(q.drain()).toEqual([]);
    expect(q.size).toBe(0);
  });

  it('refuses new items when full instead of dropping old ones (no holes in the order)', () => {
    const q = createSendQueue<string>(2);
    q.push('a');
    q.push('b');
    expect(q.push('c')).toBe(false);
    expect(q.drain()).toEqual(['a', 'b']);
    expect(q.push('d')).toBe(true);
    expect(q.drain()).toEqual(['d']);
  });

  it('with capacity 0 keeps nothing; a negative capacity is a programming error', () => {
    const q = createSendQueue<number>(0);
    expect(q.push(1)).toBe(false);
    expect(() => createSendQueue(-1)).toThrow(RangeError);
    expect(() => createSendQueue(Number.NaN)).toThrow(RangeError);
  });
});
