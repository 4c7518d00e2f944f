import { describe, expect, it } from 'vitest';
import { createAnswerAdmission } from '../../server/socket/answer-admission';

describe('answer admission', () => {
  it('admits answers within the budget per turn and refuses the rest until the queue drains', async () => {
    let queued = 0;
    let refused = 0;
    const a = createAnswerAdmission({ budget: 40, queued: () => queued, onRefuse: () => refused++ });
    // A quarter of the budget per turn.
    expect([a.admit(4), a.admit(4), a.admit(4)]).toEqual([true, true, false]);
    expect(refused).toBe(1);
    // Next turn: what was admitted is now queued (the output budget counts it).
    await new Promise((r) => setImmediate(r));
    queued = 38;
    expect(a.admit(4)).toBe(false);
    queued = 0;
    expect(a.admit(4)).toBe(true);
  });

  it('always admits one answer when nothing is pending, however large; 0 turns it off', () => {
    expect(createAnswerAdmission({ budget: 10, queued: () => 0 }).admit(1000)).toBe(true);
    const off = createAnswerAdmission({ budget: 0, queued: () => 1e9 });
    expect(off.admit(1e9)).toBe(true);
  });
});
