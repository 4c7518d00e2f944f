import type { NetworkEntry, PerformanceEntryData } from '../../packages/protocol';
import { sanitizeLine } from './sanitize';

/**
 * Text of network and performance entries for the terminal: one summary line
 * (`GET 503 /api/x 120 ms 2.1 KB`) and the lines of the expanded view (headers, timing, body).
 * Pure, for unit tests.
 */

export function formatBytes(n: number | 'unknown' | undefined): string {
  if (n === undefined || n === 'unknown') return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 10 ? `${Math.round(ms * 10) / 10} ms` : ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The URL as short as it stays unambiguous: path and query on the page's own origin, the whole URL elsewhere. */
export function shortUrl(url: string, pageUrl?: string): string {
  try {
    const u = new URL(url);
    const page = pageUrl ? new URL(pageUrl) : undefined;
    if (page && u.origin === page.origin && (u.protocol === 'http:' || u.protocol === 'https:')) return `${u.pathname}${u.search}`;
    return url;
  } catch {
    return url;
  }
}

const VERB: Partial<Record<NetworkEntry['type'], string>> = { websocket: 'WS', eventsource: 'SSE' };

/** `GET 503 /api/x 120 ms 20 B`, `GET aborted /api/slow 50 ms`, `WS close 1000 ws://h/ws 2.0 s ↑2 8 B ↓2 8 B`. */
export function networkSummary(e: NetworkEntry): string {
  const verb = VERB[e.type] ?? (e.method || '?');
  let state: string;
  if (e.event) state = e.code !== undefined ? `${e.event} ${e.code}` : e.event;
  else state = e.status ? String(e.status) : e.failure ? e.failure : e.statusText || '-';
  const parts = [verb, state, shortUrl(e.url, e.page?.url), formatMs(e.duration)];
  if (e.event && e.failure) parts.push(`(${e.failure})`);
  if (!e.event) parts.push(formatBytes(e.responseSize));
  if (e.messages && (e.messages.sent || e.messages.received)) {
    parts.push(`↑${e.messages.sent ?? 0} ${formatBytes(e.messages.sentBytes ?? 0)} ↓${e.messages.received ?? 0} ${formatBytes(e.messages.receivedBytes ?? 0)}`);
  }
  if (e.type === 'xhr' || e.type === 'beacon') parts.push(`[${e.type}]`);
  if (e.beforeHook) parts.push(`[before hook${e.initiator && e.type === 'resource' ? `: ${e.initiator}` : ''}]`);
  return sanitizeLine(parts.filter(Boolean).join(' '));
}

function perfValue(e: PerformanceEntryData): string {
  return e.metric === 'CLS' ? String(e.value) : formatMs(e.value);
}

/** `LCP 1.2 s good (img#hero)`, `navigation load 820 ms · TTFB 120 ms · DOMContentLoaded 400 ms`. */
export function performanceSummary(e: PerformanceEntryData): string {
  const d = e.detail ?? {};
  if (e.metric === 'navigation') {
    const num = (k: string) => (typeof d[k] === 'number' ? formatMs(d[k] as number) : '?');
    return sanitizeLine(`navigation load ${num('load')} · TTFB ${num('ttfb')} · DOMContentLoaded ${num('domContentLoaded')}${e.rating ? ` (TTFB ${e.rating})` : ''}`);
  }
  const parts = [e.metric, perfValue(e)];
  if (e.rating) parts.push(e.rating);
  const what = d.element ?? d.target ?? d.container;
  if (e.metric === 'INP' && d.event) parts.push(`on ${String(d.event)}`);
  if (what !== undefined) parts.push(`(${String(what)})`);
  return sanitizeLine(parts.join(' '));
}

function headerLines(title: string, h: Record<string, string> | undefined): string[] {
  if (!h || Object.keys(h).length === 0) return [];
  return [title, ...Object.entries(h).map(([k, v]) => `  ${sanitizeLine(k)}: ${sanitizeLine(v)}`)];
}

/** The expanded view of a network entry. */
export function networkDetailLines(e: NetworkEntry, maxLines = 200): string[] {
  const out: string[] = [`${e.type} ${sanitizeLine(e.method || '?')} ${sanitizeLine(e.url)}`];
  out.push(`started ${new Date(e.start).toISOString()}${e.duration !== undefined ? `, took ${formatMs(e.duration)}` : ''}`);
  if (e.status) out.push(`status ${e.status}${e.statusText ? ` ${sanitizeLine(e.statusText)}` : ''}`);
  if (e.failure) out.push(`failed: ${sanitizeLine(e.failure)}`);
  const sizes = [`request ${formatBytes(e.requestSize) || 'size unknown'}`, `response ${formatBytes(e.responseSize) || 'size unknown'}`];
  if (!e.event) out.push(sizes.join(', '));
  if (e.messages) out.push(`messages sent ${e.messages.sent ?? 0} (${formatBytes(e.messages.sentBytes ?? 0)}), received ${e.messages.received ?? 0} (${formatBytes(e.messages.receivedBytes ?? 0)})`);
  if (e.code !== undefined) out.push(`close code ${e.code}${e.reason ? ` ${sanitizeLine(e.reason)}` : ''}`);
  if (e.timing) out.push(`timing ${Object.entries(e.timing).map(([k, v]) => `${k} ${formatMs(v)}`).join(', ')}`);
  out.push(...headerLines('request headers', e.requestHeaders), ...headerLines('response headers', e.responseHeaders));
  for (const [label, body] of [['request body', e.requestBody], ['response body', e.responseBody]] as const) {
    if (body === undefined) continue;
    out.push(`${label}${e.bodyTruncated ? ' (cut)' : ''}:`);
    out.push(...body.split('\n').slice(0, 40).map((l) => `  ${sanitizeLine(l)}`));
  }
  if (e.beforeHook) out.push(`made before the hook loaded (from Resource Timing${e.initiator ? `, ${sanitizeLine(e.initiator)}` : ''})`);
  return out.slice(0, maxLines);
}

export function performanceDetailLines(e: PerformanceEntryData): string[] {
  const out = [`${e.metric} ${perfValue(e)}${e.rating ? ` (${e.rating})` : ''}`];
  for (const [k, v] of Object.entries(e.detail ?? {})) out.push(`${sanitizeLine(k)} ${typeof v === 'number' && k !== 'transferSize' ? formatMs(v) : sanitizeLine(String(v))}`);
  return out;
}
