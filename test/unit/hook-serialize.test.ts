import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serialize, serializeArgs } from '../../packages/log-core';

describe('hook serialize', () => {
  it('keeps plain JSON as it is', () => {
    const v = { a: 1, b: 'x', c: [true, null, { d: 2.5 }] };
    expect(serialize(v)).toEqual(v);
  });

  it('tags what JSON cannot carry', () => {
    // Each value, and what it travels as.
    const cases: Array<[unknown, unknown]> = [
      [undefined, { $t: 'undefined' }],
      [NaN, { $t: 'NaN' }],
      [Infinity, { $t: 'Infinity' }],
      [-Infinity, { $t: '-Infinity' }],
      [-0, { $t: '-0' }],
      [0, 0],
      [12n, { $t: 'bigint', value: '12' }],
      [Symbol('s'), { $t: 'symbol', description: 's' }],
      [function named() {}, { $t: 'function', name: 'named' }],
      [() => 1, { $t: 'function', name: '' }],
    ];
    expect(serializeArgs(cases.map(([value]) => value))).toEqual(cases.map(([, tagged]) => tagged));
  });

  it('Date, RegExp, Map, Set, typed arrays', () => {
    expect(serialize(new Date(Date.UTC(2026, 0, 2)))).toEqual({ $t: 'Date', iso: '2026-01-02T00:00:00.000Z' });
    expect(serialize(new Date(NaN))).toEqual({ $t: 'Date', iso: 'Invalid Date' });
    expect(serialize(/a+b/gi)).toEqual({ $t: 'RegExp', source: 'a+b', flags: 'gi' });
    expect(serialize(new Map<unknown, unknown>([['k', 1], [{ o: 1 }, new Set([2])]]))).toEqual({
      $t: 'Map',
      size: 2,
      entries: [['k', 1], [{ o: 1 }, { $t: 'Set', size: 1, values: [2] }]],
    });
    expect(serialize(new Uint8Array([1, 2, 3]))).toEqual({ $t: 'TypedArray', ctor: 'Uint8Array', length: 3, values: [1, 2, 3] });
    expect(serialize(new Float64Array([NaN]))).toEqual({ $t: 'TypedArray', ctor: 'Float64Array', length: 1, values: [{ $t: 'NaN' }] });
    expect(serialize(new BigInt64Array([5n]))).toEqual({ $t: 'TypedArray', ctor: 'BigInt64Array', length: 1, values: [{ $t: 'bigint', value: '5' }] });
  });

  it('Error with name, message, stack, cause and extra props', () => {
    const cause = new TypeError('inner');
    const err = Object.assign(new Error('outer', { cause }), { code: 'E_X' });
    const out = serialize(err) as Record<string, unknown>;
    expect(out).toMatchObject({ $t: 'Error', name: 'Error', message: 'outer', props: { code: 'E_X' } });
    expect(out.stack).toContain('outer');
    expect(out.cause).toMatchObject({ $t: 'Error', name: 'TypeError', message: 'inner' });
    const agg = serialize(new AggregateError([new Error('a')], 'many')) as Record<string, unknown>;
    expect(agg).toMatchObject({ name: 'AggregateError', message: 'many', errors: [{ $t: 'Error', message: 'a' }] });
  });

  it('marks circular references with the path of the ancestor, but repeats shared ones', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const shared = { s: 1 };
    a.list = [shared, shared, { back: a }];
    expect(serialize(a)).toEqual({
      name: 'a',
      self: { $t: 'circular', path: '$' },
      list: [{ s: 1 }, { s: 1 }, { back: { $t: 'circular', path: '$' } }],
    });
  });

  it('class instances carry $ctor; a user key $t cannot pass for a tag', () => {
    class Point {
      constructor(public x: number, public y: number) {}
    }
    expect(serialize(new Point(1, 2))).toEqual({ $ctor: 'Point', x: 1, y: 2 });
    expect(serialize({ $t: 'Date', iso: 'x', $ctor: 'Y' })).toEqual({ $$t: 'Date', iso: 'x', $$ctor: 'Y' });
    expect(serialize(Object.create(null))).toEqual({});
    expect(serializeArgs([new Number(1), new String('s'), Object(2n)])).toEqual([
      { $ctor: 'Number', value: 1 },
      { $ctor: 'String', value: 's' },
      { $ctor: 'BigInt', value: { $t: 'bigint', value: '2' } },
    ]);
  });

  it('getters that throw and hostile Proxies become tags, never exceptions', () => {
    const obj = {
      ok: 1,
      get bad(): number {
        throw new Error('nope');
      },
    };
    expect(serialize(obj)).toEqual({ ok: 1, bad: { $t: 'thrown', message: 'Error: nope' } });
    const trap = () => {
      throw new Error('trap');
    };
    const hostile = new Proxy({}, { ownKeys: trap, get: trap, getPrototypeOf: trap, has: trap });
    expect(serialize(hostile)).toMatchObject({ $t: 'thrown' });
    expect(() => serialize({ toString: trap, valueOf: trap })).not.toThrow();
  });

  it('long strings are cut with their original length', () => {
    const s = 'x'.repeat(20_000);
    expect(serialize(s, { maxString: 100 })).toEqual({ $t: 'string', value: 'x'.repeat(100), length: 20_000 });
  });

  it('depth and breadth limits', () => {
    const deep = { a: { b: { c: { d: [1] } } } };
    expect(serialize(deep, { maxDepth: 2 })).toEqual({ a: { b: { c: { $t: 'depth', ctor: 'Object' } } } });
    expect(serialize([[[1, 2]]], { maxDepth: 1 })).toEqual([[{ $t: 'depth', ctor: 'Array(2)' }]]);
    const wide = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    expect(serialize(wide, { maxBreadth: 3 })).toEqual({ k0: 0, k1: 1, k2: 2, '…': { $t: 'more', count: 7 } });
    expect(serialize(Array.from({ length: 5 }, (_, i) => i), { maxBreadth: 2 })).toEqual([0, 1, { $t: 'more', count: 3 }]);
    expect(serialize(new Set([1, 2, 3]), { maxBreadth: 1 })).toEqual({ $t: 'Set', size: 3, values: [1, { $t: 'more', count: 2 }] });
  });

  it('the size budget bounds the output whatever the input', () => {
    const big = Array.from({ length: 1000 }, (_, i) => ({ i, text: 'y'.repeat(500) }));
    const out = JSON.stringify(serializeArgs([big, big], { maxBytes: 10_000 }));
    expect(out.length).toBeLessThan(14_000);
    expect(out).toContain('"$t":"more"');
  });

  it('DOM-like nodes become a short summary (duck-typed, so other frames work too)', () => {
    const el = {
      nodeType: 1,
      nodeName: 'DIV',
      localName: 'div',
      id: 'app',
      className: 'main  wide',
      getAttribute: (n: string) => (n === 'name' ? null : null),
    };
    expect(serialize(el)).toEqual({ $t: 'node', summary: 'div#app.main.wide' });
    expect(serialize({ nodeType: 3, nodeName: '#text', textContent: ' hi ' })).toEqual({ $t: 'node', summary: '#text "hi"' });
  });

  it('never throws and always yields JSON (property test)', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true }), (v) => {
        const out = serializeArgs([v]);
        expect(typeof JSON.stringify(out)).toBe('string');
        // Nothing that JSON would lose silently survives.
        expect(JSON.parse(JSON.stringify(out))).toEqual(out);
      }),
      { numRuns: 300 },
    );
  });
});
