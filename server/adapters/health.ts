import { EventEmitter } from 'node:events';

/** ok: everything this instance depends on answers; degraded: it serves its own clients only. */
export type HealthStatus = 'starting' | 'ok' | 'degraded' | 'draining';

export interface HealthReport {
  status: HealthStatus;
  /** Each dependency (Redis connections by role) and whether it is up right now. */
  checks: Record<string, { up: boolean; since: number; error?: string }>;
}

/**
 * Readiness of one instance: a set of named dependencies, each up or down. Emits `change`
 * with the new status whenever the overall status changes (tests and /readyz wait on it).
 */
export class Health extends EventEmitter<{ change: [HealthStatus] }> {
  private readonly checks = new Map<string, { up: boolean; since: number; error?: string; everUp: boolean }>();
  private draining = false;
  private last: HealthStatus;

  constructor(private readonly now: () => number = Date.now) {
    super();
    this.last = this.compute();
  }

  /** Registers a dependency (down until it reports up). */
  track(name: string): void {
    if (!this.checks.has(name)) this.checks.set(name, { up: false, since: this.now(), everUp: false });
    this.update();
  }

  set(name: string, up: boolean, error?: string): void {
    const prev = this.checks.get(name);
    if (prev && prev.up === up && (up || prev.error === error)) return;
    const since = prev && prev.up === up ? prev.since : this.now();
    this.checks.set(name, { up, since, error: up ? undefined : error, everUp: (prev?.everUp ?? false) || up });
    this.update();
  }

  forget(name: string): void {
    this.checks.delete(name);
    this.update();
  }

  setDraining(): void {
    this.draining = true;
    this.update();
  }

  get status(): HealthStatus {
    return this.last;
  }

  /** True while every dependency is up (a publish may go through the cluster). */
  get allUp(): boolean {
    for (const c of this.checks.values()) if (!c.up) return false;
    return true;
  }

  report(): HealthReport {
    const checks: HealthReport['checks'] = {};
    for (const [name, c] of this.checks) checks[name] = { up: c.up, since: c.since, ...(c.error ? { error: c.error } : {}) };
    return { status: this.last, checks };
  }

  /** Resolves once the status is `want`; rejects after `ms` (when given). */
  waitFor(want: HealthStatus, ms?: number): Promise<void> {
    if (this.last === want) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = ms === undefined ? undefined : setTimeout(() => {
        this.off('change', on);
        reject(new Error(`health did not become ${want} within ${ms} ms (now ${this.last})`));
      }, ms);
      const on = (s: HealthStatus) => {
        if (s !== want) return;
        if (timer) clearTimeout(timer);
        this.off('change', on);
        resolve();
      };
      this.on('change', on);
    });
  }

  private compute(): HealthStatus {
    if (this.draining) return 'draining';
    let starting = false;
    let down = false;
    for (const c of this.checks.values()) {
      if (c.up) continue;
      if (c.everUp) down = true;
      else starting = true;
    }
    if (down) return 'degraded';
    return starting ? 'starting' : 'ok';
  }

  private update(): void {
    const next = this.compute();
    if (next === this.last) return;
    this.last = next;
    this.emit('change', next);
  }
}
