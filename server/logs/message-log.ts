import { createReadStream } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ImError } from '../../packages/protocol';

/** One line of a message log (NDJSON). */
export interface MessageLogRecord {
  ts: string;
  instance: string;
  source: string;
  room_id: string;
  data: unknown;
}

export interface MessageLog {
  /** Appends one NDJSON line to `<dir>/<YYYY-MM-DD>/<source>/<filename>` (UTC date). */
  append(source: string, filename: string, record: MessageLogRecord): Promise<void>;
  /** A stream of a source's log file; NOT_FOUND when there is none. */
  read(source: string, filename: string, date: string): Promise<{ stream: Readable; size: number }>;
  close(): Promise<void>;
}

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const MAX_OPEN_FILES = 32;

export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The folder of a source's logs within a day: the source name, a leading dot written `%2E`
 * (source names may be "." or ".."; they never hold "%", so no other source maps there).
 */
export function sourceFolder(source: string): string {
  return source.startsWith('.') ? `%2E${source.slice(1)}` : source;
}

/**
 * Before one folder per source, a log was `<source>_<filename>`, and `shop` + `eu_orders.log`
 * was the same name as `shop_eu` + `orders.log`. An old name is read only when it maps back to
 * this source alone: no other configured source `x` makes it `x_<something>`.
 */
export function legacyNameIsOwn(source: string, filename: string, sources: readonly string[]): boolean {
  const legacy = `${source}_${filename}`;
  return !sources.some((other) => other !== source && legacy.startsWith(`${other}_`));
}

export interface MessageLogOptions {
  now?: () => number;
  /** Every configured source name: old `<source>_<filename>` files are read only when no other can claim them. */
  sources?: readonly string[];
}

/**
 * Streams the files one after the other, as one body, each up to the size it had when looked
 * at: lines appended meanwhile are not part of this answer (its Content-Length is the sum).
 */
function concatFiles(files: ReadonlyArray<{ file: string; size: number }>): Readable {
  async function* chunks() {
    for (const { file, size } of files) {
      if (size === 0) continue;
      for await (const chunk of createReadStream(file, { start: 0, end: size - 1 })) yield chunk as Buffer;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * `filename` has been checked by parseLogFilename and `source` is a configured source name,
 * so the joined path cannot leave `dir`; resolve() and the prefix check say so once more.
 */
export function createMessageLog(dir: string, options: MessageLogOptions | (() => number) = {}): MessageLog {
  const opts: MessageLogOptions = typeof options === 'function' ? { now: options } : options;
  const now = opts.now ?? Date.now;
  const sources = opts.sources ?? [];
  const root = path.resolve(dir);
  const handles = new Map<string, Promise<FileHandle>>();

  function inRoot(file: string): string {
    if (!file.startsWith(root + path.sep)) throw new ImError('INVALID_FILENAME', 'filename escapes the log folder');
    return file;
  }
  const filePath = (source: string, filename: string, date: string) => inRoot(path.resolve(root, date, sourceFolder(source), filename));
  const legacyPath = (source: string, filename: string, date: string) => inRoot(path.resolve(root, date, `${source}_${filename}`));

  async function handleFor(file: string): Promise<FileHandle> {
    let h = handles.get(file);
    if (h) {
      // Keep recently used files at the end of the map (LRU order).
      handles.delete(file);
      handles.set(file, h);
      return h;
    }
    h = mkdir(path.dirname(file), { recursive: true }).then(() => open(file, 'a'));
    handles.set(file, h);
    h.catch(() => handles.delete(file));
    if (handles.size > MAX_OPEN_FILES) {
      const [oldest, oldHandle] = handles.entries().next().value as [string, Promise<FileHandle>];
      handles.delete(oldest);
      oldHandle.then((fh) => fh.close()).catch(() => {});
    }
    return h;
  }

  return {
    async append(source, filename, record) {
      const file = filePath(source, filename, utcDate(now()));
      const fh = await handleFor(file);
      // One write call per line on an O_APPEND file: lines from concurrent writers never interleave.
      await fh.write(JSON.stringify(record) + '\n');
    },
    async read(source, filename, date) {
      if (!DATE_PATTERN.test(date)) throw new ImError('INVALID_PARAMETER', 'date must be YYYY-MM-DD');
      // A day written before and after the upgrade has both: the old file's lines came first.
      const candidates = [
        ...(legacyNameIsOwn(source, filename, sources) ? [legacyPath(source, filename, date)] : []),
        filePath(source, filename, date),
      ];
      const found: Array<{ file: string; size: number }> = [];
      for (const file of candidates) {
        const info = await stat(file).catch(() => undefined);
        if (info?.isFile()) found.push({ file, size: info.size });
      }
      if (found.length === 0) throw new ImError('NOT_FOUND', `no log ${filename} for ${date}`);
      return { stream: concatFiles(found), size: found.reduce((a, f) => a + f.size, 0) };
    },
    async close() {
      const all = [...handles.values()];
      handles.clear();
      await Promise.allSettled(all.map(async (h) => (await h).close()));
    },
  };
}
