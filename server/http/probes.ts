import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { Health } from '../adapters/health';

export interface ProbesOptions {
  health: Health;
  registry: Registry;
  instanceId: string;
  adapter: string;
  /** Engine.IO connections open on this instance (GET /healthz). */
  connections: () => number;
  /** Metrics text for the whole machine (`--workers`: all workers, summed by the primary). */
  metricsText?: () => Promise<string>;
}

/**
 * GET /healthz, GET /readyz and GET /metrics.
 *
 * /healthz answers 200 while the process serves HTTP at all (liveness), with the instance id,
 * uptime and open connections.
 *
 * /readyz answers 200 with `status: "ok"` or `"degraded"` (Redis away: this instance serves its
 * own clients only) and 503 while starting or shutting down. A degraded instance still
 * answers 200 on purpose: when Redis is down every instance is degraded, and a load balancer
 * that dropped them all would turn a partial outage into a total one. `?strict=1` answers 503
 * for degraded too, for balancers that should prefer instances that still reach Redis.
 */
export function probesRouter(opts: ProbesOptions): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', instance: opts.instanceId, uptime: process.uptime(), connections: opts.connections() });
  });
  router.get('/readyz', (req, res) => {
    const report = opts.health.report();
    const strict = req.query.strict !== undefined && req.query.strict !== '0';
    const ready = report.status === 'ok' || (report.status === 'degraded' && !strict);
    res.status(ready ? 200 : 503).json({ ...report, instance: opts.instanceId, adapter: opts.adapter });
  });
  router.get('/metrics', async (_req, res) => {
    const text = opts.metricsText ? await opts.metricsText() : await opts.registry.metrics();
    res.status(200).type(opts.registry.contentType).send(text);
  });
  return router;
}
