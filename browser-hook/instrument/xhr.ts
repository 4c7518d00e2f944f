import type { NetCapture } from './types';
import { bodySize, bodyText, isTextType, sizeHeader } from './net-body';
import { absolute, now, trace, type Fn, type NetContext } from './net-context';

interface XhrState {
  c: NetCapture;
  sent: boolean;
  failure?: string;
}

/** XMLHttpRequest: open, setRequestHeader and send are wrapped; the outcome is read from listeners, not on* properties. */
export function instrumentXhr(win: Window, ctx: NetContext): (() => void) | undefined {
  const proto = (win as unknown as { XMLHttpRequest?: typeof XMLHttpRequest }).XMLHttpRequest?.prototype as (XMLHttpRequest & Record<string, Fn>) | undefined;
  if (!proto) return undefined;
  const states = new WeakMap<XMLHttpRequest, XhrState>();
  const listening = new WeakSet<XMLHttpRequest>();
  let active = true;
  const originals: Record<string, Fn> = {};
  const proxies: Record<string, Fn> = {};

  const finish = (xhr: XMLHttpRequest, failure?: string) => {
    const s = states.get(xhr);
    if (!s || !s.sent || !active) return;
    if (failure) {
      s.failure ??= failure;
      return;
    }
    s.sent = false;
    const c = s.c;
    c.duration = now() - c.t0!;
    const status = xhr.status;
    if (status > 0) {
      c.status = status;
      if (xhr.statusText) c.statusText = xhr.statusText.slice(0, 256);
      const headers: Record<string, string> = {};
      for (const line of xhr.getAllResponseHeaders().split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      c.responseHeaders = headers;
      c.responseSize = sizeHeader(headers['content-length']);
      if (ctx.maxBody && (xhr.responseType === '' || xhr.responseType === 'text') && isTextType(headers['content-type'])) {
        const text = xhr.responseText;
        c.responseBody = text.slice(0, ctx.maxBody);
        if (text.length > ctx.maxBody) c.bodyTruncated = true;
      }
    } else c.failure = s.failure ?? 'network error';
    ctx.emit(c);
  };

  const wrap = (name: string, before: (xhr: XMLHttpRequest, args: unknown[]) => void) => {
    const original = proto[name];
    if (typeof original !== 'function') return;
    originals[name] = original;
    proxies[name] = new Proxy(original, {
      apply(target, self, args: unknown[]) {
        if (active && !ctx.guard.busy) {
          try {
            before(self as XMLHttpRequest, args);
          } catch {
            /* never in the page's way */
          }
        }
        return Reflect.apply(target, self, args);
      },
    });
    proto[name] = proxies[name]!;
  };

  wrap('open', (xhr, args) => {
    const url = absolute(win, args[1]);
    if (ctx.ignore(url)) {
      states.delete(xhr);
      return;
    }
    states.set(xhr, { sent: false, c: { type: 'xhr', method: String(args[0]).toUpperCase(), url, start: 0 } });
  });
  wrap('setRequestHeader', (xhr, args) => {
    const s = states.get(xhr);
    if (!s || s.sent) return;
    const headers = (s.c.requestHeaders ??= {});
    const name = String(args[0]).toLowerCase();
    headers[name] = name in headers ? `${headers[name]}, ${String(args[1])}` : String(args[1]);
  });
  wrap('send', (xhr, args) => {
    const s = states.get(xhr);
    if (!s) return;
    const { c } = s;
    s.sent = true;
    s.failure = undefined;
    c.start = Date.now();
    c.t0 = now();
    c.trace = trace(ctx.frames);
    c.requestSize = bodySize(args[0]);
    if (ctx.maxBody && isTextType(c.requestHeaders?.['content-type'] ?? (typeof args[0] === 'string' ? 'text/plain' : undefined))) {
      const text = bodyText(args[0], ctx.maxBody);
      if (text !== undefined) c.requestBody = text;
    }
    if (!listening.has(xhr)) {
      listening.add(xhr);
      // Listeners, not on* properties: the page's handlers stay the page's.
      xhr.addEventListener('abort', () => finish(xhr, 'aborted'));
      xhr.addEventListener('timeout', () => finish(xhr, 'timeout'));
      xhr.addEventListener('error', () => finish(xhr, 'network error'));
      xhr.addEventListener('loadend', () => {
        try {
          finish(xhr);
        } catch {
          /* the page's own loadend listeners still run */
        }
      });
    }
  });

  return () => {
    active = false;
    for (const name of Object.keys(proxies)) if (proto[name] === proxies[name]) proto[name] = originals[name]!;
  };
}
