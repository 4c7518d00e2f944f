import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping';
import { asDebugEntry, ImError, type CallSite } from '../../packages/protocol';
import { mapStackText, stackFiles } from '../../packages/log-core';
import { MAPPED_CALL_SITE, MAPPED_STACKS, stacksIn } from './mapped-site';
import type { LogStreamSource, StreamListener } from './types';

export { MAPPED_CALL_SITE, MAPPED_STACKS, mappedCallSite, mappedStack } from './mapped-site';

/**
 * Call sites through source maps (`tail --source-maps-from ORIGIN`, `--source-maps DIR`).
 *
 * Unsigned hooks can write into a debug room, so a URL in an entry is untrusted: a map (and the
 * script that names it) is fetched only from an origin the user allowed, or read from the
 * user's own folder by file name; nothing else is ever fetched. Maps are cached per script
 * (bounded), each load has a time limit, and a failure is remembered (no retry storm).
 */

export interface SourceMapOptions {
  /** Origins maps may be fetched from, e.g. `https://shop.example.com`. */
  origins?: readonly string[];
  /** A folder of `.map` files, found by the script's file name (`bundle.js` → `bundle.js.map`). */
  dir?: string;
  fetch?: typeof fetch;
  /** Per script and map. Default 5 s. */
  timeoutMs?: number;
  /** Largest map read. Default 20 MB. */
  maxBytes?: number;
  /** Scripts whose maps are kept. Default 200. */
  maxMaps?: number;
}

export interface SourceMapper {
  /** Loads the map of a script if allowed and not cached yet; resolves when known (found or not). */
  prepare(file: string): Promise<void>;
  /** The original position, when the script's map is loaded and has one. */
  map(site: CallSite): CallSite | undefined;
}

/** `https://a.test:8080/x` → `https://a.test:8080`; throws INVALID_PARAMETER for anything but an http(s) origin. */
export function parseOrigin(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ImError('INVALID_PARAMETER', `--source-maps-from ${JSON.stringify(raw)} is not a URL: give an origin such as https://shop.example.com`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ImError('INVALID_PARAMETER', `--source-maps-from must be an http(s) origin, not ${u.protocol}`);
  return u.origin;
}

const MAPPING_URL = /\/\/[#@] ?sourceMappingURL=([^\s'"]+)\s*$/;

export function createSourceMapper(o: SourceMapOptions): SourceMapper {
  const origins = new Set((o.origins ?? []).map(parseOrigin));
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 5000;
  const maxBytes = o.maxBytes ?? 20 * 1024 * 1024;
  const maxMaps = o.maxMaps ?? 200;
  const maps = new Map<string, TraceMap | null>();
  const loading = new Map<string, Promise<void>>();

  const allowed = (url: string): boolean => {
    try {
      return origins.has(new URL(url).origin);
    } catch {
      return false;
    }
  };

  const get = async (url: string): Promise<{ text: string; header?: string } | undefined> => {
    if (!allowed(url)) return undefined;
    const res = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!res.ok) return undefined;
    const size = Number(res.headers.get('content-length'));
    if (size > maxBytes) return undefined;
    const text = await res.text();
    if (text.length > maxBytes) return undefined;
    return { text, header: res.headers.get('sourcemap') ?? res.headers.get('x-sourcemap') ?? undefined };
  };

  const fromDir = async (file: string): Promise<string | undefined> => {
    if (!o.dir) return undefined;
    let name: string;
    try {
      name = path.posix.basename(new URL(file).pathname);
    } catch {
      name = path.basename(file);
    }
    // The name only: a URL cannot walk out of the folder.
    if (!name || name === '.' || name === '..') return undefined;
    try {
      return await readFile(path.join(o.dir, `${name}.map`), 'utf8');
    } catch {
      return undefined;
    }
  };

  const load = async (file: string): Promise<TraceMap | null> => {
    let mapText = await fromDir(file);
    let mapUrl = file;
    if (mapText === undefined && allowed(file)) {
      const script = await get(file);
      const ref = script?.header ?? (script ? MAPPING_URL.exec(script.text.slice(-4096))?.[1] : undefined);
      if (!ref) return null;
      if (ref.startsWith('data:')) {
        const comma = ref.indexOf(',');
        const meta = ref.slice(5, comma);
        const body = ref.slice(comma + 1);
        mapText = meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
      } else {
        mapUrl = new URL(ref, file).href;
        mapText = (await get(mapUrl))?.text;
      }
    }
    if (mapText === undefined) return null;
    const raw = JSON.parse(mapText) as { sources?: string[]; sourceRoot?: string };
    return new TraceMap(raw as ConstructorParameters<typeof TraceMap>[0], mapUrl);
  };

  return {
    prepare(file) {
      if (maps.has(file)) return Promise.resolve();
      if (!allowed(file) && !o.dir) return Promise.resolve();
      let p = loading.get(file);
      if (!p) {
        p = load(file)
          .catch(() => null)
          .then((m) => {
            if (maps.size >= maxMaps) maps.delete(maps.keys().next().value as string);
            maps.set(file, m);
            loading.delete(file);
          });
        loading.set(file, p);
      }
      return p;
    },
    map(site) {
      const m = maps.get(site.file);
      if (!m || site.line < 1) return undefined;
      const pos = originalPositionFor(m, { line: site.line, column: Math.max(0, site.col - 1) });
      if (pos.source === null || pos.line === null) return undefined;
      return { file: pos.source, line: pos.line, col: (pos.column ?? 0) + 1, ...(pos.name ? { fn: pos.name } : site.fn ? { fn: site.fn } : {}) };
    },
  };
}

/**
 * The stream with its call sites mapped: each event waits, in order, until the maps of the
 * call sites before it are known (each load bounded by its time limit), then the mapped site
 * rides on the message under MAPPED_CALL_SITE. Once a script's map is cached, nothing waits.
 */
export function withSourceMaps<S extends LogStreamSource>(stream: S, mapper: SourceMapper): S {
  const subscribe = (listener: StreamListener) => {
    let chain = Promise.resolve();
    let active = true;
    const later = (fn: () => void, files: string[] = []) => {
      chain = chain.then(async () => {
        await Promise.all(files.map((f) => mapper.prepare(f)));
        if (active) fn();
      });
    };
    const unsubscribe = stream.subscribe({
      messages(messages, origin) {
        const files = new Set<string>();
        for (const m of messages) {
          const site = asDebugEntry(m.data)?.callSite;
          if (site) files.add(site.file);
          // Stacks (console.trace, Error values) wait for their scripts' maps too, bounded the same way.
          for (const stack of stacksIn(m.data)) for (const f of stackFiles(stack).slice(0, 20)) files.add(f);
        }
        later(() => {
          for (const m of messages) {
            const site = asDebugEntry(m.data)?.callSite;
            const mapped = site ? mapper.map(site) : undefined;
            if (mapped) Object.defineProperty(m, MAPPED_CALL_SITE, { value: mapped, enumerable: false });
            const stacks = new Map<string, string>();
            for (const stack of stacksIn(m.data)) {
              const text = mapStackText(stack, (f) => mapper.map(f));
              if (text !== undefined) stacks.set(stack, text);
            }
            if (stacks.size > 0) Object.defineProperty(m, MAPPED_STACKS, { value: stacks, enumerable: false });
          }
          listener.messages?.(messages, origin);
        }, [...files]);
      },
      status(status) {
        later(() => listener.status?.(status));
      },
      notice(text, level) {
        later(() => listener.notice?.(text, level));
      },
    });
    return () => {
      active = false;
      unsubscribe();
    };
  };
  return Object.assign(Object.create(stream) as S, { subscribe });
}
