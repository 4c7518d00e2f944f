import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryResult, Message } from '../../packages/protocol';
import { createCatchUp, MAX_CATCH_UP_PAGES } from '../../packages/client/catch-up';

const msg = (room_id: string, offset: number, epoch = 'e1', ts = 1000 + offset): Message => ({
  source: 'demo',
  room_id,
  data: `${room_id}#${offset}`,
  offset,
  epoch,
  ts,
});
const result = (room_id: string, messages: Message[], epoch = 'e1', truncated = false): HistoryResult => ({
  room_id,
  epoch,
  messages,
  truncated,
});
const data = (ms: Message[]) => ms.map((m) => m.data);

describe('catch-up: live messages', () => {
  it('delivers in order and drops duplicates by offset, per room', () => {
    const c = createCatchUp(['r1', 'r2']);
    expect(data(c.receive(msg('r1', 1)))).toEqual(['r1#1']);
    expect(data(c.receive(msg('r2', 1)))).toEqual(['r2#1']);
    expect(c.receive(msg('r1', 1))).toEqual([]);
    expect(data(c.receive(msg('r1', 2)))).toEqual(['r1#2']);
    expect(c.position('r1')).toEqual({ epoch: 'e1', offset: 2 });
  });

  it('passes messages without a position straight through (servers without history)', () => {
    const c = createCatchUp(['r1']);
    const plain: Message = { source: 'demo', room_id: 'r1', data: 'x' };
    expect(c.receive(plain)).toEqual([plain]);
    expect(c.receive(plain)).toEqual([plain]);
  });

  it('follows a new epoch (a restarted server) instead of dropping its low offsets', () => {
    const c = createCatchUp(['r1']);
    c.receive(msg('r1', 40));
    expect(data(c.receive(msg('r1', 1, 'e2')))).toEqual(['r1#1']);
    expect(c.position('r1')).toEqual({ epoch: 'e2', offset: 1 });
  });
});

describe('catch-up: a gap while connected', () => {
  it('holds a message that skips offsets, asks for what came between, and delivers it all in order', () => {
    const asked: unknown[] = [];
    const c = createCatchUp(['r1', 'r2'], { onLiveGap: (r) => asked.push(r) });
    expect(data(c.receive(msg('r1', 1)))).toEqual(['r1#1']);
    expect(c.receive(msg('r1', 4))).toEqual([]);
    expect(asked).toEqual([{ room_id: 'r1', since: 1, epoch: 'e1' }]);
    // Other rooms stay live; later messages of the room wait behind the gap.
    expect(data(c.receive(msg('r2', 9)))).toEqual(['r2#9']);
    expect(c.receive(msg('r1', 5))).toEqual([]);
    const step = c.page(result('r1', [msg('r1', 2), msg('r1', 3), msg('r1', 4)]), c.round);
    expect(step.next).toEqual({ room_id: 'r1', since: 4, epoch: 'e1' });
    expect(data(step.deliver)).toEqual(['r1#2', 'r1#3', 'r1#4']);
    const end = c.page(result('r1', []), c.round);
    expect(data(end.deliver)).toEqual(['r1#5']);
    expect(end.gap).toBe(false);
    expect(data(c.receive(msg('r1', 6)))).toEqual(['r1#6']);
    expect(asked).toHaveLength(1);
  });

  it('does nothing of the kind without onLiveGap, for a new epoch, or before the room has a position', () => {
    const plain = createCatchUp(['r1']);
    plain.receive(msg('r1', 1));
    expect(data(plain.receive(msg('r1', 5)))).toEqual(['r1#5']);

    const asked: unknown[] = [];
    const c = createCatchUp(['r1'], { onLiveGap: (r) => asked.push(r) });
    expect(data(c.receive(msg('r1', 7)))).toEqual(['r1#7']);
    expect(data(c.receive(msg('r1', 2, 'e2')))).toEqual(['r1#2']);
    expect(asked).toEqual([]);
  });

  it('a refused history read releases the held messages', () => {
    const c = createCatchUp(['r1'], { onLiveGap: () => {} });
    c.receive(msg('r1', 1));
    expect(c.receive(msg('r1', 3))).toEqual([]);
    expect(data(c.abandon('r1', c.round))).toEqual(['r1#3']);
  });
});

describe('catch-up: after a reconnect', () => {
  it('asks from the last position of each room and delivers what was missed, then the held live ones', () => {
    const c = createCatchUp(['r1', 'r2']);
    c.receive(msg('r1', 1));
    c.receive(msg('r1', 2));
    c.receive(msg('r2', 7));
    const requests = c.begin();
    expect(requests).toEqual([
      { room_id: 'r1', since: 2, epoch: 'e1' },
      { room_id: 'r2', since: 7, epoch: 'e1' },
    ]);
    const round = c.round;
    // Live messages arrive before the history answer: held back, not delivered out of order.
    expect(c.receive(msg('r1', 5))).toEqual([]);
    expect(c.receive(msg('r1', 6))).toEqual([]);
    const first = c.page(result('r1', [msg('r1', 3), msg('r1', 4), msg('r1', 5)]), round);
    expect(data(first.deliver)).toEqual(['r1#3', 'r1#4', 'r1#5']);
    expect(first.next).toEqual({ room_id: 'r1', since: 5, epoch: 'e1' });
    const last = c.page(result('r1', []), round);
    expect(data(last.deliver)).toEqual(['r1#6']);
    expect(last.next).toBeUndefined();
    expect(last.gap).toBe(false);
    // Caught up: live again.
    expect(data(c.receive(msg('r1', 7)))).toEqual(['r1#7']);
    expect(c.position('r1')).toEqual({ epoch: 'e1', offset: 7 });
  });

  it('merges messages Socket.IO replayed (held, out of order) with history, once each', () => {
    const c = createCatchUp(['r1']);
    c.receive(msg('r1', 1));
    c.begin();
    c.receive(msg('r1', 4));
    c.receive(msg('r1', 2));
    c.receive(msg('r1', 3));
    c.receive(msg('r1', 3));
    const step = c.page(result('r1', []), c.round);
    expect(data(step.deliver)).toEqual(['r1#2', 'r1#3', 'r1#4']);
  });

  it('reports a gap when the server no longer keeps the position', () => {
    const c = createCatchUp(['r1']);
    c.receive(msg('r1', 1));
    c.begin();
    const step = c.page(result('r1', [msg('r1', 50), msg('r1', 51)], 'e1', true), c.round);
    expect(step.gap).toBe(true);
    expect(data(step.deliver)).toEqual(['r1#50', 'r1#51']);
  });

  it('after the server lost its history (new epoch) keeps only messages newer than what it had, by server time', () => {
    const c = createCatchUp(['r1']);
    c.receive(msg('r1', 9, 'old', 5000));
    c.begin();
    const newer = [msg('r1', 1, 'new', 4000), msg('r1', 2, 'new', 5001), msg('r1', 3, 'new', 5002)];
    const step = c.page(result('r1', newer, 'new', true), c.round);
    expect(step.gap).toBe(true);
    expect(data(step.deliver)).toEqual(['r1#2', 'r1#3']);
    expect(step.next).toEqual({ room_id: 'r1', since: 3, epoch: 'new' });
    expect(c.page(result('r1', [], 'new'), c.round).deliver).toEqual([]);
    expect(c.position('r1')).toEqual({ epoch: 'new', offset: 3 });
  });

  it('a room with no message yet catches up by server time from the newest message seen anywhere', () => {
    const c = createCatchUp(['r1', 'quiet']);
    c.receive(msg('r1', 1, 'e1', 7000));
    const requests = c.begin();
    expect(requests).toContainEqual({ room_id: 'quiet', sinceTime: 7000 });
    const step = c.page(result('quiet', [msg('quiet', 1, 'e1', 7100)]), c.round);
    expect(data(step.deliver)).toEqual(['quiet#1']);
    expect(step.next).toBeUndefined();
    expect(c.position('quiet')).toEqual({ epoch: 'e1', offset: 1 });
  });

  it('on the first connect reads each room\'s newest position, so a drop before any message loses nothing', () => {
    const c = createCatchUp(['r1', 'r2', 'empty']);
    expect(c.begin()).toEqual([
      { room_id: 'r1', limit: 1 },
      { room_id: 'r2', limit: 1 },
      { room_id: 'empty', limit: 1 },
    ]);
    // The newest message is from before we joined: a position, not a delivery.
    expect(c.page(result('r1', [msg('r1', 41)]), c.round)).toEqual({ deliver: [], gap: false });
    expect(c.position('r1')).toEqual({ epoch: 'e1', offset: 41 });
    c.page(result('empty', []), c.round);
    expect(c.position('empty')).toEqual({ epoch: 'e1', offset: 0 });
    // A live message that beat the answer keeps its (newer) position.
    expect(data(c.receive(msg('r2', 8)))).toEqual(['r2#8']);
    c.page(result('r2', [msg('r2', 7)]), c.round);
    expect(c.position('r2')).toEqual({ epoch: 'e1', offset: 8 });
    // Live messages are not held while reading a position.
    expect(data(c.receive(msg('r1', 42)))).toEqual(['r1#42']);

    // Dropped before any message: the reconnect asks from the baseline.
    expect(c.begin()).toContainEqual({ room_id: 'empty', since: 0, epoch: 'e1' });
    const step = c.page(result('empty', [msg('empty', 1), msg('empty', 2)]), c.round);
    expect(data(step.deliver)).toEqual(['empty#1', 'empty#2']);
  });

  it('a failed position read leaves the room live', () => {
    const c = createCatchUp(['r1']);
    c.begin();
    expect(c.abandon('r1', c.round)).toEqual([]);
    expect(data(c.receive(msg('r1', 3)))).toEqual(['r1#3']);
  });

  it('an interrupted round starts again from the same position; answers of the old round are ignored', () => {
    const c = createCatchUp(['r1']);
    c.receive(msg('r1', 1));
    c.begin();
    const oldRound = c.round;
    c.receive(msg('r1', 3)); // held
    expect(c.begin()).toEqual([{ room_id: 'r1', since: 1, epoch: 'e1' }]);
    expect(c.page(result('r1', [msg('r1', 2)]), oldRound).deliver).toEqual([]);
    const step = c.page(result('r1', [msg('r1', 2)]), c.round);
    expect(data(step.deliver)).toEqual(['r1#2']);
    expect(data(c.page(result('r1', []), c.round).deliver)).toEqual(['r1#3']);
  });

  it('abandoning a room (history refused) releases what was held', () => {
    const c = createCatchUp(['r1']);
    c.receive(msg('r1', 1));
    c.begin();
    c.receive(msg('r1', 5));
    expect(data(c.abandon('r1', c.round))).toEqual(['r1#5']);
    expect(c.abandon('r1', c.round)).toEqual([]);
    expect(data(c.receive(msg('r1', 6)))).toEqual(['r1#6']);
  });

  it(`stops paging after ${MAX_CATCH_UP_PAGES} pages and reports a gap`, () => {
    const c = createCatchUp(['r1']);
    c.receive(msg('r1', 0));
    c.begin();
    let step;
    let offset = 0;
    let pages = 0;
    do {
      step = c.page(result('r1', [msg('r1', ++offset)]), c.round);
      pages++;
    } while (step.next);
    expect(pages).toBe(MAX_CATCH_UP_PAGES);
    expect(step.gap).toBe(true);
  });

  it('property: whatever splits live and history, the application sees 1..n once, in order', () => {
    // A room streams 1..n. The client sees a prefix live, disconnects, then during catch-up gets
    // an arbitrary subset of the rest live (possibly repeated), while history pages arrive.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 40 }),
        // At least 4 per page keeps 60 messages under the page cap (tested above).
        fc.integer({ min: 4, max: 10 }),
        (n, seenRaw, liveDuring, pageSize) => {
          const seen = Math.min(seenRaw, n);
          const c = createCatchUp(['r']);
          const got: number[] = [];
          const take = (ms: Message[]) => got.push(...ms.map((m) => m.offset!));
          for (let i = 1; i <= seen; i++) take(c.receive(msg('r', i)));
          const requests = c.begin();
          for (const o of liveDuring.filter((o) => o <= n).sort((a, b) => a - b)) take(c.receive(msg('r', o)));
          let next = requests.find((r) => r.room_id === 'r');
          if (seen === 0) {
            // Never saw a message (and no baseline was read): only a position read is asked.
            expect(next).toEqual({ room_id: 'r', limit: 1 });
            return;
          }
          while (next) {
            const since = next.since!;
            const page = Array.from({ length: Math.max(0, Math.min(pageSize, n - since)) }, (_, i) => msg('r', since + 1 + i));
            const step = c.page(result('r', page), c.round);
            take(step.deliver);
            next = step.next;
          }
          expect(got).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});
