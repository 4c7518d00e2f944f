/**
 * Call sites through source maps in /debug. A URL in an entry is untrusted (unsigned hooks can
 * write into debug rooms), so nothing is fetched from an origin until the user allowed it with
 * a click; the choice lasts for the tab (sessionStorage). Maps are cached per script, loads are
 * time-limited and never hold up the list: a row shows the generated location first and the
 * original one once its map is in.
 */
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import { mapStackText } from '../packages/log-core';
import type { CallSite } from '../packages/protocol';

const KEY = 'node-im-debug-source-map-origins';
const MAPPING_URL = /\/\/[#@] ?sourceMappingURL=([^\s'"]+)\s*$/;

interface FetchAnswer {
  ok: boolean;
  text?: string;
  sourceMap?: string | null;
}

export interface BrowserSourceMaps {
  originOf(file: string): string | undefined;
  isAllowed(origin: string): boolean;
  allow(origin: string): void;
  /** The original position when the script's map is loaded; starts loading it otherwise (allowed origins only). */
  map(site: CallSite): CallSite | undefined;
  /** A stack text with the frames whose maps are in at their original places (`undefined`: none yet); starts loading the others' maps. */
  mapStack(stack: string): string | undefined;
}

export function createBrowserSourceMaps(onLoaded: (file: string) => void): BrowserSourceMaps {
  const allowed = new Set<string>();
  try {
    for (const o of JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as string[]) allowed.add(o);
  } catch {
    /* storage blocked: nothing allowed yet */
  }
  const maps = new Map<string, TraceMap | null | 'loading'>();

  const originOf = (file: string): string | undefined => {
    try {
      const u = new URL(file);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
    } catch {
      return undefined;
    }
  };
  // Fetches go through a worker served with its own CSP (connect-src: the allowed origins only),
  // so the browser enforces the allow list as well as this check; a new one after each click.
  let worker: Worker | undefined;
  let seq = 0;
  const pending = new Map<number, (a: FetchAnswer) => void>();
  const settleAll = () => {
    for (const done of pending.values()) done({ ok: false });
    pending.clear();
  };
  const fetcher = (): Worker => {
    if (worker) return worker;
    const q = new URLSearchParams();
    for (const o of allowed) q.append('origin', o);
    const w = new Worker(`/debug/source-map-worker.js?${q.toString()}`);
    w.onmessage = (ev: MessageEvent<FetchAnswer & { id: number }>) => {
      const done = pending.get(ev.data.id);
      pending.delete(ev.data.id);
      done?.(ev.data);
    };
    w.onerror = settleAll;
    worker = w;
    return w;
  };
  const get = async (url: string): Promise<{ text: string; sourceMap?: string | null } | undefined> => {
    const o = originOf(url);
    if (!o || !allowed.has(o)) return undefined;
    const id = ++seq;
    const answer = await new Promise<FetchAnswer>((resolve) => {
      // The worker stops each fetch at 5 s; this covers a worker that never started.
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve({ ok: false });
      }, 6000);
      pending.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      fetcher().postMessage({ id, url });
    });
    return answer.ok && typeof answer.text === 'string' ? { text: answer.text, sourceMap: answer.sourceMap } : undefined;
  };
  const load = async (file: string): Promise<TraceMap | null> => {
    const script = await get(file);
    if (!script) return null;
    const ref = script.sourceMap ?? MAPPING_URL.exec(script.text.slice(-4096))?.[1];
    if (!ref) return null;
    let mapText: string | undefined;
    let mapUrl = file;
    if (ref.startsWith('data:')) {
      const comma = ref.indexOf(',');
      mapText = ref.slice(5, comma).endsWith(';base64') ? atob(ref.slice(comma + 1)) : decodeURIComponent(ref.slice(comma + 1));
    } else {
      mapUrl = new URL(ref, file).href;
      mapText = (await get(mapUrl))?.text;
    }
    return mapText ? new TraceMap(JSON.parse(mapText) as ConstructorParameters<typeof TraceMap>[0], mapUrl) : null;
  };

  const map = (site: CallSite): CallSite | undefined => {
    const m = maps.get(site.file);
    if (m === undefined) {
      const o = originOf(site.file);
      if (!o || !allowed.has(o)) return undefined;
      if (maps.size > 200) maps.delete(maps.keys().next().value as string);
      maps.set(site.file, 'loading');
      load(site.file)
        .catch(() => null)
        .then((loaded) => {
          maps.set(site.file, loaded);
          if (loaded) onLoaded(site.file);
        });
      return undefined;
    }
    if (m === null || m === 'loading') return undefined;
    const pos = originalPositionFor(m, { line: site.line, column: Math.max(0, site.col - 1) });
    if (pos.source === null || pos.line === null) return undefined;
    return { file: pos.source, line: pos.line, col: (pos.column ?? 0) + 1, ...(pos.name ? { fn: pos.name } : site.fn ? { fn: site.fn } : {}) };
  };

  return {
    originOf,
    map,
    // The same per-script maps and allow list as call sites: one loader, one cache.
    mapStack: (stack) => mapStackText(stack, map),
    isAllowed: (origin) => allowed.has(origin),
    allow(origin) {
      allowed.add(origin);
      try {
        sessionStorage.setItem(KEY, JSON.stringify([...allowed]));
      } catch {
        /* for this page only */
      }
      for (const [file, m] of maps) if (m === null && originOf(file) === origin) maps.delete(file);
      // The fetcher's CSP names the allowed origins: the next fetch starts one that includes this
      // origin; the old one finishes what it has (each fetch ends within 5 s), then goes.
      const old = worker;
      worker = undefined;
      if (old) setTimeout(() => old.terminate(), 7000);
    },
  };
}
