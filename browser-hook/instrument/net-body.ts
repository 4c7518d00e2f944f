/** What can be known of a request's or response's body and headers without disturbing the page. */

/** Text bodies only: anything else is never kept, even with bodies on. */
export function isTextType(contentType: string | null | undefined): boolean {
  return !!contentType && /^text\/|json|xml|javascript|x-www-form-urlencoded|graphql|csv/i.test(contentType);
}

/** Bytes of a request body when they are known without reading it; `unknown` otherwise. */
export function bodySize(body: unknown): number | 'unknown' {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return utf8Length(body);
  if (typeof body !== 'object') return 'unknown';
  const b = body as { size?: unknown; byteLength?: unknown };
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.size;
  if (typeof b.byteLength === 'number') return b.byteLength; // ArrayBuffer, typed arrays, DataView
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) return utf8Length(String(body));
  return 'unknown'; // FormData (its boundary is chosen by the browser), ReadableStream
}

function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

export function bodyText(body: unknown, max: number): string | undefined {
  if (typeof body === 'string') return body;
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) return String(body).slice(0, max);
  return undefined;
}

export function messageSize(data: unknown): number {
  if (typeof data === 'string') return utf8Length(data);
  const s = bodySize(data);
  return typeof s === 'number' ? s : 0;
}

export function headersOf(h: Headers | undefined): Record<string, string> | undefined {
  if (!h) return undefined;
  const out: Record<string, string> = {};
  let n = 0;
  h.forEach((value, name) => {
    if (n++ < 100) out[name] = value;
  });
  return n ? out : undefined;
}

export function sizeHeader(h: string | null | undefined): number | 'unknown' {
  const n = h == null || h === '' ? NaN : Number(h);
  return Number.isFinite(n) && n >= 0 ? n : 'unknown';
}

/** Reads at most `max` bytes of a clone's stream, then lets go of it; the page's copy is never touched. */
export async function readSome(res: Response, max: number): Promise<{ text: string; cut: boolean } | undefined> {
  const reader = res.body?.getReader();
  if (!reader) return undefined;
  const chunks: Uint8Array[] = [];
  let got = 0;
  let cut = false;
  // A stream that never ends (server-sent events, a long poll) must not hold the entry forever.
  const deadline = setTimeout(() => void reader.cancel().catch(() => undefined), 10_000);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.byteLength;
      if (got >= max) {
        cut = got > max;
        break;
      }
    }
  } catch {
    /* cancelled or failed: keep what arrived */
  } finally {
    clearTimeout(deadline);
    reader.cancel().catch(() => undefined);
  }
  const all = new Uint8Array(Math.min(got, max));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, all.length - at);
    all.set(part, at);
    at += part.length;
    if (at >= all.length) break;
  }
  return { text: new TextDecoder().decode(all), cut };
}
