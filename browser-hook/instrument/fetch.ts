import type { NetCapture } from './types';
import { bodySize, bodyText, headersOf, isTextType, readSome, sizeHeader } from './net-body';
import { absolute, now, trace, type Fn, type NetContext } from './net-context';

/** What a rejected fetch says: the page's abort (with its reason), a timeout, or the browser's one "network error". */
function fetchFailure(err: unknown, signal: AbortSignal | undefined | null): string {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || (signal?.aborted && (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError')) return 'timeout';
  if (name === 'AbortError' || signal?.aborted) return 'aborted';
  if (err instanceof TypeError) return 'network error';
  return String((err as { message?: unknown } | null)?.message ?? err).slice(0, 256) || 'network error';
}

/** fetch: the page gets a promise that settles as the original's, with the same Response; a body is read only from a clone. */
export function instrumentFetch(win: Window, ctx: NetContext): (() => void) | undefined {
  const original = win.fetch as Fn | undefined;
  if (typeof original !== 'function') return undefined;
  let active = true;
  const proxy = new Proxy(original, {
    apply(target, self, args: unknown[]) {
      if (!active || ctx.guard.busy) return Reflect.apply(target, self, args);
      let c: NetCapture | undefined;
      let signal: AbortSignal | null | undefined;
      try {
        const t = trace(ctx.frames);
        const [input, init] = args as [unknown, RequestInit | undefined];
        const req = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
        const url = absolute(win, req ? req.url : input);
        if (!ctx.ignore(url)) {
          signal = init?.signal ?? req?.signal;
          let headers: Record<string, string> | undefined;
          try {
            headers = headersOf(new Headers(init?.headers ?? req?.headers));
          } catch {
            /* fetch itself will say what is wrong with them */
          }
          const hasBody = init !== undefined && init !== null && 'body' in init;
          c = {
            type: 'fetch',
            method: String(init?.method ?? req?.method ?? 'GET').toUpperCase(),
            url,
            start: Date.now(),
            t0: now(),
            trace: t,
            requestHeaders: headers,
            requestSize: hasBody ? bodySize(init.body) : req?.body ? sizeHeader(req.headers.get('content-length')) : 0,
          };
          if (ctx.maxBody && hasBody && isTextType(headers?.['content-type'] ?? (typeof init.body === 'string' ? 'text/plain' : undefined))) {
            const text = bodyText(init.body, ctx.maxBody);
            if (text !== undefined) c.requestBody = text;
          }
        }
      } catch {
        c = undefined;
      }
      const result = Reflect.apply(target, self, args) as Promise<Response>;
      if (!c || !result || typeof (result as { then?: unknown }).then !== 'function') return result;
      const capture = c;
      // A new promise that settles like the original: a rejection the page does not handle is
      // still reported as unhandled, with the same reason.
      return result.then(
        (res) => {
          try {
            onResponse(capture, res);
          } catch {
            /* the page gets its response whatever happens here */
          }
          return res;
        },
        (err: unknown) => {
          try {
            capture.failure = fetchFailure(err, signal);
            capture.duration = now() - capture.t0!;
            ctx.emit(capture);
          } catch {
            /* rethrown below */
          }
          throw err;
        },
      );
    },
  });

  const onResponse = (c: NetCapture, res: Response) => {
    c.duration = now() - c.t0!;
    c.status = res.status;
    if (res.statusText) c.statusText = res.statusText.slice(0, 256);
    if (res.type === 'opaque' || res.type === 'opaqueredirect') c.statusText = res.type;
    c.responseHeaders = headersOf(res.headers);
    c.responseSize = sizeHeader(res.headers.get('content-length'));
    const type = res.headers.get('content-type');
    if (ctx.maxBody && res.body && isTextType(type)) {
      // The clone tees the stream: the page's body arrives as it would, chunk for chunk.
      const copy = res.clone();
      readSome(copy, ctx.maxBody).then(
        (body) => {
          if (body) {
            c.responseBody = body.text;
            if (body.cut) c.bodyTruncated = true;
          }
          ctx.emit(c);
        },
        () => ctx.emit(c),
      );
      return;
    }
    ctx.emit(c);
  };

  win.fetch = proxy as typeof fetch;
  return () => {
    active = false;
    if (win.fetch === (proxy as unknown)) win.fetch = original as typeof fetch;
  };
}
