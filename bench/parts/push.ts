import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { legacyNotifySign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import type { HookRunResult } from '../load/hook-load';
import { forkChild, type BenchChild } from '../lib/ipc';
import { BENCH_DIR, startLoadGenerator, startServer, type PartContext, type PartOutput, type ServerInfo } from '../lib/part';
import type { Table, TargetCheck } from '../lib/report';
import { fmtInt, fmtRatio, median } from '../lib/stats';

/**
 * Everything that enters the service: signed `POST /api/notify` (ours against a bare Express
 * route and a bare node `http` handler, both parsing, checking the md5 sign and emitting),
 * `POST /api/notify/batch` with 100 messages, and hook ingestion (`postLogs` from 50 hook
 * connections) against a bare Socket.IO relay of the same events; ours also on Redis, one and
 * two instances. HTTP load comes from wrk (one thread, 8 connections), alternating servers.
 */
const run = promisify(execFile);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEY = DEMO_SOURCES.demo.signKey;
const EMPTY = 'push-empty';
const SUBS = 'push-subs';
const SUBSCRIBERS = 100;
const BATCH = 100;
const HOOKS = 50;
const HOOK_BATCH = 20;

type Child = BenchChild<ServerInfo> & { base: string };

/** Server CPU (user + system) of all instances, in µs. */
async function cpuOf(servers: Child[]): Promise<number> {
  const all = await Promise.all(servers.map((s) => s.call<{ user: number; system: number }>('cpu')));
  return all.reduce((n, c) => n + c.user + c.system, 0);
}

function notifyBody(room: string, i: number): string {
  const data = JSON.stringify({ n: i, factory_count: 47 });
  return new URLSearchParams({ source: 'demo', room_id: room, data, sign: legacyNotifySign('demo', room, data, KEY) }).toString();
}

function batchBody(room: string): string {
  const messages = Array.from({ length: BATCH }, (_, i) => {
    const data = JSON.stringify({ n: i, factory_count: 47 });
    return { source: 'demo', room_id: room, data, sign: legacyNotifySign('demo', room, data, KEY) };
  });
  return JSON.stringify({ messages });
}

function luaFor(dir: string, name: string, contentType: string, body: string): string {
  const file = path.join(dir, `${name}.lua`);
  writeFileSync(
    file,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "${contentType}"\nwrk.body = ${JSON.stringify(body)}\n`,
  );
  return file;
}

interface WrkResult {
  rps: number;
  bad: number;
  requests: number;
}

/** One wrk run per URL at once (two instances: both loaded together); the rates add up. */
async function wrk(urls: string[], lua: string, seconds: number): Promise<WrkResult> {
  const outs = await Promise.all(
    urls.map((u) => run('wrk', ['-t1', '-c8', `-d${seconds}s`, '-s', lua, u], { timeout: (seconds + 30) * 1000 }).then((r) => r.stdout)),
  );
  let rps = 0;
  let bad = 0;
  let requests = 0;
  for (const out of outs) {
    rps += Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
    requests += Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    bad += Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  }
  return { rps, bad, requests };
}

async function startBare(stack: 'express' | 'http'): Promise<Child> {
  const child = await forkChild<ServerInfo>(path.join(BENCH_DIR, 'servers/bare-notify.ts'), { env: { BENCH_NOTIFY_STACK: stack } });
  return Object.assign(child, { base: `http://127.0.0.1:${child.info.port}` });
}

type Kind = 'ours' | 'ours-redis' | 'ours-redis-2' | 'express' | 'http';
// BENCH_PUSH_KINDS=ours,http: only those (for trying a change out).
const KINDS = (process.env.BENCH_PUSH_KINDS?.split(',') as Kind[] | undefined) ?? (['ours', 'express', 'http', 'ours-redis', 'ours-redis-2'] as Kind[]);
const LABEL: Record<Kind, string> = {
  ours: 'node-socket-im',
  'ours-redis': 'node-socket-im, Redis, 1 instance',
  'ours-redis-2': 'node-socket-im, Redis, 2 instances',
  express: 'bare Express 5 route',
  http: 'bare node http handler',
};

async function startKind(kind: Kind): Promise<Child[]> {
  if (kind === 'express' || kind === 'http') return [await startBare(kind)];
  // Hooks here send as fast as their acks come back: the hook's entry rate and the per-connection
  // event rate (both per-connection abuse limits) are lifted, and the notes say so.
  const env = { BENCH_HOOK_RATE: '10000000', BENCH_CONFIG: JSON.stringify({ rateLimits: { perConnection: 0 } }) };
  if (kind === 'ours') return [await startServer('ours', { env })];
  const redis = { url: REDIS_URL, prefix: `bench-push-${randomUUID().slice(0, 8)}` };
  const a = await startServer('ours', { redis, env });
  if (kind === 'ours-redis') return [a];
  try {
    return [a, await startServer('ours', { redis, env })];
  } catch (err) {
    await a.stop();
    throw err;
  }
}

export async function pushPart(ctx: PartContext): Promise<PartOutput> {
  const seconds = ctx.quick ? 2 : 3;
  const rounds = ctx.quick ? 1 : 3;
  const hookMs = ctx.quick ? 2000 : 3000;
  try {
    await run('wrk', ['--version']).catch((e: { stdout?: string }) => {
      if (!String(e.stdout ?? '').includes('wrk')) throw new Error('wrk not found');
    });
  } catch {
    return { title: 'Push: notify, batch, hook ingestion', pending: 'wrk is not installed (apt-get install wrk)', tables: [], targets: [], notes: [] };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'im-bench-push-'));
  const luaNotify: Record<string, string> = { [EMPTY]: luaFor(dir, 'notify-empty', 'application/x-www-form-urlencoded', notifyBody(EMPTY, 1)), [SUBS]: luaFor(dir, 'notify-subs', 'application/x-www-form-urlencoded', notifyBody(SUBS, 1)) };
  const luaBatch: Record<string, string> = { [EMPTY]: luaFor(dir, 'batch-empty', 'application/json', batchBody(EMPTY)), [SUBS]: luaFor(dir, 'batch-subs', 'application/json', batchBody(SUBS)) };
  const notify: Record<string, number[]> = {};
  const notifyCpu: Record<string, number[]> = {};
  const batch: Record<string, number[]> = {};
  const hook: Record<string, number[]> = {};
  const hookCpu: Record<string, number[]> = {};
  let bad = 0;
  const record = (m: Record<string, number[]>, key: string, v: number) => (m[key] ??= []).push(v);
  const load = await startLoadGenerator();
  let redisProblem: string | undefined;
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const kind of KINDS) {
        if (kind.startsWith('ours-redis') && redisProblem) continue;
        // Redis rows: one round (the part's time limit); the one-instance rows alternate every round.
        if (kind.startsWith('ours-redis') && round > 1) continue;
        let servers: Child[];
        try {
          servers = await startKind(kind);
        } catch (err) {
          if (!kind.startsWith('ours-redis')) throw err;
          redisProblem = (err as Error).message.split('\n')[0];
          ctx.log(`push: Redis runs skipped: ${redisProblem}`);
          continue;
        }
        try {
          const urls = (p: string) => servers.map((s) => `${s.base}${p}`);
          const ours = kind.startsWith('ours');
          // Empty room first, then the same with 100 subscribers on the (last) instance.
          for (const room of [EMPTY, SUBS]) {
            if (room === SUBS) {
              const c = await load.call<{ connected: number; firstError?: string }>('connect', { base: servers[servers.length - 1]!.base, count: SUBSCRIBERS, rooms: [SUBS] }, 90_000);
              if (c.connected !== SUBSCRIBERS) throw new Error(`${kind}: ${c.connected}/${SUBSCRIBERS} subscribers connected (${c.firstError})`);
            }
            // A second of load first: the JIT warm, the pools grown.
            if (room === EMPTY) await wrk(urls('/api/notify'), luaNotify[room]!, 1);
            const cpu0 = await cpuOf(servers);
            const n = await wrk(urls('/api/notify'), luaNotify[room]!, seconds);
            const cpu = (await cpuOf(servers)) - cpu0;
            bad += n.bad;
            record(notify, `${kind}:${room}`, n.rps);
            record(notifyCpu, `${kind}:${room}`, cpu / Math.max(1, n.requests));
            ctx.log(`push round ${round} ${kind} notify ${room}: ${fmtInt(n.rps)}/s, ${(cpu / Math.max(1, n.requests)).toFixed(0)} µs CPU each${n.bad ? ` (${n.bad} not 200)` : ''}`);
            if (ours) {
              if (room === EMPTY) await wrk(urls('/api/notify/batch'), luaBatch[room]!, 1);
              const b = await wrk(urls('/api/notify/batch'), luaBatch[room]!, seconds);
              bad += b.bad;
              record(batch, `${kind}:${room}`, b.rps * BATCH);
              ctx.log(`push round ${round} ${kind} batch ${room}: ${fmtInt(b.rps * BATCH)} messages/s${b.bad ? ` (${b.bad} not 200)` : ''}`);
            }
          }
          await load.call('disconnect');
          if (kind === 'ours' || kind === 'http' || kind === 'ours-redis') {
            const h = await forkChild<{ pid: number }>(path.join(BENCH_DIR, 'load/hook-load.ts'));
            try {
              const cpu0 = await cpuOf(servers);
              const r = await h.call<HookRunResult>('run', { base: servers[0]!.base, connections: HOOKS, batch: HOOK_BATCH, warmupMs: 500, durationMs: hookMs }, hookMs + 60_000);
              const perEntry = ((await cpuOf(servers)) - cpu0) / Math.max(1, r.allEntries);
              bad += r.refused;
              record(hook, kind, r.entriesPerSecond);
              record(hookCpu, kind, perEntry);
              ctx.log(`push round ${round} ${kind} hook: ${fmtInt(r.entriesPerSecond)} entries/s, ${perEntry.toFixed(1)} µs CPU each${r.refused ? ` (${r.refused} refused: ${r.firstError})` : ''}`);
            } finally {
              await h.stop();
            }
          }
        } finally {
          await load.call('disconnect').catch(() => {});
          await Promise.all(servers.map((s) => s.stop()));
        }
      }
    }
  } finally {
    await load.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const m = (rec: Record<string, number[]>, key: string) => (rec[key]?.length ? median(rec[key]!) : NaN);
  const each = (rec: Record<string, number[]>, key: string) => (rec[key] ?? []).map(fmtInt).join(' / ');
  const show = (v: number) => (Number.isNaN(v) ? 'not run' : fmtInt(v));
  const kinds: Kind[] = ['ours', 'express', 'http', 'ours-redis', 'ours-redis-2'];
  const notifyTable: Table = {
    caption: `Signed POST /api/notify, requests/s (median of ${rounds} alternating rounds, Redis rows one round; wrk -t1 -c8, ${seconds} s each)`,
    header: ['Server', 'Empty room', 'Rounds', 'Server CPU per push', `Room of ${SUBSCRIBERS}`, 'Rounds', 'vs bare http (empty)', 'vs bare Express (empty)'],
    rows: kinds.map((k) => [
      LABEL[k],
      show(m(notify, `${k}:${EMPTY}`)),
      each(notify, `${k}:${EMPTY}`),
      Number.isNaN(m(notifyCpu, `${k}:${EMPTY}`)) ? '' : `${m(notifyCpu, `${k}:${EMPTY}`).toFixed(0)} µs`,
      show(m(notify, `${k}:${SUBS}`)),
      each(notify, `${k}:${SUBS}`),
      fmtRatio(m(notify, `${k}:${EMPTY}`) / m(notify, `http:${EMPTY}`)),
      fmtRatio(m(notify, `${k}:${EMPTY}`) / m(notify, `express:${EMPTY}`)),
    ]),
  };
  const batchTable: Table = {
    caption: `POST /api/notify/batch, ${BATCH} md5-signed messages per request: messages/s accepted (median of ${rounds})`,
    header: ['Server', 'Empty room', 'Rounds', `Room of ${SUBSCRIBERS}`, 'Rounds'],
    rows: (['ours', 'ours-redis', 'ours-redis-2'] as Kind[]).map((k) => [LABEL[k], show(m(batch, `${k}:${EMPTY}`)), each(batch, `${k}:${EMPTY}`), show(m(batch, `${k}:${SUBS}`)), each(batch, `${k}:${SUBS}`)]),
  };
  const hookTable: Table = {
    caption: `Hook ingestion: log entries/s acknowledged from ${HOOKS} hook connections, postLogs batches of ${HOOK_BATCH} (median of ${rounds})`,
    header: ['Server', 'Entries/s', 'Rounds', 'vs bare relay', 'Server CPU per entry', 'CPU vs bare relay'],
    rows: (['ours', 'http', 'ours-redis'] as Kind[]).map((k) => [
      k === 'http' ? 'bare Socket.IO relay' : LABEL[k],
      show(m(hook, k)),
      each(hook, k),
      fmtRatio(m(hook, k) / m(hook, 'http')),
      Number.isNaN(m(hookCpu, k)) ? '' : `${m(hookCpu, k).toFixed(1)} µs`,
      fmtRatio(m(hookCpu, k) / m(hookCpu, 'http')),
    ]),
  };
  const ours = m(notify, `ours:${EMPTY}`);
  const vsHttp = ours / m(notify, `http:${EMPTY}`);
  const vsExpress = ours / m(notify, `express:${EMPTY}`);
  const redisRatio = m(notify, `ours-redis:${EMPTY}`) / ours;
  const batchRate = m(batch, `ours:${EMPTY}`);
  const hookRatio = m(hook, 'ours') / m(hook, 'http');
  const targets: TargetCheck[] = [
    { target: 'Notify vs bare node http handler (one instance, empty room)', goal: '≥ 0.40×', measured: `${fmtRatio(vsHttp)} (${fmtInt(ours)} vs ${fmtInt(m(notify, `http:${EMPTY}`))}/s)`, met: vsHttp >= 0.4 },
    { target: 'Notify vs bare Express route (one instance, empty room)', goal: '≥ 2.0×', measured: `${fmtRatio(vsExpress)} (${fmtInt(ours)} vs ${fmtInt(m(notify, `express:${EMPTY}`))}/s)`, met: vsExpress >= 2 },
    {
      target: 'Notify on Redis vs our one instance',
      goal: '≥ 0.50×',
      measured: Number.isNaN(redisRatio) ? `not run (${redisProblem})` : fmtRatio(redisRatio),
      met: Number.isNaN(redisRatio) ? null : redisRatio >= 0.5,
    },
    { target: 'Batch messages/s (batches of 100, one instance, empty room)', goal: '≥ 100,000/s', measured: `${fmtInt(batchRate)}/s`, met: batchRate >= 100_000 },
    { target: 'Hook ingestion vs bare Socket.IO relay', goal: '≥ 1.0×', measured: `${fmtRatio(hookRatio)} (${fmtInt(m(hook, 'ours'))} vs ${fmtInt(m(hook, 'http'))} entries/s)`, met: hookRatio >= 1 },
  ];
  return {
    title: 'Push: notify, batch, hook ingestion',
    tables: [notifyTable, batchTable, hookTable],
    targets,
    notes: [
      'Our server runs its default configuration (bench/servers/ours.ts: log level silent, per-address connection caps lifted because every ' +
        `client is 127.0.0.1, and the per-connection rates \`hook.maxEntriesPerSecond\` and \`rateLimits.perConnection\` lifted: ${HOOKS} hooks that send a batch as soon as the last one is acknowledged would otherwise be throttled, at 100 batches a second each by default). ` +
        `${bad === 0 ? 'Every request was answered 200 and every batch acknowledged.' : `**${bad} requests or entries were refused.**`}`,
      'The baselines (bench/servers/bare-notify.ts) parse the form, check the md5 sign and call `io.to(room).emit` for each room, nothing else: ' +
        'the bare Express 5 route behind `express.urlencoded`, the bare node `http` handler with `URLSearchParams`. Ours does everything the contract ' +
        'asks besides: request id and request log, security headers, CORS, rate limits, room history, `filename`, metrics, shutdown draining.',
      'Two instances: one wrk per instance at once, the rates added; the subscribers of the "room of 100" column sit on the second instance. ' +
        'Hook ingestion: socket.io-client connections with `role=publisher` (bench/load/hook-load.ts), one batch in flight each, counting acknowledged ' +
        'entries; the bare relay emits one `newMsg` per entry and acknowledges.',
      'wrk, the load child and the servers share the machine\'s cores, so absolute figures move with whatever else runs; the ratios come from ' +
        'rounds that alternate between the servers. "Server CPU per push" (the server process\'s user + system time over the measured ' +
        'requests) moves less with the machine\'s load than requests/s do.',
      '**Where the time went, and what each step saved** (issue 16). A V8 profile (`node --cpu-prof`) of the Express version under ' +
        '`wrk -t1 -c8` to an empty room: a third of the non-idle CPU was the self time of Express and the middleware packages around ' +
        'it (router, express, qs, body-parser, raw-body, type-is, cors, parseurl, on-finished, content-type, iconv-lite, vary, forwarded), ' +
        '`res.json` (JSON, ETag hashing, header helpers) a tenth, the three digests of the sign check (md5, and SHA-256 of both sides for ' +
        'the constant-time compare) a tenth, and a Socket.IO broadcast to a room nobody had joined still encoded its packet. Server CPU ' +
        'per push to an empty room, measured on this machine (2 cores shared with other work, two alternating rounds each, so ±20 %), ' +
        'with each commit of the series: the Express route 363–432 µs; served before Express through the same steps (one body reader, ' +
        'node\'s own response writes, no router) 158–176 µs; no broadcast for a room without members on one instance, history trimming ' +
        'once per batch 128–169 µs; `crypto.hash` for the digests 117–142 µs; the hex sign compared directly with `timingSafeEqual` (its ' +
        'length is public) and no per-check closures 111–126 µs; no object spread per message in the history stores (`{ ...message, offset, ' +
        'epoch }` cost microseconds each on Node 20, more than the rest of the append) 94–109 µs. The bare node `http` handler: 40–56 µs; ' +
        'the bare Express route 349–505 µs.',
      'What a push still pays beyond the bare handler (the same profile, now): the security headers and request id (fourteen more ' +
        '`setHeader` calls, and a larger answer for the kernel to copy), CORS, the room history (one append, its size estimate and ' +
        'trimming), rate-limit and nonce bookkeeping, metrics, and the promises between those steps. The kernel\'s `writev` of the ' +
        'answer is the largest single item in both servers. Batches spread the per-request part over 100 messages; there a message costs ' +
        'its sign check (md5 + compare), room list, history append and its share of `JSON.parse` and of the answer: 9–10 µs a message ' +
        'before the spread was gone, 4.5–6 µs after.',
      'Hook ingestion: ours checks each entry (schema, size), keeps it in the room history and answers the ack after the history ' +
        'write; the bare relay only emits. A batch reaches the history in one call and each entry\'s JSON is measured once (it was ' +
        'twice). The debug room has no reader in this benchmark, so neither server sends anything; the bare relay still encodes every ' +
        'packet, ours no longer does. Server CPU per entry: ours 15–28 µs before this series, 8–10 µs after; the bare relay 7–9 µs.',
      '**Hook ingestion, second pass** (a V8 profile of ours under the hook load, then one change at a time). Before it, of the ' +
        'server\'s CPU: measuring each entry (`JSON.stringify` + `Buffer.byteLength`) 14 %, Socket.IO\'s `JSON.parse` of the batches ' +
        '13 %, zod 11 % (its object parse copies every entry), the memory history\'s `put` 7.5 % (an `Object.assign` and a Map ' +
        're-insert per entry). The steps: (1) a batch of plain log entries (flat `kind: \'log\'` entries, what hooks send) passes one ' +
        'structural check that accepts only what the zod schema accepts unchanged (packages/protocol/fast-log-entry.ts, held to the ' +
        'schema by test/unit/fast-log-entry.test.ts); any other batch still goes through zod, which words the error: zod\'s 11 % ' +
        'became 1–2 %; the UTF-8 length is counted only when the JSON is longer than a third of the limit; (2) the history keeps a ' +
        'literal of the message\'s fields and moves a room in its Map once per run of a batch: `put`\'s 7.5 % became 2 %; (3) the ' +
        'handler builds the relay\'s items in the loop that measures them (no closures, one array fewer). Every check stays: schema, ' +
        'per-entry size, the hook\'s rooms and entry rate, rights, the socket guard\'s rates, the history write before the ack. Server ' +
        'CPU per acknowledged entry, alternating runs of the same load (3 s, 50 hooks, batches of 20, on the shared machine): ours ' +
        '8.3–10.6 µs before, 5.1–5.8 µs after; the bare relay 7.4–8.5 µs. What is left is mostly what both servers pay (Socket.IO\'s ' +
        'parse, the acks\' writes) and the per-entry `JSON.stringify` of the size check, which the bare relay pays as its packet ' +
        'encoding. The "Server CPU per entry" column counts all entries acknowledged in a run (warm-up included) against the ' +
        'server\'s CPU over it.',
      '**What stands in the way on Redis** (a V8 profile of one instance on Redis under the same wrk load): every push writes to Redis ' +
        'twice and waits for the first answer before it is accepted: the room history (one pipeline, the append script per room) and ' +
        'the streams adapter\'s `XADD` of the broadcast. The kernel\'s writes to Redis (`writeUtf8String`) are the largest item of the ' +
        'profile, ioredis\'s command handling next (about a tenth inclusive), the adapter\'s `XADD` and its polling a few per cent; ' +
        'and redis-server itself runs on the same two cores. A batch pays those per request, not per message, except the script per ' +
        'room and the `XADD` per message.',
    ],
  };
}
