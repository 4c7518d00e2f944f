/** A token bucket: `rate` tokens per second, at most `burst` saved up. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `n` tokens if there are enough; false (and nothing taken) otherwise. */
  take(n = 1): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/**
 * One token bucket per socket, made on its first `take` (idle sockets hold none) and gone with the
 * socket. `limitsOf` gives that socket's rate and burst. Returns `take(socket, n)`: true when the
 * socket had `n` tokens (taken), false (nothing taken) otherwise.
 */
export function perSocketBuckets<S extends object>(
  limitsOf: (socket: S) => { rate: number; burst: number },
  now: () => number,
): (socket: S, n?: number) => boolean {
  const buckets = new WeakMap<S, TokenBucket>();
  return (socket, n = 1) => {
    let bucket = buckets.get(socket);
    if (!bucket) {
      const { rate, burst } = limitsOf(socket);
      bucket = new TokenBucket(rate, burst, now);
      buckets.set(socket, bucket);
    }
    return bucket.take(n);
  };
}
