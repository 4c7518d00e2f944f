import { describe, expect, it } from 'vitest';
import { install } from '../../browser-hook';

describe('install() outside a browser', () => {
  it('returns an inert hook instead of throwing (server-side rendering)', () => {
    const hook = install();
    expect(hook.status()).toMatchObject({ connected: false, recorded: 0 });
    expect(() => hook()).not.toThrow();
  });
});
