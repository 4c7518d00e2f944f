import { nodeSummary } from '../../packages/log-core';
import type { PerfCapture } from './types';

/**
 * Performance entries: Core Web Vitals (LCP, CLS, INP), long tasks and the navigation timing,
 * each as an entry of its own. The vitals follow web-vitals' definitions (LCP: the last
 * candidate before the first input; CLS: the largest session window of unexpected shifts,
 * windows ending after a 1 s gap or at 5 s; INP: the worst interaction, or the 98th percentile
 * past 50 interactions) with three small observers: the `web-vitals` package itself is 2.4 KB
 * gzipped, which the hook's 26 KB budget does not have room for beside network capture. Its
 * finer points (back/forward cache restores, prerendering) are not repeated here.
 * A vital is reported when it changes, at most once a second per metric.
 */

type Metric = 'LCP' | 'CLS' | 'INP';
/** web.dev thresholds: good up to the first, poor past the second. */
const THRESHOLDS: Record<Metric, [number, number]> = { LCP: [2500, 4000], CLS: [0.1, 0.25], INP: [200, 500] };

function rate(metric: Metric, value: number): 'good' | 'needs-improvement' | 'poor' {
  const [good, poor] = THRESHOLDS[metric];
  return value <= good ? 'good' : value <= poor ? 'needs-improvement' : 'poor';
}

function observe(type: string, fn: (entries: PerformanceEntry[]) => void, extra: Record<string, unknown> = {}): PerformanceObserver | undefined {
  try {
    const o = new PerformanceObserver((list) => fn(list.getEntries()));
    o.observe({ type, buffered: true, ...extra } as PerformanceObserverInit);
    return o;
  } catch {
    return undefined; // not supported by this browser
  }
}

export function instrumentPerformance(win: Window, emit: (c: PerfCapture) => void): () => void {
  let active = true;
  const timers: Array<ReturnType<typeof setTimeout>> = [];
  const latest = new Map<Metric, { value: number; detail?: Record<string, string | number> }>();
  const sent = new Map<Metric, number>();
  const waiting = new Set<Metric>();
  const observers: Array<PerformanceObserver | undefined> = [];

  const report = (metric: Metric, value: number, detail?: Record<string, string | number>) => {
    if (!active) return;
    latest.set(metric, { value, detail });
    if (waiting.has(metric)) return;
    waiting.add(metric);
    timers.push(
      setTimeout(() => {
        waiting.delete(metric);
        const m = latest.get(metric);
        if (!active || !m || sent.get(metric) === m.value) return;
        sent.set(metric, m.value);
        const rating = rate(metric, m.value);
        emit({ metric, value: m.value, rating, level: rating === 'poor' ? 'warn' : 'info', detail: m.detail });
      }, 1000),
    );
  };

  // LCP: candidates until the user first interacts.
  let lcpDone = false;
  const lcp = observe('largest-contentful-paint', (entries) => {
    const e = entries[entries.length - 1] as (PerformanceEntry & { element?: Element | null; url?: string }) | undefined;
    if (!e || lcpDone) return;
    const detail: Record<string, string> = {};
    if (e.element) detail.element = nodeSummary(e.element);
    if (e.url) detail.url = e.url.slice(0, 512);
    report('LCP', Math.round(e.startTime), detail);
  });
  observers.push(lcp);
  const stopLcp = () => {
    lcpDone = true;
  };
  for (const type of ['keydown', 'pointerdown']) win.addEventListener(type, stopLcp, { once: true, capture: true });

  // CLS: the largest session window.
  let windowValue = 0;
  let windowStart = 0;
  let windowLast = 0;
  let cls = 0;
  observers.push(
    observe('layout-shift', (entries) => {
      for (const e of entries as Array<PerformanceEntry & { value: number; hadRecentInput: boolean }>) {
        if (e.hadRecentInput) continue;
        if (windowValue && e.startTime - windowLast < 1000 && e.startTime - windowStart < 5000) windowValue += e.value;
        else {
          windowValue = e.value;
          windowStart = e.startTime;
        }
        windowLast = e.startTime;
        if (windowValue > cls) {
          cls = windowValue;
          report('CLS', Math.round(cls * 10_000) / 10_000);
        }
      }
    }),
  );

  // INP: the longest event of each interaction; the worst (p98 past 50) is the page's INP.
  const interactions = new Map<number, number>();
  observers.push(
    observe(
      'event',
      (entries) => {
        let worst: (PerformanceEntry & { target?: Node | null }) | undefined;
        for (const e of entries as Array<PerformanceEntry & { interactionId?: number; target?: Node | null }>) {
          if (!e.interactionId) continue;
          if (e.duration > (interactions.get(e.interactionId) ?? -1)) {
            interactions.set(e.interactionId, e.duration);
            if (!worst || e.duration > worst.duration) worst = e;
          }
        }
        if (!worst) return;
        // Bounded: only the 10 worst matter for the percentile of a few hundred interactions.
        const sorted = [...interactions.values()].sort((a, b) => b - a);
        const inp = sorted[Math.min(sorted.length - 1, Math.floor(interactions.size / 50))]!;
        if (interactions.size > 500) interactions.delete(interactions.keys().next().value as number);
        const detail: Record<string, string> = { event: worst.name };
        if (worst.target) detail.target = nodeSummary(worst.target);
        report('INP', Math.round(inp), detail);
      },
      { durationThreshold: 40 },
    ),
  );

  // Long tasks block the main thread for 50 ms or more: the cause of a poor INP.
  let longTasks = 0;
  observers.push(
    observe('longtask', (entries) => {
      if (!active) return;
      for (const e of entries) {
        if (++longTasks > 100) return; // a page that janks all the time needs no more rows to show it
        const who = (e as PerformanceEntry & { attribution?: Array<{ containerSrc?: string; containerName?: string }> }).attribution?.[0];
        emit({
          metric: 'longtask',
          value: Math.round(e.duration),
          level: e.duration >= 200 ? 'warn' : 'info',
          detail: { start: Math.round(e.startTime), ...(who?.containerSrc ? { container: who.containerSrc.slice(0, 512) } : {}) },
        });
      }
    }),
  );

  // Navigation timing, once the load event has finished (loadEventEnd is set after its handlers).
  const navigation = () => {
    timers.push(
      setTimeout(() => {
        const nav = win.performance?.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined;
        if (!active || !nav) return;
        const r = (n: number) => Math.round(n);
        const ttfb = r(nav.responseStart);
        emit({
          metric: 'navigation',
          value: r(nav.loadEventStart || nav.domContentLoadedEventStart),
          rating: ttfb <= 800 ? 'good' : ttfb <= 1800 ? 'needs-improvement' : 'poor',
          detail: {
            ttfb,
            domContentLoaded: r(nav.domContentLoadedEventStart),
            load: r(nav.loadEventStart),
            domInteractive: r(nav.domInteractive),
            type: nav.type,
            transferSize: nav.transferSize,
          },
        });
      }, 0),
    );
  };
  if (win.document.readyState === 'complete') navigation();
  else win.addEventListener('load', navigation, { once: true });

  return () => {
    active = false;
    for (const t of timers) clearTimeout(t);
    for (const o of observers) o?.disconnect();
    win.removeEventListener('load', navigation);
    for (const type of ['keydown', 'pointerdown']) win.removeEventListener(type, stopLcp, { capture: true });
  };
}
