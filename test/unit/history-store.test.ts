import { describe, expect, it } from 'vitest';
import { createMemoryHistoryStore } from '../../server/relay/history-store';

const msg = (n: number, ts: number) => ({ source: 's', data: n, room_id: 'r', ts });

describe('memory history store', () => {
  it('numbers messages per room and keeps the last N', async () => {
    const store = createMemoryHistoryStore({ size: 3, maxAgeMs: 60_000, now: () => 1000 });
    for (let i = 1; i <= 5; i++) await store.append('s:r', msg(i, 1000));
    const other = await store.append('s:other', msg(9, 1000));
    expect(other.offset).toBe(1);
    const all = await store.read('s:r', { room_id: 'r' }, 100);
    expect(all.messages.map((m) => m.offset)).toEqual([3, 4, 5]);
    expect(all.messages.map((m) => m.data)).toEqual([3, 4, 5]);
  });

  it('pages forward from a position and flags gaps it cannot fill', async () => {
    const store = createMemoryHistoryStore({ size: 3, maxAgeMs: 60_000, now: () => 1000 });
    let epoch = '';
    for (let i = 1; i <= 5; i++) epoch = (await store.append('s:r', msg(i, 1000))).epoch!;
    const fromFour = await store.read('s:r', { room_id: 'r', since: 4, epoch }, 100);
    expect(fromFour).toMatchObject({ truncated: false });
    expect(fromFour.messages.map((m) => m.offset)).toEqual([5]);
    const fromOne = await store.read('s:r', { room_id: 'r', since: 1, epoch }, 100);
    expect(fromOne.truncated).toBe(true);
    const page = await store.read('s:r', { room_id: 'r', since: 2, epoch, limit: 2 }, 100);
    expect(page.messages.map((m) => m.offset)).toEqual([3, 4]);
    const foreign = await store.read('s:r', { room_id: 'r', since: 2, epoch: 'other' }, 100);
    expect(foreign.truncated).toBe(true);
  });

  it('drops messages older than the age limit', async () => {
    let now = 0;
    const store = createMemoryHistoryStore({ size: 10, maxAgeMs: 1000, now: () => now });
    await store.append('s:r', msg(1, 0));
    now = 500;
    await store.append('s:r', msg(2, 500));
    now = 1200;
    const res = await store.read('s:r', { room_id: 'r' }, 100);
    expect(res.messages.map((m) => m.data)).toEqual([2]);
    const since = await store.read('s:r', { room_id: 'r', sinceTime: 600 }, 100);
    expect(since.messages).toEqual([]);
  });
});

describe('memory history store room bound', () => {
  it('forgets the least recently written rooms and gives a re-created room a new epoch', async () => {
    const store = createMemoryHistoryStore({ size: 10, maxAgeMs: 60_000, maxRooms: 2, now: () => 1000 });
    const a1 = await store.append('s:a', msg(1, 1000));
    await store.append('s:b', msg(2, 1000));
    await store.append('s:a', msg(3, 1000)); // a is now the most recent
    await store.append('s:c', msg(4, 1000)); // evicts b
    expect((await store.read('s:b', { room_id: 'b' }, 10)).messages).toEqual([]);
    expect((await store.read('s:a', { room_id: 'a' }, 10)).messages.map((m) => m.data)).toEqual([1, 3]);
    const emptyRead = await store.read('s:b', { room_id: 'b' }, 10);
    const b = await store.append('s:b', msg(5, 1000)); // evicts a
    expect(b.offset).toBe(1);
    expect(b.epoch).not.toBe(a1.epoch);
    expect(b.epoch).toBe(emptyRead.epoch);
    const stale = await store.read('s:b', { room_id: 'b', since: 1, epoch: a1.epoch }, 10);
    expect(stale.truncated).toBe(true);
  });
});
