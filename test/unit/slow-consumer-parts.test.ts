import { describe, expect, it } from 'vitest';
import { newClientId, withClientId } from '../../packages/client';
import { fitHistory } from '../../server/relay/relay';
import type { Message } from '../../packages/protocol';

describe('the SDK client id (im_client)', () => {
  it('is added to the connect URL once, before any fragment, and the URL keeps its own', () => {
    expect(withClientId('http://h:4000?userid=1&sign=x', 'abc')).toBe('http://h:4000?userid=1&sign=x&im_client=abc');
    expect(withClientId('http://h:4000', 'abc')).toBe('http://h:4000?im_client=abc');
    expect(withClientId('http://h:4000/?a=1#top', 'abc')).toBe('http://h:4000/?a=1&im_client=abc#top');
    expect(withClientId('http://h:4000?a=1&', 'abc')).toBe('http://h:4000?a=1&im_client=abc');
    expect(withClientId('http://h:4000?im_client=mine&a=1', 'abc')).toBe('http://h:4000?im_client=mine&a=1');
  });

  it('is random hex', () => {
    const a = newClientId();
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(newClientId()).not.toBe(a);
  });
});

describe('fitHistory', () => {
  const m = (n: number): Message => ({ source: 's', room_id: 'r', data: 'x'.repeat(n), offset: 1, epoch: 'e', ts: 1 });
  it('keeps messages while their JSON fits, never fewer than one', () => {
    const size = Buffer.byteLength(JSON.stringify(m(100))) + 1;
    expect(fitHistory([m(100), m(100), m(100)], size * 3).count).toBe(3);
    expect(fitHistory([m(100), m(100), m(100)], size * 3 - 1).count).toBe(2);
    expect(fitHistory([m(5000), m(100)], 1024).count).toBe(1);
    expect(fitHistory([], 1024).count).toBe(0);
  });
});
