import { describe, expect, it } from 'vitest';
import { isSecretHeader, parseHeaderLines, redactHeaders, redactUrl } from '../../browser-hook/redact';

describe('network redaction (browser hook)', () => {
  it('replaces credential parameters of the query and the fragment, and user:password@', () => {
    expect(redactUrl('https://a.test/api?token=abc&x=1')).toBe('https://a.test/api?token=[redacted]&x=1');
    expect(redactUrl('/p?api_key=1&access_token=2&password=3&auth=4&sign=5&client_secret=6&page=2')).toBe(
      '/p?api_key=[redacted]&access_token=[redacted]&password=[redacted]&auth=[redacted]&sign=[redacted]&client_secret=[redacted]&page=2',
    );
    expect(redactUrl('https://a.test/cb#access_token=xyz&state=s')).toBe('https://a.test/cb#access_token=[redacted]&state=s');
    expect(redactUrl('https://user:pw@a.test/x')).toBe('https://[redacted]@a.test/x');
    // Encoded names are read decoded; values never matter.
    expect(redactUrl('/p?%74oken=abc&q=token')).toBe('/p?%74oken=[redacted]&q=token');
    expect(redactUrl('/p?Token=abc&SIGNATURE=z')).toBe('/p?Token=[redacted]&SIGNATURE=[redacted]');
  });

  it('leaves URLs without credentials as they are, and never throws on odd input', () => {
    for (const url of ['https://a.test/x?page=2&q=shoes', '/x', '', '?', '?=', '?a', 'ws://h/ws', '/p?%E0%A4%A=1', 'not a url at all']) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it('replaces credential header values; other headers stay readable', () => {
    expect(redactHeaders({ Authorization: 'Bearer x', Cookie: 'a=b', 'Set-Cookie': 'c=d', 'Proxy-Authorization': 'Basic y', 'X-Api-Key': 'k', 'X-CSRF-Token': 't', 'Content-Type': 'text/plain', Accept: '*/*' })).toEqual({
      authorization: '[redacted]',
      cookie: '[redacted]',
      'set-cookie': '[redacted]',
      'proxy-authorization': '[redacted]',
      'x-api-key': '[redacted]',
      'x-csrf-token': '[redacted]',
      'content-type': 'text/plain',
      accept: '*/*',
    });
    expect(isSecretHeader('content-length')).toBe(false);
    expect(isSecretHeader('keep-alive')).toBe(false);
  });

  it('reads XHR header lines', () => {
    expect(parseHeaderLines('Content-Type: text/plain\r\nX-A: 1\r\nx-a: 2\r\n\r\n')).toEqual({ 'content-type': 'text/plain', 'x-a': '1, 2' });
  });
});
