import { describe, expect, it } from 'vitest';
import type { HistoryResult, Message } from '../../packages/protocol';
import { createCatchUp, gapText } from '../../packages/client/catch-up';

const msg = (offset: number, epoch = 'e1'): Message => ({ source: 'demo', room_id: 'r', data: `#${offset}`, offset, epoch, ts: 1000 + offset });
const result = (messages: Message[], extra: Partial<HistoryResult> = {}): HistoryResult => ({ room_id: 'r', epoch: 'e1', messages, truncated: false, ...extra });
const data = (ms: Message[]) => ms.map((m) => m.data);

// The viewers' first join (/debug, im-debug tail --tail/--since) through the SDK's catch-up.
describe('catch-up: a viewer first join', () => {
  it('reads the newest messages, holds live ones meanwhile and merges them in order, once', () => {
    const c = createCatchUp(['r'], { initial: { limit: 500 } });
    expect(c.begin()).toEqual([{ room_id: 'r', limit: 500 }]);
    expect(c.receive(msg(3))).toEqual([]);
    expect(c.receive(msg(4))).toEqual([]);
    expect(data(c.page(result([msg(1), msg(2), msg(3)]), c.round).deliver)).toEqual(['#1', '#2', '#3', '#4']);
    expect(c.position('r')).toEqual({ epoch: 'e1', offset: 4 });
    // A reconnect reads on from the position, not the newest 500 again.
    expect(c.begin()).toEqual([{ room_id: 'r', since: 4, epoch: 'e1' }]);
  });

  it('follows the server cursor of a cut answer and asks with the time of --since', () => {
    const c = createCatchUp(['r'], { initial: { limit: 100, sinceTime: 5 } });
    expect(c.begin()).toEqual([{ room_id: 'r', limit: 100, sinceTime: 5 }]);
    const first = c.page(result([msg(1)], { next: { room_id: 'r', since: 1, epoch: 'e1', limit: 100 } }), c.round);
    expect(first.next).toEqual({ room_id: 'r', since: 1, epoch: 'e1', limit: 100 });
    expect(data(c.page(result([msg(2)]), c.round).deliver)).toEqual(['#2']);
  });

  it('an empty room: whatever comes next is news, and a reconnect reads from before the first', () => {
    const c = createCatchUp(['r'], { initial: { limit: 500 } });
    c.begin();
    expect(c.page(result([]), c.round)).toMatchObject({ deliver: [], gap: false });
    expect(c.begin()).toEqual([{ room_id: 'r', since: 0, epoch: 'e1' }]);
  });

  it('names each gap: a new epoch, messages no longer kept', () => {
    const c = createCatchUp(['r'], { initial: { limit: 500 } });
    c.begin();
    c.page(result([msg(5)]), c.round);
    c.begin();
    expect(c.page(result([msg(1, 'e2')], { epoch: 'e2', truncated: true }), c.round)).toMatchObject({ gap: true, gapKind: 'epoch' });
    c.begin();
    expect(c.page(result([msg(9, 'e2')], { epoch: 'e2', truncated: true }), c.round)).toMatchObject({ gap: true, gapKind: 'truncated' });
    expect(gapText('epoch')).toMatch(/new epoch/);
    expect(gapText('truncated')).toMatch(/no longer kept/);
    expect(gapText('pages')).toMatch(/skipped/);
  });
});
