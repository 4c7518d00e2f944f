import type { Guard, NetCapture } from '../types';

/**
 * Network capture: fetch, XMLHttpRequest, navigator.sendBeacon, WebSocket and EventSource.
 *
 * The page must not be able to tell: every call goes to the function that was there before the
 * hook (another library's wrapper included) with the very same `this` and `arguments`; no body
 * is read unless bodies were asked for, and then only from a clone; what the page gets back is
 * the original's result (fetch: a promise that settles the same way, with the same Response).
 * Functions are wrapped with Proxies, so their name, length and toString stay the originals'.
 * Uninstalling puts an original back only where ours is still in place; elsewhere (someone
 * wrapped ours) ours stays, inert.
 */
export interface NetContext {
  guard: Guard;
  emit(capture: NetCapture): void;
  /** The hook's own traffic (its relay connection): never captured. */
  ignore(absoluteUrl: string): boolean;
  /** Largest body kept, bytes; 0 keeps none (the default). */
  maxBody: number;
  /** Frames taken for the initiator's call site. */
  frames: number;
}

type Fn = (...args: unknown[]) => unknown;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

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

function bodyText(body: unknown, max: number): string | undefined {
  if (typeof body === 'string') return body;
  if (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) return String(body).slice(0, max);
  return undefined;
}

function messageSize(data: unknown): number {
  if (typeof data === 'string') return utf8Length(data);
  const s = bodySize(data);
  return typeof s === 'number' ? s : 0;
}

/**
 * An Error made in a wrapper, parsed only when the entry is sent. Its first frames are the
 * hook's (this helper, the trap, a callback): they are skipped as frames of the hook's own
 * file, so a few spare frames are taken.
 */
function trace(frames: number): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = frames + 3;
  const e = new Error();
  Error.stackTraceLimit = limit;
  return e;
}

function absolute(win: Window, url: unknown): string {
  try {
    return new URL(String(url), win.document?.baseURI || win.location.href).href;
  } catch {
    return String(url);
  }
}

function headersOf(h: Headers | undefined): Record<string, string> | undefined {
  if (!h) return undefined;
  const out: Record<string, string> = {};
  let n = 0;
  h.forEach((value, name) => {
    if (n++ < 100) out[name] = value;
  });
  return n ? out : undefined;
}

function sizeHeader(h: string | null | undefined): number | 'unknown' {
  const n = h == null || h === '' ? NaN : Number(h);
  return Number.isFinite(n) && n >= 0 ? n : 'unknown';
}

/** What a rejected fetch says: the page's abort (with its reason), a timeout, or the browser's one "network error". */
function fetchFailure(err: unknown, signal: AbortSignal | undefined | null): string {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || (signal?.aborted && (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError')) return 'timeout';
  if (name === 'AbortError' || signal?.aborted) return 'aborted';
  if (err instanceof TypeError) return 'network error';
  return String((err as { message?: unknown } | null)?.message ?? err).slice(0, 256) || 'network error';
}

/** Reads at most `max` bytes of a clone's stream, then lets go of it; the page's copy is never touched. */
async function readSome(res: Response, max: number): Promise<{ text: string; cut: boolean } | undefined> {
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

function instrumentFetch(win: Window, ctx: NetContext): (() => void) | undefined {
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

interface XhrState {
  c: NetCapture;
  sent: boolean;
  failure?: string;
}

function instrumentXhr(win: Window, ctx: NetContext): (() => void) | undefined {
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

function instrumentBeacon(win: Window, ctx: NetContext): (() => void) | undefined {
  const nav = win.navigator as Navigator & { sendBeacon?: Fn };
  const original = nav?.sendBeacon;
  if (typeof original !== 'function') return undefined;
  const own = Object.prototype.hasOwnProperty.call(nav, 'sendBeacon');
  let active = true;
  const proxy = new Proxy(original, {
    apply(target, self, args: unknown[]) {
      let c: NetCapture | undefined;
      if (active && !ctx.guard.busy) {
        try {
          const url = absolute(win, args[0]);
          if (!ctx.ignore(url)) c = { type: 'beacon', method: 'POST', url, start: Date.now(), t0: now(), trace: trace(ctx.frames), requestSize: bodySize(args[1]) };
          if (c && ctx.maxBody) {
            const text = bodyText(args[1], ctx.maxBody);
            if (text !== undefined) c.requestBody = text;
          }
        } catch {
          c = undefined;
        }
      }
      const queued = Reflect.apply(target, self, args);
      if (c) {
        try {
          // The browser sends a beacon later, on its own; all the page learns is whether it was queued.
          if (!queued) c.failure = 'not queued (too large, or the beacon queue is full)';
          c.statusText = queued ? 'queued' : undefined;
          c.duration = 0;
          ctx.emit(c);
        } catch {
          /* the page gets its answer */
        }
      }
      return queued;
    },
  });
  nav.sendBeacon = proxy;
  return () => {
    active = false;
    if (nav.sendBeacon !== proxy) return;
    if (own) nav.sendBeacon = original;
    else delete (nav as { sendBeacon?: Fn }).sendBeacon;
  };
}

interface StreamState {
  c: NetCapture;
  sent: number;
  received: number;
  sentBytes: number;
  receivedBytes: number;
  errors: number;
  closed: boolean;
}

/** A step of a WebSocket's or EventSource's life, as its own entry (the capture is shared: copy it). */
function streamEntry(s: StreamState, event: 'open' | 'error' | 'close', extra: Partial<NetCapture> = {}): NetCapture {
  return {
    ...s.c,
    event,
    duration: now() - s.c.t0!,
    messages: { sent: s.sent, received: s.received, sentBytes: s.sentBytes, receivedBytes: s.receivedBytes },
    ...extra,
  };
}

function instrumentConstructor(
  win: Window,
  name: 'WebSocket' | 'EventSource',
  ctx: NetContext,
  track: (target: EventTarget, s: StreamState) => void,
  counted: { method: string; count(s: StreamState, args: unknown[]): void },
  states: WeakMap<object, StreamState>,
): (() => void) | undefined {
  const holder = win as unknown as Record<string, unknown>;
  const original = holder[name] as (new (...args: unknown[]) => EventTarget & { url: string }) | undefined;
  if (typeof original !== 'function') return undefined;
  let active = true;
  const proxy = new Proxy(original, {
    construct(target, args: unknown[], newTarget: unknown) {
      const t = active && !ctx.guard.busy ? trace(ctx.frames) : undefined;
      const made = Reflect.construct(target, args, newTarget as typeof original);
      if (t) {
        try {
          const url = String(made.url || absolute(win, args[0]));
          if (!ctx.ignore(url)) {
            const s: StreamState = {
              c: { type: name === 'WebSocket' ? 'websocket' : 'eventsource', method: 'GET', url, start: Date.now(), t0: now(), trace: t },
              sent: 0,
              received: 0,
              sentBytes: 0,
              receivedBytes: 0,
              errors: 0,
              closed: false,
            };
            states.set(made, s);
            track(made, s);
          }
        } catch {
          /* the page gets its socket */
        }
      }
      return made;
    },
  });
  const proto = original.prototype as Record<string, Fn>;
  const method = proto[counted.method];
  let methodProxy: Fn | undefined;
  if (typeof method === 'function') {
    methodProxy = new Proxy(method, {
      apply(target, self, args: unknown[]) {
        const s = active ? states.get(self as object) : undefined;
        if (s) {
          try {
            counted.count(s, args);
          } catch {
            /* counting is best effort */
          }
        }
        return Reflect.apply(target, self, args);
      },
    });
    proto[counted.method] = methodProxy;
  }
  holder[name] = proxy;
  return () => {
    active = false;
    if (holder[name] === proxy) holder[name] = original;
    if (methodProxy && proto[counted.method] === methodProxy) proto[counted.method] = method!;
  };
}

function instrumentSockets(win: Window, ctx: NetContext): Array<(() => void) | undefined> {
  const sockets = new WeakMap<object, StreamState>();
  const ws = instrumentConstructor(
    win,
    'WebSocket',
    ctx,
    (target, s) => {
      target.addEventListener('open', () => {
        s.c.status = 101;
        ctx.emit(streamEntry(s, 'open'));
      });
      target.addEventListener('message', (e) => {
        s.received++;
        s.receivedBytes += messageSize((e as MessageEvent).data);
      });
      target.addEventListener('error', () => {
        ctx.emit(streamEntry(s, 'error', { failure: 'network error' }));
      });
      target.addEventListener('close', (e) => {
        const ev = e as CloseEvent;
        ctx.emit(streamEntry(s, 'close', { code: ev.code, reason: ev.reason ? ev.reason.slice(0, 256) : undefined, failure: ev.wasClean ? undefined : `closed uncleanly (${ev.code})` }));
      });
    },
    {
      method: 'send',
      count(s, args) {
        s.sent++;
        s.sentBytes += messageSize(args[0]);
      },
    },
    sockets,
  );
  const streams = new WeakMap<object, StreamState>();
  const es = instrumentConstructor(
    win,
    'EventSource',
    ctx,
    (target, s) => {
      target.addEventListener('open', () => {
        s.c.status = 200;
        ctx.emit(streamEntry(s, 'open'));
      });
      target.addEventListener('message', (e) => {
        s.received++;
        s.receivedBytes += messageSize((e as MessageEvent).data);
      });
      target.addEventListener('error', () => {
        // EventSource retries by itself: the first few errors are worth a row, not every retry.
        const closed = (target as EventSource).readyState === 2;
        if (s.closed || (++s.errors > 5 && !closed)) return;
        s.closed = closed;
        ctx.emit(streamEntry(s, 'error', { failure: closed ? 'network error (closed: refused, bad status or not text/event-stream)' : 'network error (reconnecting)' }));
      });
    },
    {
      method: 'close',
      count(s) {
        if (s.closed) return;
        s.closed = true;
        ctx.emit(streamEntry(s, 'close'));
      },
    },
    streams,
  );
  return [ws, es];
}

/** Wraps every network API the page has; returns one undo per wrapped API. */
export function instrumentNetwork(win: Window, ctx: NetContext): Array<() => void> {
  return [instrumentFetch(win, ctx), instrumentXhr(win, ctx), instrumentBeacon(win, ctx), ...instrumentSockets(win, ctx)].filter(
    (u): u is () => void => u !== undefined,
  );
}
