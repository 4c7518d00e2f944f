import type { NetCapture } from './types';
import { messageSize } from './net-body';
import { absolute, now, trace, type Fn, type NetContext } from './net-context';

/** WebSocket and EventSource: one entry per step of a connection's life (open, error, close), with message counts. */

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

/** How one connection constructor is watched. */
interface StreamKind {
  name: 'WebSocket' | 'EventSource';
  /** The status an open connection is given (101 Switching Protocols, 200 for a stream). */
  openStatus: number;
  /** Listeners beyond `open` and `message`, which every kind has. */
  track(target: EventTarget, s: StreamState): void;
  /** A prototype method whose calls are counted (WebSocket#send, EventSource#close). */
  counted: { method: string; count(s: StreamState, args: unknown[]): void };
}

function instrumentConstructor(win: Window, ctx: NetContext, kind: StreamKind): (() => void) | undefined {
  const { name, counted } = kind;
  const states = new WeakMap<object, StreamState>();
  const holder = win as unknown as Record<string, unknown>;
  const original = holder[name] as (new (...args: unknown[]) => EventTarget & { url: string }) | undefined;
  if (typeof original !== 'function') return undefined;
  let active = true;
  const track = (target: EventTarget, s: StreamState) => {
    target.addEventListener('open', () => {
      s.c.status = kind.openStatus;
      ctx.emit(streamEntry(s, 'open'));
    });
    target.addEventListener('message', (e) => {
      s.received++;
      s.receivedBytes += messageSize((e as MessageEvent).data);
    });
    kind.track(target, s);
  };
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

export function instrumentSockets(win: Window, ctx: NetContext): Array<(() => void) | undefined> {
  const ws = instrumentConstructor(win, ctx, {
    name: 'WebSocket',
    openStatus: 101,
    track(target, s) {
      target.addEventListener('error', () => {
        ctx.emit(streamEntry(s, 'error', { failure: 'network error' }));
      });
      target.addEventListener('close', (e) => {
        const ev = e as CloseEvent;
        ctx.emit(streamEntry(s, 'close', { code: ev.code, reason: ev.reason ? ev.reason.slice(0, 256) : undefined, failure: ev.wasClean ? undefined : `closed uncleanly (${ev.code})` }));
      });
    },
    counted: {
      method: 'send',
      count(s, args) {
        s.sent++;
        s.sentBytes += messageSize(args[0]);
      },
    },
  });
  const es = instrumentConstructor(win, ctx, {
    name: 'EventSource',
    openStatus: 200,
    track(target, s) {
      target.addEventListener('error', () => {
        // EventSource retries by itself: the first few errors are worth a row, not every retry.
        const closed = (target as EventSource).readyState === 2;
        if (s.closed || (++s.errors > 5 && !closed)) return;
        s.closed = closed;
        ctx.emit(streamEntry(s, 'error', { failure: closed ? 'network error (closed: refused, bad status or not text/event-stream)' : 'network error (reconnecting)' }));
      });
    },
    counted: {
      method: 'close',
      count(s) {
        if (s.closed) return;
        s.closed = true;
        ctx.emit(streamEntry(s, 'close'));
      },
    },
  });
  return [ws, es];
}
