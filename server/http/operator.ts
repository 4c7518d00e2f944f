import { Router, type Request, type Response } from 'express';
import { historyQuerySchema, ImError, LEGACY_MESSAGES, OPERATOR_ACTIONS, parseLogFilename, singleField, zodMessage } from '../../packages/protocol';
import { roomList, type ServerContext } from '../context';
import { sendOk } from './error-handler';
import { authorizeOperator, params } from './operator-auth';

function roomsParam(ctx: ServerContext, req: Request): { raw: string; rooms: string[] } {
  const p = params(req);
  // `room` is the original /refreshpage parameter; `room_id` matches /api/notify.
  const raw = singleField(p.room_id, 'room_id') || singleField(p.room, 'room');
  const rooms = roomList(ctx, raw, 'message', LEGACY_MESSAGES.roomIdRequired);
  return { raw, rooms };
}

/** Signed operator endpoints (see packages/signing/operator.ts): refresh, logs, history. */
export function operatorRouter(ctx: ServerContext): Router {
  const router = Router();

  const refresh = (req: Request, res: Response) => {
    const { raw, rooms } = roomsParam(ctx, req);
    const source = authorizeOperator(ctx, req, OPERATOR_ACTIONS.refresh.name, raw);
    ctx.relay.refresh(source, rooms);
    sendOk(res, 'refresh sent', { rooms });
  };
  router.post('/api/refresh', refresh);
  router.get('/api/refresh', refresh);
  router.get('/refreshpage', refresh);

  router.get('/api/logs', async (req, res) => {
    const p = params(req);
    const filename = parseLogFilename(singleField(p.filename, 'filename'), ctx.config.limits.maxFilenameLength);
    const date = singleField(p.date, 'date') || new Date(ctx.now()).toISOString().slice(0, 10);
    const source = authorizeOperator(ctx, req, OPERATOR_ACTIONS.logs.name, `${date}/${filename}`);
    const { stream, size } = await ctx.messageLog.read(source, filename, date);
    res.status(200).type('application/x-ndjson').set('Content-Length', String(size));
    stream.on('error', (err) => res.destroy(err));
    stream.pipe(res);
  });

  router.get('/api/history', async (req, res) => {
    const p = params(req);
    const { raw, rooms } = roomsParam(ctx, req);
    if (rooms.length !== 1) throw new ImError('INVALID_ROOM', 'history takes exactly one room_id');
    const source = authorizeOperator(ctx, req, OPERATOR_ACTIONS.history.name, raw);
    // The query's text fields (one value each) read as the socket's `history` request is.
    const query = {
      room_id: rooms[0]!,
      since: singleField(p.since, 'since'),
      epoch: singleField(p.epoch, 'epoch'),
      sinceTime: singleField(p.sinceTime, 'sinceTime'),
      limit: singleField(p.limit, 'limit'),
    };
    const parsed = historyQuerySchema.safeParse(query);
    if (!parsed.success) throw new ImError('INVALID_PARAMETER', `history request: ${zodMessage(parsed.error)}`);
    const result = await ctx.relay.history(source, parsed.data);
    sendOk(res, 'ok', result);
  });

  return router;
}
