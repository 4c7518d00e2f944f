import { ImError } from '../../packages/protocol';

export interface ConnectionLimitsOptions {
  maxPerIp: number;
  maxPerUser: number;
}

/**
 * Open socket connections per client IP and per user (source + userid), on this instance.
 * `check` runs in the handshake (the refusal reaches the client as connect_error); `track` runs
 * on `connection` and returns the release for `disconnect`.
 */
export interface ConnectionLimits {
  check(ip: string, user: string | undefined): void;
  track(ip: string, user: string | undefined): { over: ImError | undefined; release: () => void };
  readonly open: { ips: number; users: number };
}

function tooMany(what: string, max: number): ImError {
  return new ImError('RATE_LIMITED', `too many open connections ${what} (at most ${max}); close one and retry`);
}

export function createConnectionLimits(opts: ConnectionLimitsOptions): ConnectionLimits {
  const perIp = new Map<string, number>();
  const perUser = new Map<string, number>();
  const dec = (map: Map<string, number>, key: string) => {
    const n = (map.get(key) ?? 1) - 1;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  };
  const over = (ip: string, user: string | undefined, margin: number): ImError | undefined => {
    if (opts.maxPerIp > 0 && (perIp.get(ip) ?? 0) + margin > opts.maxPerIp) return tooMany('from this IP address', opts.maxPerIp);
    if (user !== undefined && opts.maxPerUser > 0 && (perUser.get(user) ?? 0) + margin > opts.maxPerUser) {
      return tooMany('for this user', opts.maxPerUser);
    }
    return undefined;
  };
  return {
    check(ip, user) {
      const err = over(ip, user, 1);
      if (err) throw err;
    },
    track(ip, user) {
      perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
      if (user !== undefined) perUser.set(user, (perUser.get(user) ?? 0) + 1);
      let released = false;
      return {
        // Two handshakes may pass `check` at once; the later one learns it here.
        over: over(ip, user, 0),
        release() {
          if (released) return;
          released = true;
          dec(perIp, ip);
          if (user !== undefined) dec(perUser, user);
        },
      };
    },
    get open() {
      return { ips: perIp.size, users: perUser.size };
    },
  };
}
