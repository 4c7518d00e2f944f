import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ImError } from '../../packages/protocol';
import type { ServerContext } from '../context';
import { publishAccepted } from '../http/notify-accept';
import { checkLegacyMessage, type LegacyChannelMessage, type LegacyDropReason } from './legacy-message';

/** The original's pub/sub channel: back ends PUBLISHed `{source, room_id, data, sign, filename}` to it. */
export const LEGACY_CHANNEL = 'xin_common_chat';

/**
 * How long one instance's claim on a message lasts. Every instance receives each PUBLISH; the
 * first to SET NX the message's hash delivers it. The window must outlast the spread between
 * instances handling the same PUBLISH (milliseconds, more under a GC pause or overload); its
 * cost: a back end that PUBLISHes byte-identical text twice within it is delivered once.
 */
export const CLAIM_WINDOW_MS = 10_000;

export interface LegacyChannelOptions {
  ctx: ServerContext;
  registry: Registry;
  /** The Redis command connection (Backends.redis): claims, the lease, and the subscriber's duplicate. */
  redis?: Redis;
}

export interface LegacyChannel {
  /** Resolves once the channel is subscribed (tests; the server does not wait for it). */
  subscribed(): Promise<void>;
  /** Handles one raw message as if it came from the channel; resolves with its outcome. */
  handle(raw: string): Promise<'delivered' | 'duplicate' | LegacyDropReason>;
  close(): Promise<void>;
}

/** Channel messages one instance holds while earlier ones are being published. */
const MAX_QUEUED = 10_000;
/** The leader's lease, renewed every RENEW_MS; a leader that stops renewing is replaced after LEASE_MS. */
const LEASE_MS = 5000;
const RENEW_MS = 1000;
/**
 * How long the other instances wait before claiming a message themselves: long enough for a
 * live leader to have claimed it, well inside CLAIM_WINDOW_MS so its claim is still there.
 */
export const FALLBACK_MS = 2000;
const LEASE_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
`;
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Warnings per minute about refused messages; the rest go to debug (a flood must not flood the log). */
const WARNINGS_PER_MINUTE = 20;

/**
 * Opt-in (`legacyRedisChannel`): takes what back ends PUBLISH to `xin_common_chat`.
 *
 * Every instance subscribes and checks each message; one instance, the one whose
 * `SET <prefix>:legacy-chat:claim:<sha256 of the raw text> NX PX 10000` succeeds, hands it to
 * the relay, which writes room history once and broadcasts through the adapter to the
 * clients of every instance, and writes its `filename` log once. One instance holds a lease
 * (`<prefix>:legacy-chat:leader`) and claims at once, in channel order; the others claim
 * only after FALLBACK_MS, so while the leader lives it delivers everything, in order, and
 * when it dies the message still goes out once (order is then not promised until a new
 * leader holds the lease). (Delivering on every
 * instance to its own clients, as the original did, would hand out copies without a history
 * position, and the SDK, filling the gap it then sees, would show them twice.)
 */
export function startLegacyChannel({ ctx, registry, redis }: LegacyChannelOptions): LegacyChannel | undefined {
  if (!ctx.config.legacyRedisChannel) return undefined;
  const { config, logger } = ctx;
  if (config.adapter.type !== 'redis' || !redis) {
    throw new ImError('INTERNAL', 'legacyRedisChannel needs the Redis adapter');
  }
  const command: Redis = redis;
  const claimPrefix = `${config.adapter.prefix}:legacy-chat:claim:`;
  const registers = [registry];
  const outcomes = new Counter({
    name: 'im_legacy_channel_messages_total',
    help: `Messages read from the Redis channel ${LEGACY_CHANNEL}, by outcome (delivered, duplicate, or why one was dropped)`,
    labelNames: ['outcome'],
    registers,
  });
  const up = new Gauge({ name: 'im_legacy_channel_subscribed', help: `1 while subscribed to ${LEGACY_CHANNEL}`, registers, aggregator: 'min' });
  up.set(0);

  // A subscribed connection can send nothing else: its own, queueing while Redis is away
  // (ioredis subscribes again after each reconnect).
  const subscriber = command.duplicate({
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: true,
    maxRetriesPerRequest: null,
    commandTimeout: undefined,
  });
  let closed = false;
  let warned = 0;
  let warnWindow = 0;
  const pending = new Set<Promise<unknown>>();
  let onSubscribed: (() => void) | undefined;
  const subscribedOnce = new Promise<void>((resolve) => (onSubscribed = resolve));

  subscriber.on('error', (err: Error) => logger.debug({ err: err.message, channel: LEGACY_CHANNEL }, 'legacy channel: Redis connection error'));
  subscriber.on('close', () => up.set(0));
  subscriber.subscribe(LEGACY_CHANNEL).then(
    () => {
      up.set(1);
      logger.info({ channel: LEGACY_CHANNEL, claimWindowMs: CLAIM_WINDOW_MS }, `taking messages published to the Redis channel ${LEGACY_CHANNEL}`);
      onSubscribed?.();
    },
    (err: Error) => {
      if (!closed) logger.error({ err: err.message, channel: LEGACY_CHANNEL }, 'legacy channel: subscribe failed');
    },
  );
  subscriber.on('subscribe', () => up.set(1));

  function refused(reason: LegacyDropReason, detail: string, source?: string): LegacyDropReason {
    outcomes.inc({ outcome: reason });
    const now = ctx.now();
    if (now - warnWindow > 60_000) {
      warnWindow = now;
      warned = 0;
    }
    // Messages of an original server running beside this one are expected: not worth a warning.
    const expected = reason === 'sys-info' || reason === 'from-sys';
    const level = !expected && warned++ < WARNINGS_PER_MINUTE ? 'warn' : 'debug';
    logger[level]({ channel: LEGACY_CHANNEL, reason, source, detail }, `legacy channel: message dropped (${reason})`);
    return reason;
  }

  /** Claims a checked message and, when this instance won, publishes it. */
  async function claimAndPublish(raw: string, message: LegacyChannelMessage, late: boolean): Promise<'delivered' | 'duplicate' | LegacyDropReason> {
    const { source } = message;
    let claimed: boolean;
    try {
      const hash = createHash('sha256').update(raw).digest('hex');
      claimed = (await command.set(claimPrefix + hash, ctx.instanceId, 'PX', CLAIM_WINDOW_MS, 'NX')) === 'OK';
    } catch (err) {
      return refused('claim-failed', `Redis did not answer the claim: ${(err as Error).message}`, source);
    }
    if (!claimed) {
      outcomes.inc({ outcome: 'duplicate' });
      return 'duplicate';
    }
    if (late) logger.warn({ channel: LEGACY_CHANNEL, source }, 'legacy channel: took over a message no leader claimed (leader gone?)');
    try {
      // The same way out as POST /api/notify: rate, history + broadcast, log line.
      await publishAccepted(ctx, message);
    } catch (err) {
      const rateLimited = err instanceof ImError && err.code === 'RATE_LIMITED';
      return refused(rateLimited ? 'rate-limited' : 'publish-failed', (err as Error).message, source);
    }
    outcomes.inc({ outcome: 'delivered' });
    return 'delivered';
  }

  // The leader claims at once and publishes one message at a time, in channel order, so a
  // back end's sequence keeps its order. The others wait FALLBACK_MS and then claim too: if
  // the leader is alive its claim is there (a duplicate, dropped); if it is gone, the message
  // still goes out once. Both are bounded: past MAX_QUEUED messages are dropped and counted.
  let chain: Promise<unknown> = Promise.resolve();
  let queued = 0;
  const fallbacks = new Set<NodeJS.Timeout>();

  function track<T>(p: Promise<T>): Promise<T> {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => {});
    return p;
  }

  async function handle(raw: string): Promise<'delivered' | 'duplicate' | LegacyDropReason> {
    const checked = checkLegacyMessage(ctx, raw);
    if (!checked.ok) return refused(checked.reason, checked.detail, checked.source);
    if (queued >= MAX_QUEUED) return refused('overloaded', `more than ${MAX_QUEUED} channel messages waiting on this instance`, checked.message.source);
    queued++;
    const done = () => queued--;
    if (leader) {
      const p = chain.then(() => claimAndPublish(raw, checked.message, false));
      chain = p.catch(() => {});
      return track(p.finally(done));
    }
    return track(
      new Promise<'delivered' | 'duplicate' | LegacyDropReason>((resolve, reject) => {
        const timer = setTimeout(() => {
          fallbacks.delete(timer);
          if (closed) return resolve('duplicate');
          claimAndPublish(raw, checked.message, true).then(resolve, reject);
        }, FALLBACK_MS);
        fallbacks.add(timer);
      }).finally(done),
    );
  }

  subscriber.on('message', (channel: string, raw: string) => {
    if (channel !== LEGACY_CHANNEL || closed) return;
    handle(raw).catch((err: unknown) => logger.error({ err, channel }, 'legacy channel: message handling failed'));
  });

  // The lease: taken when free, renewed while held, given up on close.
  let leader = false;
  const leaseKey = `${config.adapter.prefix}:legacy-chat:leader`;
  async function renewLease(): Promise<void> {
    try {
      const res = await command.eval(LEASE_SCRIPT, 1, leaseKey, ctx.instanceId, LEASE_MS);
      const now = res === 1;
      if (now !== leader) logger.info({ channel: LEGACY_CHANNEL, leader: now }, now ? 'legacy channel: this instance now leads (claims first, in order)' : 'legacy channel: no longer the leader');
      leader = now && !closed;
    } catch {
      // Redis away: claims fail too; the next tick tries again.
      leader = false;
    }
    leaderGauge.set(leader ? 1 : 0);
  }
  const leaderGauge = new Gauge({ name: 'im_legacy_channel_leader', help: `1 while this instance leads the ${LEGACY_CHANNEL} claims`, registers, aggregator: 'sum' });
  leaderGauge.set(0);
  void renewLease();
  const leaseTimer = setInterval(() => void renewLease(), RENEW_MS);
  leaseTimer.unref();

  return {
    subscribed: () => subscribedOnce,
    handle,
    async close() {
      closed = true;
      up.set(0);
      clearInterval(leaseTimer);
      subscriber.disconnect();
      for (const t of fallbacks) clearTimeout(t);
      fallbacks.clear();
      await Promise.allSettled([...pending]);
      // Hand the lead over at once rather than after LEASE_MS.
      if (leader) await command.eval(RELEASE_SCRIPT, 1, leaseKey, ctx.instanceId).catch(() => {});
      leader = false;
    },
  };
}
