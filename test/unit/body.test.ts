import { describe, expect, it } from 'vitest';
import { ImError } from '../../packages/protocol';
import { bodyKind, parseBody, parseForm } from '../../server/http/body';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof ImError ? `${err.code}: ${err.message}` : String(err);
  }
  return undefined;
};

describe('the body reader (server/http/body.ts)', () => {
  it('reads flat form fields as PHP and jQuery send them; a repeated field becomes an array', () => {
    expect(parseForm('source=demo&room_id=r1%2Cr2&data=%7B%22a%22%3A1%7D&x=a+b')).toEqual({ source: 'demo', room_id: 'r1,r2', data: '{"a":1}', x: 'a b' });
    expect(parseForm('a=1&a=2&a=3')).toEqual({ a: ['1', '2', '3'] });
    // No nesting (body-parser's extended: false): the brackets stay in the name.
    expect(parseForm('a[b]=1')).toEqual({ 'a[b]': '1' });
    expect(parseForm('flag&empty=')).toEqual({ flag: '', empty: '' });
    expect(parseForm('')).toEqual({});
    // A malformed escape is kept as written, never a crash.
    expect(parseForm('data=100%')).toEqual({ data: '100%' });
    expect(Object.getPrototypeOf(parseForm('__proto__=x&constructor=y'))).toBe(Object.prototype);
    expect(parseForm('__proto__=x&constructor=y')).toEqual({});
  });

  it('refuses more than parameterLimit fields', () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `f${i}=${i}`).join('&');
    expect(Object.keys(parseForm(fields(100)))).toHaveLength(100);
    expect(codeOf(() => parseForm(fields(101)))).toBe('INVALID_PARAMETER: too many form parameters');
    expect(codeOf(() => parseForm(fields(6), 5))).toBe('INVALID_PARAMETER: too many form parameters');
  });

  it('parses JSON of any kind, an empty body as {}, and says when it is broken', () => {
    expect(parseBody('application/json', Buffer.from('[1,2]'))).toEqual([1, 2]);
    expect(parseBody('application/json; charset=utf-8', Buffer.from('"x"'))).toBe('x');
    expect(parseBody('application/json', Buffer.from('  '))).toEqual({});
    expect(codeOf(() => parseBody('application/json', Buffer.from('{"a":')))).toBe('INVALID_PARAMETER: request body is not valid JSON');
  });

  it('reads only form and JSON content types, in UTF-8', () => {
    expect(bodyKind('Application/X-WWW-Form-Urlencoded; charset=UTF-8')).toBe('form');
    expect(bodyKind('application/json')).toBe('json');
    expect(bodyKind('text/plain')).toBeUndefined();
    expect(bodyKind('application/vnd.api+json')).toBeUndefined();
    expect(bodyKind(undefined)).toBeUndefined();
    expect(parseBody('text/plain', Buffer.from('source=demo'))).toBeUndefined();
    expect(codeOf(() => parseBody('application/x-www-form-urlencoded; charset=iso-8859-1', Buffer.from('a=1')))).toBe('INVALID_PARAMETER: unsupported body charset');
  });
});
