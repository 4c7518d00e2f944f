import { Socket } from 'socket.io';

/** Socket.IO's dispatch of one incoming packet: runs the socket's middlewares, then emits to its listeners. */
type Dispatch = (this: Socket, packet: unknown[]) => void;
/** Decides whether an incoming packet goes on (`next`), before any `socket.use` middleware. */
export type PacketGuard = (socket: Socket, packet: unknown[], next: () => void) => void;

/**
 * Puts `guard` before Socket.IO's dispatch of every incoming packet. With `replaceDispatch` (the
 * default) the guard costs a socket one own property, a function shared by every socket of the
 * server; otherwise it is a `socket.use` middleware (a closure and an array per socket: about
 * 150 B of heap and 400 B of RSS per idle connection, BENCHMARKS.md). Returns what to call once per socket.
 */
export function packetGuard(guard: PacketGuard, replaceDispatch = true): (socket: Socket) => void {
  const original = (Socket.prototype as unknown as { dispatch: Dispatch }).dispatch;
  const dispatch: Dispatch = function (this: Socket, packet) {
    guard(this, packet, () => original.call(this, packet));
  };
  if (!replaceDispatch) return (socket) => socket.use((packet, next) => guard(socket, packet, next));
  return (socket) => {
    (socket as unknown as { dispatch: Dispatch }).dispatch = dispatch;
  };
}

/**
 * Calls `onEvent` with the event name of every packet Socket.IO sends a socket: a room broadcast
 * (local, or from another instance through the adapter) or an emit on the socket itself, once
 * per socket however many of its rooms the broadcast named. With `replaceNotify` (the default)
 * Socket.IO's `notifyOutgoingListeners`, which it calls for each such packet, is replaced by one
 * function shared by every socket (the prototype's still runs onAnyOutgoing listeners);
 * otherwise each socket gets an `onAnyOutgoing` listener (a closure and an array per socket).
 */
export function outgoingTap(onEvent: (event: unknown) => void, replaceNotify = true): (socket: Socket) => void {
  type Notify = (this: Socket, packet: { data?: unknown[] }) => void;
  const original = (Socket.prototype as unknown as { notifyOutgoingListeners: Notify }).notifyOutgoingListeners;
  const notify: Notify = function (this: Socket, packet) {
    onEvent(packet.data?.[0]);
    original.call(this, packet);
  };
  if (!replaceNotify) return (socket) => socket.onAnyOutgoing((event: string) => onEvent(event));
  return (socket) => {
    (socket as unknown as { notifyOutgoingListeners: Notify }).notifyOutgoingListeners = notify;
  };
}
