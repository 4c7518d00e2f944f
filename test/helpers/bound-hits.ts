import type { TestServer } from './start-server';

/** How often `bound` was reached (im_bound_hits_total: items dropped, or connections, streams and answers refused); of `source` only, if given. */
export async function boundHits(server: TestServer, bound: string, source?: string): Promise<number> {
  const { values } = await server.metrics.boundHits.get();
  return values.filter((v) => v.labels.bound === bound && (source === undefined || v.labels.source === source)).reduce((a, v) => a + v.value, 0);
}
