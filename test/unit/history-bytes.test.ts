import { describe, expect, it } from 'vitest';
import { createMemoryHistoryStore, messageBytes } from '../../server/relay/history-store';

const big = (room: string, n: number) => ({ source: 's', room_id: room, data: `${String(n).padStart(3, '0')}:${'x'.repeat(1000)}`, ts: 1000 });
const unit = messageBytes(big('r0', 0));

describe('memory history store: byte bounds', () => {
  it('keeps the total under maxBytes: the least recently written rooms go first, counted', async () => {
    const evicted: Array<[string, number, string]> = [];
    const store = createMemoryHistoryStore({
      size: 200,
      maxAgeMs: 60_000,
      maxBytes: unit * 10,
      onEvict: (why, n, key) => evicted.push([why, n, key]),
      now: () => 1000,
    });
    for (let room = 0; room < 5; room++) for (let i = 0; i < 4; i++) await store.append(`s:r${room}`, big(`r${room}`, i));
    // 20 messages written, 10 fit: rooms r0, r1 and half of r2 went.
    const kept = await Promise.all([0, 1, 2, 3, 4].map(async (r) => (await store.read(`s:r${r}`, { room_id: `r${r}` }, 100)).messages.length));
    expect(kept).toEqual([0, 0, 2, 4, 4]);
    expect(evicted.every(([why]) => why === 'history_bytes')).toBe(true);
    expect(evicted.reduce((a, [, n]) => a + n, 0)).toBe(10);
  });

  it('a forgotten room starts a new epoch: an old position reads as truncated', async () => {
    const store = createMemoryHistoryStore({ size: 200, maxAgeMs: 60_000, maxBytes: unit * 2, now: () => 1000 });
    const first = await store.append('s:a', big('a', 1));
    await store.append('s:b', big('b', 1));
    await store.append('s:b', big('b', 2));
    const again = await store.read('s:a', { room_id: 'a', since: first.offset, epoch: first.epoch }, 100);
    expect(again.truncated).toBe(true);
    expect(again.epoch).not.toBe(first.epoch);
  });

  it('one busy room alone loses its own oldest, never its newest', async () => {
    let dropped = 0;
    const store = createMemoryHistoryStore({
      size: 200,
      maxAgeMs: 60_000,
      maxBytes: unit * 3,
      onEvict: (_w, n) => (dropped += n),
      now: () => 1000,
    });
    for (let i = 0; i < 10; i++) await store.append('s:r', big('r', i));
    const res = await store.read('s:r', { room_id: 'r' }, 100);
    expect(res.messages.map((m) => (m.data as string).split(':')[0])).toEqual(['007', '008', '009']);
    expect(dropped).toBe(7);
    const huge = await store.append('s:r', { ...big('r', 99), data: 'y'.repeat(10_000) });
    expect((await store.read('s:r', { room_id: 'r' }, 100)).messages.map((m) => m.offset)).toEqual([huge.offset]);
  });

  it('maxRoomBytes bounds one room and leaves the others', async () => {
    const why: string[] = [];
    const store = createMemoryHistoryStore({
      size: 200,
      maxAgeMs: 60_000,
      maxRoomBytes: unit * 2,
      onEvict: (w) => why.push(w),
      now: () => 1000,
    });
    for (let i = 0; i < 5; i++) await store.append('s:r', big('r', i));
    await store.append('s:q', big('q', 0));
    expect((await store.read('s:r', { room_id: 'r' }, 100)).messages).toHaveLength(2);
    expect((await store.read('s:q', { room_id: 'q' }, 100)).messages).toHaveLength(1);
    expect(new Set(why)).toEqual(new Set(['history_room_bytes']));
  });

  it('count and age trims give their bytes back', async () => {
    let now = 1000;
    let dropped = 0;
    const store = createMemoryHistoryStore({ size: 2, maxAgeMs: 1000, maxBytes: unit * 4, onEvict: (_w, n) => (dropped += n), now: () => now });
    for (let i = 0; i < 50; i++) await store.append(`s:r${i % 2}`, big(`r${i % 2}`, i));
    expect(dropped).toBe(0);
    now = 5000;
    await store.read('s:r0', { room_id: 'r0' }, 100);
    await store.read('s:r1', { room_id: 'r1' }, 100);
    for (let i = 0; i < 4; i++) await store.append(`s:n${i}`, { ...big(`n${i}`, i), ts: now });
    expect(dropped).toBe(0);
  });
});
