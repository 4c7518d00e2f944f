import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { ImError, OPERATOR_ACTIONS, parseRoomList, singleField, type PresenceEvent } from '../../packages/protocol';
import type { ServerContext } from '../context';
import type { Presence } from '../presence/presence';
import { utcDate } from '../presence/presence-store';
import { sendOk } from './error-handler';
import { authorizeOperator, params } from './operator-auth';
import { ASSETS } from '../core/assets';

// Beside the sources, or copied into the compiled package's dist/assets (server/core/assets.ts).
const MONITOR_DIR = ASSETS.monitorPage;
/** A stream whose reader lags this far behind is cut (its page reconnects and starts over). */
const MAX_STREAM_BACKLOG = 1024 * 1024;
/** Events held while the snapshot is read; past this the stream starts over. */
const MAX_STREAM_BUFFER = 10_000;
const KEEPALIVE_MS = 15_000;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function optionalRoom(ctx: ServerContext, raw: string): string | undefined {
  if (raw === '') return undefined;
  const [room] = parseRoomList(raw, { max: 1, maxLength: ctx.config.limits.maxRoomIdLength, emptyMessage: 'room_id can not be null!' });
  return room;
}

/**
 * Signed presence read-outs (online users, users seen per day, a user's page views), the live
 * stream behind /monitor, and the monitor page itself. Each answer holds one source only: the
 * one the sign (or the admin key) was checked for.
 */
export function presenceRouter(ctx: ServerContext, presence: Presence): Router {
  const router = Router();
  let streams = 0;
  // Live streams per source: one source's (replayable) monitor sign cannot take every place.
  const perSource = new Map<string, number>();
  const { maxStreams, maxStreamsPerSource } = ctx.config.presence.monitor;

  const online = async (req: Request, res: Response) => {
    const raw = singleField(params(req).room_id, 'room_id');
    const room = optionalRoom(ctx, raw);
    const source = authorizeOperator(ctx, req, OPERATOR_ACTIONS.online.name, raw);
    sendOk(res, 'ok', { source, room_id: room ?? null, ...(await presence.online(source, room)) });
  };
  router.get(['/api/online', '/online'], online);
  router.post('/api/online', online);

  const today = async (req: Request, res: Response) => {
    const raw = singleField(params(req).date, 'date');
    if (raw !== '' && (!DATE_PATTERN.test(raw) || Number.isNaN(Date.parse(raw)))) {
      throw new ImError('INVALID_PARAMETER', 'date must be YYYY-MM-DD');
    }
    const source = authorizeOperator(ctx, req, OPERATOR_ACTIONS.today.name, raw);
    const date = raw || utcDate(ctx.now());
    const list = await presence.today(source, date);
    sendOk(res, 'ok', { source, date, users: list.length, list });
  };
  router.get(['/api/today', '/today'], today);
  router.post('/api/today', today);

  const pageViews = async (req: Request, res: Response) => {
    const p = params(req);
    const userid = singleField(p.userid, 'userid');
    if (!userid) throw new ImError('USERID_REQUIRED', 'userid can not be null!');
    const max = ctx.config.presence.pageViews.max;
    const limitText = singleField(p.limit, 'limit');
    const limit = limitText === '' ? max : Number(limitText);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new ImError('INVALID_PARAMETER', 'limit must be a whole number ≥ 1');
    const source = authorizeOperator(ctx, req, OPERATOR_ACTIONS.pageviews.name, userid);
    const list = await presence.pageViews(source, userid, Math.min(limit, max));
    sendOk(res, 'ok', { source, userid, list });
  };
  router.get('/api/pageviews', pageViews);
  router.post('/api/pageviews', pageViews);

  // Server-sent events: `hello`, then `snapshot` (every live connection and the recent page
  // views), then one `presence` event per change anywhere in the cluster.
  router.get('/api/presence/stream', async (req, res) => {
    const source = authorizeOperator(ctx, req, OPERATOR_ACTIONS.monitor.name, '');
    if (streams >= maxStreams) {
      ctx.metrics?.boundHits.inc({ bound: 'monitor_streams', source });
      throw new ImError('UNAVAILABLE', `this instance already serves ${maxStreams} live streams`);
    }
    const mine = perSource.get(source) ?? 0;
    if (mine >= maxStreamsPerSource) {
      ctx.metrics?.boundHits.inc({ bound: 'monitor_streams_per_source', source });
      throw new ImError(
        'TOO_MANY_CONNECTIONS',
        `this instance already serves ${maxStreamsPerSource} live streams of source ${source}; close one and retry`,
      );
    }
    streams++;
    perSource.set(source, mine + 1);
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-store, no-transform',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();

    let ready = false;
    let ended = false;
    const buffered: PresenceEvent[] = [];
    const send = (event: string, data: unknown) => {
      if (ended) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      if (res.writableLength > MAX_STREAM_BACKLOG) end();
    };
    const unsubscribe = presence.subscribe(source, (event) => {
      if (ready) send('presence', event);
      else if (buffered.push(event) > MAX_STREAM_BUFFER) end();
    });
    const keepAlive = setInterval(() => !ended && res.write(': keep-alive\n\n'), KEEPALIVE_MS);
    keepAlive.unref();
    const cleanup = () => {
      if (ended) return;
      ended = true;
      streams--;
      const left = (perSource.get(source) ?? 1) - 1;
      if (left > 0) perSource.set(source, left);
      else perSource.delete(source);
      clearInterval(keepAlive);
      unsubscribe();
      unhook();
    };
    function end() {
      cleanup();
      res.end();
    }
    const unhook = presence.onShutdown(end);
    req.on('close', cleanup);

    res.write(`retry: 3000\n\n`);
    send('hello', {
      source,
      instance: ctx.instanceId,
      heartbeatMs: ctx.config.presence.heartbeatMs,
      expiryMs: ctx.config.presence.expiryMs,
      // The page tells how long its link (an operator sign's ts) still opens a new stream.
      signatureWindowSeconds: ctx.config.signatureWindowSeconds,
    });
    try {
      send('snapshot', await presence.snapshot(source));
    } catch (err) {
      ctx.logger.error({ err, source }, 'presence snapshot failed');
      send('failure', { code: 'UNAVAILABLE', message: 'presence store unavailable' });
      end();
      return;
    }
    ready = true;
    for (const event of buffered.splice(0)) send('presence', event);
  });

  // The page holds no secret: it asks for source + ts + operator sign (or the admin key, kept
  // in the page and sent as a header, never in a URL) and renders with textContent only.
  const file = (name: string, type: string) => (_req: Request, res: Response) => {
    res.type(type).set('Cache-Control', 'no-cache').sendFile(path.join(MONITOR_DIR, name));
  };
  router.get('/monitor', file('index.html', 'html'));
  router.get('/monitor/monitor-view.js', file('monitor-view.js', 'js'));
  router.get('/monitor/monitor.js', file('monitor.js', 'js'));
  router.get('/monitor/monitor.css', file('monitor.css', 'css'));

  return router;
}
