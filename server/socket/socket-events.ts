import type { Socket } from 'socket.io';

/** Picks the listener of an event for one socket (undefined: that socket does not handle it). */
export type EventListenerFor = (socket: Socket) => ((...args: any[]) => void) | undefined;

const eventsByServer = new WeakMap<object, Map<string, EventListenerFor>>();

/**
 * Client events whose listener is added to a socket when it first sends one, not when it
 * connects. Most connections of a relay never send anything, and every event name with a
 * listener costs each socket an entry in its EventEmitter's `_events` (about 300 bytes across
 * six names). Listeners are shared functions (Socket.IO calls them with `this` = the socket).
 *
 * `server` is the object the registry is kept for (the ServerContext).
 */
export function defineSocketEvent(server: object, event: string, listenerFor: EventListenerFor): void {
  let events = eventsByServer.get(server);
  if (!events) {
    events = new Map();
    eventsByServer.set(server, events);
  }
  events.set(event, listenerFor);
}

/**
 * Makes sure `socket` listens to `event` before Socket.IO emits it (called by the guard, see
 * server/socket/socket-guard.ts). False when nothing handles that event on that socket.
 */
export function ensureListener(server: object, socket: Socket, event: string): boolean {
  if (socket.listeners(event).length > 0) return true;
  const listener = eventsByServer.get(server)?.get(event)?.(socket);
  if (!listener) return false;
  socket.on(event, listener);
  return true;
}
