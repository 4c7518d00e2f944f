import { legacyConnectSign, legacyNotifySign } from '../../packages/signing';
import { DEMO_SOURCES } from '../../server/config';
import { CONNECTION_CAP_DEFAULTS } from '../../server/config/security';
import { connectLight, type LightClient } from '../lib/light-client';
import { startServer, type PartContext, type PartOutput, type ServerChild } from '../lib/part';
import type { Table, TargetCheck } from '../lib/report';
import { fmtBytes, fmtInt } from '../lib/stats';

/**
 * npm run bench -- abuse: the attacks of issue 13, each bounded in time, against one instance
 * with its default configuration (caps, budgets, bounds: nothing lifted), beside the same
 * traffic from well-behaved clients on a fresh instance. Reported: the server's peak heap and
 * RSS (sampled every 20 ms during the traffic), what the bounds counted, and whether the
 * server still answers afterwards.
 */

const MB = 1024 * 1024;
const TARGET_BYTES = 64 * MB;
const DEMO_KEY = DEMO_SOURCES.demo.signKey;

interface Peak {
  rss: number;
  heapUsed: number;
}

interface Plan {
  /** How long the traffic of one run lasts, in ms. */
  durationMs: number;
  /** Connections one address may open (the default per-address cap). */
  perIp: number;
  /** Unsigned hook connections one address may open (the default cap). */
  hookPerIp: number;
  /** Pushes of the many-rooms run and waves of the made-up users run: the same for attack and twin. */
  pushes: number;
  waves: number;
}

interface RunOutcome {
  peak: Peak;
  /** What the traffic did, for the table: e.g. "256 readers, 50 pushes of 32 KB". */
  traffic: string;
  /** Sums of im_bound_hits_total and im_slow_consumer_closes_total after the run. */
  bounds: string;
  alive: boolean;
  aliveDetail: string;
}

interface Scenario {
  name: string;
  attack: string;
  twin: string;
  /** Sends the traffic; `hostile` picks the attack's behaviour, else the well-behaved twin's. */
  run(server: ServerChild, hostile: boolean, plan: Plan): Promise<string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function wsUrl(server: ServerChild, query: Record<string, string>): string {
  return `ws://127.0.0.1:${server.info.port}/socket.io/?EIO=4&transport=websocket&${new URLSearchParams(query).toString()}`;
}

function readerQuery(room: string, userid: string): Record<string, string> {
  return { source: 'demo', room_ids: room, userid, username: userid, ext_info: '', sign: legacyConnectSign('demo', room, DEMO_KEY) };
}

/** Opens `count` light clients, `concurrency` at a time; a refused one is counted, not thrown. */
async function openMany(count: number, url: (i: number) => string, concurrency = 32): Promise<{ clients: LightClient[]; refused: number; firstError?: string }> {
  const clients: LightClient[] = [];
  let refused = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        clients.push(await connectLight({ url: url(i), onEvent: () => {}, timeoutMs: 15_000 }));
      } catch (err) {
        refused++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { clients, refused, firstError };
}

/** Stops reading a client's TCP connection: what the server sends it piles up on the server. */
function stall(client: LightClient): void {
  (client.socket as unknown as { _socket?: { pause(): void } })._socket?.pause();
}

function closeAll(clients: LightClient[]): void {
  for (const c of clients) {
    try {
      c.close();
    } catch {
      // already gone
    }
  }
}

/** Signed form notifies, `perSecond` paced, for `durationMs` (or `maxCount` of them); resolves with how many were accepted. */
async function pushFor(
  server: ServerChild,
  durationMs: number,
  perSecond: number,
  room: (i: number) => string,
  data: string,
  inFlight = 8,
  maxCount = Infinity,
): Promise<number> {
  const end = Date.now() + durationMs;
  const gap = 1000 / perSecond;
  let sent = 0;
  let ok = 0;
  const started = Date.now();
  const worker = async () => {
    while (Date.now() < end && sent < maxCount) {
      const i = sent++;
      const due = started + i * gap;
      if (due > Date.now()) await sleep(due - Date.now());
      if (Date.now() >= end) break;
      const r = room(i);
      const body = new URLSearchParams({ source: 'demo', room_id: r, data, sign: legacyNotifySign('demo', r, data, DEMO_KEY) });
      try {
        const res = await fetch(`${server.base}/api/notify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
        await res.arrayBuffer();
        if (res.ok) ok++;
      } catch {
        // counted by what was accepted
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return ok;
}

const payload = (bytes: number) => 'p'.repeat(bytes);

/** A difference with its sign: "+2.1 MiB", "-7.4 MiB". */
const signed = (n: number) => (n >= 0 ? `+${fmtBytes(n)}` : `-${fmtBytes(-n)}`);

const SCENARIOS: Scenario[] = [
  {
    name: 'Stalled readers of a busy room',
    attack: 'readers stop reading their TCP connection',
    twin: 'the same readers read',
    async run(server, hostile, plan) {
      const { clients, refused } = await openMany(plan.perIp, (i) => wsUrl(server, readerQuery('busy', `reader-${i}`)));
      if (hostile) clients.forEach(stall);
      const pushes = await pushFor(server, plan.durationMs, 20, () => 'busy', payload(32 * 1024));
      await sleep(500);
      closeAll(clients);
      return `${clients.length} readers${refused ? ` (${refused} refused)` : ''}, ${pushes} pushes of 32 KB`;
    },
  },
  {
    name: 'History answers not read',
    attack: 'each connection asks history 4 times and stops reading',
    twin: 'the same requests, answers read',
    async run(server, hostile, plan) {
      // A room with as much history as its byte bound keeps.
      await pushFor(server, 60_000, 1000, () => 'hist', payload(32 * 1024), 4, 130);
      const { clients, refused } = await openMany(plan.perIp, (i) => wsUrl(server, readerQuery('hist', `asker-${i}`)));
      if (hostile) clients.forEach(stall);
      const gap = plan.durationMs / 4;
      let asked = 0;
      for (let round = 0; round < 4; round++) {
        for (const c of clients) {
          if (c.socket.readyState !== c.socket.OPEN) continue;
          c.socket.send(`42${round + 1}["history",{"room_id":"hist"}]`);
          asked++;
        }
        await sleep(gap);
      }
      closeAll(clients);
      return `${clients.length} connections${refused ? ` (${refused} refused)` : ''}, ${fmtInt(asked)} history requests`;
    },
  },
  {
    name: 'Unsigned hook publishers flooding',
    attack: `as many unsigned hooks as one address may open, each at its own limit (200 entries/s of 30 KB)`,
    twin: 'one hook at the same rate (a busy page)',
    async run(server, hostile, plan) {
      const wanted = hostile ? plan.hookPerIp + 4 : 1;
      const query = { source: 'remote_debug', room_ids: 'console-log', role: 'publisher' };
      const { clients, refused } = await openMany(wanted, () => wsUrl(server, query));
      const entry = (seq: number) => ({ kind: 'log', v: 1, level: 'log', method: 'log', args: [payload(30 * 1024)], ts: Date.now(), seq, session: 'flood', origin: 'browser' });
      // Two entries per event at 100 events/s: the per-connection event rate and the hook's entry rate.
      const frame = `42${JSON.stringify(['postLogs', [entry(1), entry(2)], 'console-log'])}`;
      const end = Date.now() + plan.durationMs;
      let events = 0;
      while (Date.now() < end) {
        const tick = Date.now();
        for (const c of clients) {
          // Never more than the socket can take: a flooding client that buffers locally measures itself.
          if (c.socket.readyState === c.socket.OPEN && c.socket.bufferedAmount < 4 * MB) {
            c.socket.send(frame);
            events++;
          }
        }
        await sleep(Math.max(0, 10 - (Date.now() - tick)));
      }
      await sleep(500);
      closeAll(clients);
      return `${clients.length} hooks${refused ? ` (${refused} refused: TOO_MANY_CONNECTIONS)` : ''}, ${fmtInt(events * 2)} entries (${fmtBytes(events * 2 * 30 * 1024)})`;
    },
  },
  {
    name: 'Made-up users and page views',
    attack: 'every wave new userids (the legacy sign does not cover them), 30 page views each',
    twin: 'the same waves, the same users each time',
    async run(server, hostile, plan) {
      // Counted waves, bounded in time too (half again the others' time, so a slow run still ends).
      const end = Date.now() + plan.durationMs * 1.5;
      let wave = 0;
      let views = 0;
      let users = 0;
      while (Date.now() < end && wave < plan.waves) {
        const { clients } = await openMany(plan.perIp, (i) => wsUrl(server, readerQuery('lobby', hostile ? `fake-${wave}-${i}` : `user-${i}`)));
        users += clients.length;
        for (let v = 0; v < 30; v++) {
          for (const c of clients) c.socket.send(`42["pageView",{"url":"https://shop.test/${wave}/${v}/${'q'.repeat(1500)}","title":"${'t'.repeat(500)}"}]`);
          views += clients.length;
          await sleep(12);
        }
        await sleep(200);
        closeAll(clients);
        wave++;
      }
      return `${wave} waves, ${fmtInt(users)} connections (${hostile ? fmtInt(users) : fmtInt(plan.perIp)} userids), ${fmtInt(views)} page views`;
    },
  },
  {
    name: "Many rooms' history",
    attack: 'pushes of 32 KB, each to a new room',
    twin: 'the same pushes to one room',
    async run(server, hostile, plan) {
      // The same count for both (bounded in time too): a run that happened to push more would look dearer.
      const pushes = await pushFor(server, plan.durationMs * 1.5, 2000, (i) => (hostile ? `room-${i}` : 'one-room'), payload(32 * 1024), 8, plan.pushes);
      return `${fmtInt(pushes)} pushes of 32 KB to ${hostile ? `${fmtInt(pushes)} rooms` : 'one room'}`;
    },
  },
];

/** Sums of the bound and budget counters, from the server's /metrics text. */
function boundsOf(metrics: string): string {
  const sums = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    const m = /^(im_bound_hits_total|im_slow_consumer_closes_total)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const label = /(?:bound|budget)="([^"]*)"/.exec(m[2]!)?.[1] ?? m[1]!;
    const key = m[1] === 'im_slow_consumer_closes_total' ? `slow consumer (${label})` : label;
    sums.set(key, (sums.get(key) ?? 0) + Number(m[3]));
  }
  const parts = [...sums].filter(([, n]) => n > 0).map(([k, n]) => `${k} ${fmtInt(n)}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** After the traffic: the process answers, /readyz says ready and a new client connects. */
async function aliveCheck(server: ServerChild): Promise<{ alive: boolean; detail: string }> {
  try {
    await server.call('stats', undefined, 10_000);
    const ready = await fetch(`${server.base}/readyz`, { signal: AbortSignal.timeout(10_000) });
    await ready.arrayBuffer();
    const c = await connectLight({ url: wsUrl(server, readerQuery('after', 'after-check')), onEvent: () => {}, timeoutMs: 10_000 });
    c.close();
    return { alive: ready.ok, detail: ready.ok ? 'yes' : `readyz ${ready.status}` };
  } catch (err) {
    return { alive: false, detail: `no: ${(err as Error).message.split('\n')[0]}` };
  }
}

async function runOnce(scenario: Scenario, hostile: boolean, plan: Plan): Promise<RunOutcome> {
  // The default caps, budgets and bounds: nothing lifted (BENCH_DEFAULT_CAPS=1).
  const server = await startServer('ours', { env: { BENCH_DEFAULT_CAPS: '1' } });
  try {
    await server.call('peakStart');
    let traffic: string;
    try {
      traffic = await scenario.run(server, hostile, plan);
    } catch (err) {
      traffic = `traffic failed: ${(err as Error).message.split('\n')[0]}`;
    }
    // Whatever is still queued drains or is let go within a second.
    await sleep(1000);
    let peak: Peak;
    try {
      // A server still working through its backlog answers late: that is not a death.
      peak = await server.call<Peak>('peakStop', undefined, 60_000);
    } catch (err) {
      return { peak: { rss: NaN, heapUsed: NaN }, traffic, bounds: '-', alive: false, aliveDetail: `no: ${(err as Error).message.split('\n')[0]}` };
    }
    const bounds = boundsOf(await server.call<string>('metrics', undefined, 10_000).catch(() => ''));
    const { alive, detail } = await aliveCheck(server);
    return { peak, traffic, bounds, alive, aliveDetail: detail };
  } finally {
    await server.stop();
  }
}

export async function abusePart(ctx: PartContext): Promise<PartOutput> {
  const plan: Plan = {
    durationMs: ctx.quick ? 3000 : 10_000,
    perIp: CONNECTION_CAP_DEFAULTS.perIp,
    hookPerIp: CONNECTION_CAP_DEFAULTS.hookPerIp,
    pushes: ctx.quick ? 400 : 1200,
    waves: ctx.quick ? 1 : 3,
  };
  const rows: string[][] = [];
  const targets: TargetCheck[] = [];
  // BENCH_ABUSE=<words>: only the scenarios whose name holds one of them (for trying one out).
  const only = process.env.BENCH_ABUSE?.toLowerCase().split(',').filter(Boolean);
  for (const scenario of SCENARIOS.filter((s) => !only || only.some((w) => s.name.toLowerCase().includes(w)))) {
    const twin = await runOnce(scenario, false, plan);
    ctx.log(`${scenario.name}, well-behaved: heap ${fmtBytes(twin.peak.heapUsed)}, RSS ${fmtBytes(twin.peak.rss)} (${twin.traffic})`);
    const attack = await runOnce(scenario, true, plan);
    ctx.log(`${scenario.name}, attack: heap ${fmtBytes(attack.peak.heapUsed)}, RSS ${fmtBytes(attack.peak.rss)} (${attack.traffic}); ${attack.bounds}`);
    const dHeap = attack.peak.heapUsed - twin.peak.heapUsed;
    const dRss = attack.peak.rss - twin.peak.rss;
    rows.push([
      scenario.name,
      `${scenario.attack}: ${attack.traffic}`,
      `${scenario.twin}: ${twin.traffic}`,
      fmtBytes(twin.peak.heapUsed),
      fmtBytes(attack.peak.heapUsed),
      signed(dHeap),
      fmtBytes(twin.peak.rss),
      fmtBytes(attack.peak.rss),
      signed(dRss),
      attack.bounds,
      attack.aliveDetail,
    ]);
    const measurable = Number.isFinite(dHeap) && Number.isFinite(dRss);
    targets.push({
      target: `${scenario.name}: cost over the well-behaved twin, server alive after`,
      goal: `≤ ${fmtBytes(TARGET_BYTES)} heap and RSS, alive`,
      measured: measurable ? `heap ${signed(dHeap)}, RSS ${signed(dRss)}, alive: ${attack.aliveDetail}` : `not measured: ${attack.aliveDetail}`,
      met: measurable ? dHeap <= TARGET_BYTES && dRss <= TARGET_BYTES && attack.alive : false,
    });
  }
  const table: Table = {
    header: ['Attack', 'Attack traffic', 'Well-behaved twin', 'Heap (twin)', 'Heap (attack)', 'Δ heap', 'RSS (twin)', 'RSS (attack)', 'Δ RSS', 'Bounds hit (attack)', 'Alive after'],
    rows,
  };
  return {
    title: '7. Hostile clients: memory under attack',
    tables: [table],
    targets,
    notes: [
      `Each attack of issue 13 for ${plan.durationMs / 1000} s against a fresh instance in its default configuration (memory ` +
        `adapter; per-address cap ${plan.perIp} connections, unsigned hooks ${plan.hookPerIp} per address; output budgets, ` +
        'history, presence and monitor bounds at their defaults), every client from 127.0.0.1 and as many connections as those ' +
        'caps allow; then its well-behaved twin, the same traffic from clients that read what they are sent, on another fresh ' +
        'instance. Heap and RSS are the peaks of `process.memoryUsage()` sampled every 20 ms from the first connection to one ' +
        'second after the traffic; Δ is attack minus twin. "Bounds hit" sums `im_bound_hits_total` by bound and ' +
        '`im_slow_consumer_closes_total` by budget. "Alive after": the process answers, `/readyz` is ready and a new client ' +
        'connects.',
      'A stalled reader\'s bytes sit first in the kernel\'s socket buffers (on loopback several MB per connection, outside ' +
        'the process\'s RSS) and only then in the server\'s own queue, which the output budgets bound; so a short attack may ' +
        'cost the server process nothing and cut no connection. ' +
        'Pushes are signed `POST /api/notify` (HTTP is not a socket connection, so not under the connection caps). The hook ' +
        'flood asks for more hooks than the cap allows, to show the refusals; its twin is one hook at the same per-connection ' +
        'rate. History: the room is first filled to its byte bound (`history.maxRoomBytes`), each answer is at most ' +
        '`limits.maxHistoryAnswerBytes`.',
    ],
  };
}
