import type { NetCapture } from './types';
import { bodySize, bodyText } from './net-body';
import { absolute, now, trace, type Fn, type NetContext } from './net-context';

/** navigator.sendBeacon: one entry when the beacon is queued (or refused); the browser sends it later. */
export function instrumentBeacon(win: Window, ctx: NetContext): (() => void) | undefined {
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
