import { createReadStream } from 'node:fs';
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
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
  /** Appends one NDJSON line to `<dir>/<YYYY-MM-DD>/<source>_<filename>` (UTC date). */
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
 * `filename` has been checked by parseLogFilename and `source` is a configured source name,
 * so the joined path cannot leave `dir`; resolve() and the prefix check say so once more.
 */
export function createMessageLog(dir: string, now: () => number = Date.now): MessageLog {
  const root = path.resolve(dir);
  const handles = new Map<string, Promise<FileHandle>>();

  function filePath(source: string, filename: string, date: string): string {
    const file = path.resolve(root, date, `${source}_${filename}`);
    if (!file.startsWith(root + path.sep)) throw new ImError('INVALID_FILENAME', 'filename escapes the log folder');
    return file;
  }

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
      const file = filePath(source, filename, date);
      try {
        const info = await stat(file);
        return { stream: createReadStream(file), size: info.size };
      } catch {
        throw new ImError('NOT_FOUND', `no log ${filename} for ${date}`);
      }
    },
    async close() {
      const all = [...handles.values()];
      handles.clear();
      await Promise.allSettled(all.map(async (h) => (await h).close()));
    },
  };
}
