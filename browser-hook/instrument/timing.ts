import type { NetCapture } from './types';

/**
 * Resource Timing and Navigation Timing: what the page loaded before the hook did, and the
 * sizes and phases of a captured request that its headers did not tell (read when the entry
 * is sent, by then the browser has usually filed the request's timing).
 */

type Timed = PerformanceResourceTiming & { responseStatus?: number };

const round = (n: number) => Math.round(n * 10) / 10;

/** Phases a reader can act on; zero phases (cross-origin without Timing-Allow-Origin, reused connections) are left out. */
export function phases(t: PerformanceResourceTiming): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  const put = (name: string, from: number, to: number) => {
    if (from > 0 && to > from) out[name] = round(to - from);
  };
  put('dns', t.domainLookupStart, t.domainLookupEnd);
  put('connect', t.connectStart, t.connectEnd);
  put('tls', t.secureConnectionStart, t.connectEnd);
  put('ttfb', t.requestStart || t.startTime, t.responseStart);
  put('download', t.responseStart, t.responseEnd);
  return Object.keys(out).length ? out : undefined;
}

/** Fills what the headers did not say from the request's Resource Timing entry, when the browser has one. */
export function completeFromTiming(win: Window, c: NetCapture): void {
  const perf = win.performance;
  if (c.t0 === undefined || !perf?.getEntriesByName || c.type === 'websocket' || c.type === 'eventsource') return;
  let best: Timed | undefined;
  for (const e of perf.getEntriesByName(c.url, 'resource') as Timed[]) {
    if (Math.abs(e.startTime - c.t0) < 50 && (!best || Math.abs(e.startTime - c.t0) < Math.abs(best.startTime - c.t0))) best = e;
  }
  if (!best) return;
  const sameOrigin = c.url.startsWith(`${win.location.origin}/`);
  if (c.responseSize === 'unknown' || c.responseSize === undefined) {
    // Cross-origin sizes are 0 unless the server sends Timing-Allow-Origin: 0 means "not told".
    if (best.encodedBodySize > 0 || (sameOrigin && best.responseEnd > 0 && !c.failure)) c.responseSize = best.encodedBodySize;
  }
  if (best.responseEnd > best.startTime) c.duration = round(best.responseEnd - best.startTime);
  if (!c.status && best.responseStatus) c.status = best.responseStatus;
  const t = phases(best);
  if (t) c.timing = t;
}

function fromResource(e: Timed, origin: number): NetCapture {
  const api = e.initiatorType === 'fetch' || e.initiatorType === 'xmlhttprequest' || e.initiatorType === 'beacon';
  return {
    type: 'resource',
    // Resource Timing does not tell the method; only fetch, XHR and beacons may be anything but GET.
    method: api ? '' : 'GET',
    url: e.name,
    status: e.responseStatus || undefined,
    start: Math.round(origin + e.startTime),
    duration: round(e.duration),
    responseSize: e.encodedBodySize > 0 ? e.encodedBodySize : 'unknown',
    timing: phases(e),
    beforeHook: true,
    initiator: e.initiatorType,
  };
}

/**
 * Requests the page made before the hook loaded (bounded), and the document's own navigation:
 * those already done now, and (through an observer) those still in flight, when they end.
 * Returns the undo.
 */
export function earlierRequests(win: Window, emit: (c: NetCapture) => void, ignore: (url: string) => boolean, max = 150): () => void {
  const perf = win.performance;
  if (!perf?.getEntriesByType) return () => undefined;
  const origin = perf.timeOrigin || Date.now() - perf.now();
  const installedAt = perf.now();
  const out: NetCapture[] = [];
  const nav = perf.getEntriesByType('navigation')[0] as (PerformanceNavigationTiming & { responseStatus?: number }) | undefined;
  if (nav) {
    out.push({
      type: 'navigation',
      method: 'GET',
      url: nav.name || win.location.href,
      status: nav.responseStatus || undefined,
      start: Math.round(origin + nav.startTime),
      duration: round((nav.responseEnd || nav.duration) - nav.startTime),
      responseSize: nav.encodedBodySize > 0 ? nav.encodedBodySize : 'unknown',
      timing: phases(nav),
      beforeHook: true,
      initiator: 'navigation',
    });
  }
  const seen = new Set<PerformanceEntry>();
  for (const e of perf.getEntriesByType('resource') as Timed[]) {
    seen.add(e);
    if (out.length > max) break;
    if (!ignore(e.name)) out.push(fromResource(e, origin));
  }
  for (const c of out) emit(c);
  let observer: PerformanceObserver | undefined;
  let more = max - out.length;
  try {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries() as Timed[]) {
        // Started before the hook (so no wrapper saw it), ended since.
        if (e.startTime < installedAt && !seen.has(e) && !ignore(e.name) && more-- > 0) emit(fromResource(e, origin));
      }
      if (more <= 0) observer?.disconnect();
    });
    observer.observe({ type: 'resource' });
  } catch {
    /* no observer: what was done at install is all */
  }
  return () => observer?.disconnect();
}
