/**
 * Credentials out of network entries, before anything leaves the page: header values that carry
 * them, and URL parameters named like them. Pure, so it is unit-tested in Node.
 */

export const REDACTED = '[redacted]';

/** Headers whose values are credentials, whatever their content. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/**
 * Parameter (and header) names that look like credentials: token, key, secret, password,
 * auth, sign, credential, session id. Matching generously: a `design=` parameter redacted is
 * a small loss, a leaked `api_key=` is not.
 */
const SECRET_NAME = /token|key|secret|passw|pwd|auth|sign|credential|sessionid|sid$|jwt/i;

export function isSecretHeader(name: string): boolean {
  const n = name.toLowerCase();
  return SECRET_HEADERS.has(n) || SECRET_NAME.test(n);
}

export function isSecretParam(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** `a=1&token=x` → `a=1&token=[redacted]`; leaves the text as it is when nothing matches. */
function redactParams(text: string): string {
  if (!text.includes('=')) return text;
  return text
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq <= 0) return pair;
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        /* keep the raw name */
      }
      return isSecretParam(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
}

/**
 * The URL with credential parameters of the query (and of a `#a=b` fragment, where OAuth puts
 * access tokens) and any `user:password@` replaced. Works on relative and unparseable URLs too:
 * it never needs a base.
 */
export function redactUrl(url: string): string {
  let out = url;
  // user:password@host
  out = out.replace(/^([a-z][\w+.-]*:\/\/)[^/?#@]*@/i, `$1${REDACTED}@`);
  const hashAt = out.indexOf('#');
  let hash = '';
  if (hashAt >= 0) {
    hash = out.slice(hashAt);
    out = out.slice(0, hashAt);
  }
  const q = out.indexOf('?');
  if (q >= 0) out = out.slice(0, q + 1) + redactParams(out.slice(q + 1));
  if (hash) hash = `#${redactParams(hash.slice(1))}`;
  return out + hash;
}

/** Header values of credentials replaced; names lower-cased (as fetch's Headers gives them). */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const n = name.toLowerCase();
    out[n] = isSecretHeader(n) ? REDACTED : headers[name]!;
  }
  return out;
}

/** The `name: value` lines of XHR's getAllResponseHeaders() as a record. */
export function parseHeaderLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}
