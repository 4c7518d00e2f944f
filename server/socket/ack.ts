import { ImError, toImError, type Ack, type AckResult } from '../../packages/protocol';
import type { ServerContext } from '../context';
import type { ImSocket } from '../core/im-server';

/**
 * Socket.IO hands the ack over as the last argument, wherever that falls: a client that sends
 * too few (or too many) values still gets its answer instead of waiting forever.
 */
export function splitAck(args: unknown[]): { ack: Ack<any> | undefined; values: unknown[] } {
  const last = args[args.length - 1];
  return typeof last === 'function' ? { ack: last as Ack<any>, values: args.slice(0, -1) } : { ack: undefined, values: args };
}

/** Tells a client its event was refused: in its ack when it asked for one, else as the contract's `sys_error` string. */
export function refuse(socket: ImSocket, ack: ((r: AckResult) => void) | undefined, err: ImError): void {
  if (ack) ack({ ok: false, error: err.toJSON() });
  else socket.emit('sys_error', err.message);
}

/**
 * Runs a handler and answers its ack (when the client asked for one); without an ack, errors
 * reach the client as the contract's `sys_error` string. A handler never throws into Socket.IO.
 */
export function guarded<T>(ctx: ServerContext, socket: ImSocket, ack: unknown, run: () => Promise<T>): void {
  const reply = typeof ack === 'function' ? (ack as (r: AckResult<T>) => void) : undefined;
  run().then(
    (result) => reply?.((result === undefined ? { ok: true } : { ok: true, result }) as AckResult<T>),
    (err: unknown) => {
      if (!(err instanceof ImError)) ctx.logger.error({ err, socket: socket.id }, 'socket handler failed');
      refuse(socket, reply as ((r: AckResult) => void) | undefined, toImError(err));
    },
  );
}
