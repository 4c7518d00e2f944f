import { instrumentBeacon } from './beacon';
import { instrumentFetch } from './fetch';
import type { NetContext } from './net-context';
import { instrumentSockets } from './sockets';
import { instrumentXhr } from './xhr';

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
export type { NetContext } from './net-context';
export { bodySize, isTextType } from './net-body';

/** Wraps every network API the page has; returns one undo per wrapped API. */
export function instrumentNetwork(win: Window, ctx: NetContext): Array<() => void> {
  return [instrumentFetch(win, ctx), instrumentXhr(win, ctx), instrumentBeacon(win, ctx), ...instrumentSockets(win, ctx)].filter(
    (u): u is () => void => u !== undefined,
  );
}
