import { ImError } from '../../packages/protocol';

export interface ConnectionLimitsOptions {
  /** Every socket connection from one address (0 = no cap). */
  maxPerIp: number;
  /** Signed connections of one user, source + userid (0 = no cap). */
  maxPerUser: number;
  /** Unsigned publish-only hook connections from one address (0 = no cap). */
  maxHookPerIp: number;
  /** Unsigned publish-only hook connections of one source, from anywhere (0 = no cap). */
  maxHookPerSource: number;
  /** Told which cap refused a handshake (a metric label) and for which source. */
  onRefuse?: (bound: ConnectionBound, source: string) => void;
}

/** Which cap refused a connection: the label of im_bound_hits_total. */
export type ConnectionBound = 'connections_per_ip' | 'connections_per_user' | 'hook_connections_per_ip' | 'hook_connections_per_source';

/** Who a connection is, for the caps: its address, and either its user key or (unsigned hooks) its source. */
export interface ConnectionKey {
  ip: string;
  /** `source:userid` of a signed connection. */
  user?: string;
  /** The source of an unsigned hook connection (its userid proves nothing). */
  hookSource?: string;
  /** The source, for the metric. */
  source: string;
}

/**
 * Open socket connections per client IP, per user (source + userid), and for unsigned hooks per
 * IP and per source, on this instance. `check` runs in the handshake (the refusal reaches the
 * client as connect_error, code TOO_MANY_CONNECTIONS); `track` runs on `connection`; `release`
 * on `disconnect`, with the same key.
 */
export interface ConnectionLimits {
  readonly enabled: boolean;
  check(key: ConnectionKey): void;
  /** Counts the connection; returns the refusal when a racing handshake took the last place. */
  track(key: ConnectionKey): ImError | undefined;
  release(key: ConnectionKey): void;
  readonly open: { ips: number; users: number; hookIps: number; hookSources: number };
}

function tooMany(what: string, max: number): ImError {
  return new ImError('TOO_MANY_CONNECTIONS', `too many open connections ${what} (at most ${max}); close one and retry`);
}

export function createConnectionLimits(opts: ConnectionLimitsOptions): ConnectionLimits {
  const perIp = new Map<string, number>();
  const perUser = new Map<string, number>();
  const hookPerIp = new Map<string, number>();
  const hookPerSource = new Map<string, number>();
  const inc = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const dec = (map: Map<string, number>, key: string) => {
    const n = (map.get(key) ?? 1) - 1;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  };
  /** The counts one connection takes a place in: its IP, its user, and for an unsigned hook its IP and source among hooks. */
  const countsOf = (k: ConnectionKey): Array<[Map<string, number>, string]> => {
    const out: Array<[Map<string, number>, string]> = [[perIp, k.ip]];
    if (k.user !== undefined) out.push([perUser, k.user]);
    if (k.hookSource !== undefined) out.push([hookPerIp, k.ip], [hookPerSource, k.hookSource]);
    return out;
  };
  const full = (map: Map<string, number>, key: string, max: number, margin: number) => max > 0 && (map.get(key) ?? 0) + margin > max;
  const over = (k: ConnectionKey, margin: number): ImError | undefined => {
    const refuse = (bound: ConnectionBound, what: string, max: number) => {
      opts.onRefuse?.(bound, k.source);
      return tooMany(what, max);
    };
    if (full(perIp, k.ip, opts.maxPerIp, margin)) return refuse('connections_per_ip', 'from this IP address', opts.maxPerIp);
    if (k.user !== undefined && full(perUser, k.user, opts.maxPerUser, margin)) {
      return refuse('connections_per_user', 'for this user', opts.maxPerUser);
    }
    if (k.hookSource !== undefined) {
      if (full(hookPerIp, k.ip, opts.maxHookPerIp, margin)) {
        return refuse('hook_connections_per_ip', 'of unsigned hooks from this IP address', opts.maxHookPerIp);
      }
      if (full(hookPerSource, k.hookSource, opts.maxHookPerSource, margin)) {
        return refuse('hook_connections_per_source', `of unsigned hooks for source ${k.hookSource}`, opts.maxHookPerSource);
      }
    }
    return undefined;
  };
  return {
    enabled: opts.maxPerIp > 0 || opts.maxPerUser > 0 || opts.maxHookPerIp > 0 || opts.maxHookPerSource > 0,
    check(k) {
      const err = over(k, 1);
      if (err) throw err;
    },
    track(k) {
      for (const [map, key] of countsOf(k)) inc(map, key);
      // Two handshakes may pass `check` at once; the later one learns it here.
      return over(k, 0);
    },
    release(k) {
      for (const [map, key] of countsOf(k)) dec(map, key);
    },
    get open() {
      return { ips: perIp.size, users: perUser.size, hookIps: hookPerIp.size, hookSources: hookPerSource.size };
    },
  };
}
