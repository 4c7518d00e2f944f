import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import {
  OPERATOR_ACTIONS,
  OPERATOR_SIGN_HEADER,
  parseLogFilename,
  singleField,
  type OperatorActionName,
  type PresenceEvent,
} from '../../packages/protocol';
import type { ServerContext } from '../context';
import type { ServerMetrics } from '../core/metrics';
import type { Presence } from '../presence/presence';
import { sendOk } from './error-handler';
import { authorizeOperator, isAdmin, params } from './operator-auth';

/** Recent connects and disconnects kept per source for /clientlog. */
export const CLIENT_LOG_SIZE = 200;

export interface ClientLogEntry {
  type: 'connect' | 'disconnect';
  at: number;
  sid: string;
  userid: string;
  username?: string;
  instance: string;
  rooms?: string[];
}

export interface LegacyRoutes {
  router: Router;
  /** Stops listening to presence (the router then answers with what it had). */
  close(): void;
}

const HOME_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>node-socket-im</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 2em auto; line-height: 1.5">
<h1>^_^ Hello to xin node service ^_^</h1>
<p>node-socket-im is running.</p>
<ul>
<li><a href="/debug">/debug</a>: remote-debug viewer (console output of pages with the debug hook)</li>
<li><a href="/monitor">/monitor</a>: who is online, live (needs an operator sign or the admin key)</li>
<li><a href="/examples/">/examples/</a>: example pages using the browser SDK</li>
<li><a href="/docs/protocol.md">docs/protocol.md</a>: the wire protocol (handshake, events, HTTP API, signs)</li>
<li><a href="/docs/migrating.md">docs/migrating.md</a>: moving from the original node-socket-im</li>
</ul>
</body>
</html>
`;

/** What an old URL says when the request carries no credentials at all. */
function signedEndpoint(action: OperatorActionName, use: string): string {
  return (
    `this read-out needs operator auth: use ${use} with an operator sign for action "${action}" ` +
    `(hex HMAC-SHA256(sign_key, "${action}\\n<source>\\n<subject>\\n<ts>"), subject ${OPERATOR_ACTIONS[action].subject}; ` +
    `in the X-Im-Sign and X-Im-Ts headers, or sign and ts parameters; \`im-debug sign --action ${action}\` makes one), ` +
    'or send Authorization: Bearer <adminKey>'
  );
}

function presentsCredentials(req: Request): boolean {
  if (req.get('authorization') || req.get(OPERATOR_SIGN_HEADER)) return true;
  const sign = params(req).sign;
  return sign !== undefined && sign !== '';
}

function unauthorized(res: Response, action: OperatorActionName, use: string): void {
  res
    .status(401)
    .set('WWW-Authenticate', 'Bearer')
    .json({ code: 0, msg: signedEndpoint(action, use), data: { action, use }, error: 'SIGN_REQUIRED' });
}

/**
 * The original's URLs, behind operator auth. The original served them to anyone; here each
 * one answers what the matching signed read-out answers (never more: each checks that
 * read-out's operator action), or, where this server keeps no such thing, 410 with where to
 * look instead. `/online`, `/today` and `/refreshpage` live with their /api twins.
 */
export function legacyRoutes(ctx: ServerContext, presence: Presence, metrics: ServerMetrics, projectRoot: string): LegacyRoutes {
  const router = Router();
  const clientLog = new Map<string, ClientLogEntry[]>();
  const unsubscribe: Array<() => void> = [];

  // Connects and disconnects of the whole cluster, as the /monitor stream carries them; the
  // original kept them in client.log. Kept since this instance started, the last
  // CLIENT_LOG_SIZE per source.
  for (const source of Object.keys(ctx.config.sources)) {
    const list: ClientLogEntry[] = [];
    clientLog.set(source, list);
    unsubscribe.push(
      presence.subscribe(source, (event: PresenceEvent) => {
        let entry: ClientLogEntry | undefined;
        if (event.type === 'connect') {
          const c = event.connection;
          entry = { type: 'connect', at: c.since, sid: c.sid, userid: c.userid, username: c.username, instance: c.instance, rooms: [...c.rooms] };
        } else if (event.type === 'disconnect') {
          entry = { type: 'disconnect', at: event.at, sid: event.sid, userid: event.userid, instance: event.instance };
        }
        if (!entry) return;
        list.push(entry);
        if (list.length > CLIENT_LOG_SIZE) list.splice(0, list.length - CLIENT_LOG_SIZE);
      }),
    );
  }

  /** The sources a request may read: the one it signed for, or (admin key, no source) all of them. */
  function sourcesFor(req: Request, action: OperatorActionName, subject: string): string[] {
    if (isAdmin(ctx, req) && singleField(params(req).source, 'source') === '') return Object.keys(ctx.config.sources);
    return [authorizeOperator(ctx, req, action, subject)];
  }

  async function counts(source: string) {
    const { connections } = await presence.snapshot(source);
    const perInstance: Record<string, number> = {};
    for (const c of connections) perInstance[c.instance] = (perInstance[c.instance] ?? 0) + 1;
    const metric = await metrics.messagesIn.get();
    const messagesIn = metric.values.find((v) => v.labels.source === source)?.value ?? 0;
    return {
      source,
      connections: connections.length,
      users: new Set(connections.map((c) => c.userid)).size,
      instances: perInstance,
      this_instance: { id: ctx.instanceId, messages_in: messagesIn },
    };
  }

  router.get('/', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').send(HOME_PAGE);
  });
  for (const name of ['protocol.md', 'migrating.md']) {
    router.get(`/docs/${name}`, (_req, res) => {
      res.type('text/markdown; charset=utf-8').set('Cache-Control', 'no-cache').sendFile(path.join(projectRoot, 'docs', name));
    });
  }

  router.get('/api/counts', async (req, res) => {
    const all = await Promise.all(sourcesFor(req, 'counts', '').map(counts));
    sendOk(res, 'ok', all.length === 1 ? all[0] : { sources: all });
  });

  /** An old URL: 401 naming the signed endpoint without credentials, else `answer`. */
  const old = (
    url: string,
    action: OperatorActionName,
    use: string,
    answer: (req: Request, res: Response) => Promise<void> | void,
  ) => {
    router.get(url, async (req, res) => {
      if (!presentsCredentials(req)) return unauthorized(res, action, use);
      await answer(req, res);
    });
  };

  // The original's msg log of a source (filename: one of its own logs); here the same file
  // /api/logs serves, for today unless `date` says otherwise.
  old('/readmsg', 'logs', 'GET /api/logs?source=<source>&date=<YYYY-MM-DD>&filename=<name>', async (req, res) => {
    const p = params(req);
    const filename = parseLogFilename(singleField(p.filename, 'filename'), ctx.config.limits.maxFilenameLength);
    const dateText = singleField(p.date, 'date');
    const date = dateText || new Date(ctx.now()).toISOString().slice(0, 10);
    const source = authorizeOperator(ctx, req, 'logs', `${date}/${filename}`);
    const { stream, size } = await ctx.messageLog.read(source, filename, date);
    res.status(200).type('application/x-ndjson').set('Content-Length', String(size));
    stream.on('error', (err) => res.destroy(err));
    stream.pipe(res);
  });

  const countsUse = 'GET /api/counts?source=<source>';
  old('/read_connections', 'counts', countsUse, async (req, res) => {
    const all = await Promise.all(sourcesFor(req, 'counts', '').map(counts));
    const total = all.reduce((n, c) => n + c.connections, 0);
    sendOk(res, 'ok', { connections: total, sources: Object.fromEntries(all.map((c) => [c.source, { connections: c.connections, users: c.users }])) });
  });
  old('/sessionlocation', 'counts', countsUse, async (req, res) => {
    const all = await Promise.all(sourcesFor(req, 'counts', '').map(counts));
    const instances: Record<string, number> = {};
    for (const c of all) for (const [id, n] of Object.entries(c.instances)) instances[id] = (instances[id] ?? 0) + n;
    sendOk(res, 'ok', { instances, sources: Object.fromEntries(all.map((c) => [c.source, c.instances])) });
  });
  old('/readmsglocation', 'counts', countsUse, async (req, res) => {
    const all = await Promise.all(sourcesFor(req, 'counts', '').map(counts));
    sendOk(res, 'ok', {
      instance: ctx.instanceId,
      messages_in: Object.fromEntries(all.map((c) => [c.source, c.this_instance.messages_in])),
      note: 'messages accepted by this instance since it started; every instance answers for itself (im_messages_in_total in each /metrics)',
    });
  });

  old('/clientlog', 'monitor', 'GET /api/presence/stream?source=<source> (the /monitor page)', (req, res) => {
    const sources = sourcesFor(req, 'monitor', '');
    const recent = sources.flatMap((s) => (clientLog.get(s) ?? []).map((e) => ({ source: s, ...e }))).sort((a, b) => a.at - b.at);
    sendOk(res, 'ok', {
      recent,
      note: `connects and disconnects across the cluster seen by this instance since it started, the last ${CLIENT_LOG_SIZE} per source`,
    });
  });

  const gone = (url: string, what: string, instead: string) =>
    old(url, 'counts', countsUse, (req, res) => {
      sourcesFor(req, 'counts', '');
      res.status(410).json({
        code: 0,
        msg: `${url} read the original's ${what}; this server keeps no such file. ${instead}`,
        data: { instead },
        error: 'NOT_FOUND',
      });
    });
  gone(
    '/readsysmsg',
    'sys.log',
    'It logs one JSON object per line to stdout (pino): read it where your process manager keeps stdout (journalctl -u <unit>, docker logs, pm2 logs). Health: /readyz; counters: /metrics.',
  );
  gone(
    '/errorlog',
    'error.log',
    'Errors are in the same JSON log on stdout, at level 50 (error) and above: e.g. journalctl -u <unit> -o cat | jq \'select(.level >= 50)\'. Redis health: /readyz; error counters: /metrics.',
  );

  return {
    router,
    close() {
      unsubscribe.splice(0).forEach((u) => u());
    },
  };
}
