/** What the buffer needs of an entry: a place to say how many entries before it were lost. */
export interface Droppable {
  dropped?: number;
}

/**
 * A bounded FIFO of entries waiting to be sent. When it is full the oldest entry goes, and the
 * count of lost entries rides on the next entry that leaves the buffer (`dropped`), so a reader
 * sees exactly where the gap is and how big it was.
 */
export interface EntryBuffer<T extends Droppable> {
  readonly size: number;
  readonly capacity: number;
  /** Entries lost to overflow and not yet reported on a taken entry. */
  readonly pendingDropped: number;
  /** Entries lost since the buffer was made. */
  readonly droppedTotal: number;
  /** Counts `n` entries lost elsewhere (e.g. dropped by a filter) into the next taken entry. */
  noteDropped(n: number): void;
  /** Adds at the end; when full, drops the oldest first. */
  push(entry: T): void;
  /** Removes and returns up to `n` entries from the front, the first carrying the pending drop count. */
  take(n: number): T[];
  /** Puts taken entries back at the front (a send failed), in their order; overflow drops the oldest. */
  restore(entries: readonly T[]): void;
  clear(): void;
}

export function createEntryBuffer<T extends Droppable>(capacity: number): EntryBuffer<T> {
  const cap = Math.max(1, Math.floor(capacity));
  const slots: Array<T | undefined> = new Array(cap);
  let head = 0;
  let length = 0;
  let dropped = 0;
  let total = 0;

  const dropOldest = () => {
    const old = slots[head];
    slots[head] = undefined;
    head = (head + 1) % cap;
    length--;
    dropped += 1 + (old?.dropped ?? 0);
    total++;
  };

  return {
    get size() {
      return length;
    },
    capacity: cap,
    get pendingDropped() {
      return dropped;
    },
    get droppedTotal() {
      return total;
    },
    noteDropped(n) {
      dropped += n;
    },
    push(entry) {
      if (length === cap) dropOldest();
      slots[(head + length) % cap] = entry;
      length++;
    },
    take(n) {
      const out: T[] = [];
      while (out.length < n && length > 0) {
        out.push(slots[head]!);
        slots[head] = undefined;
        head = (head + 1) % cap;
        length--;
      }
      if (out.length > 0 && dropped > 0) {
        out[0]!.dropped = (out[0]!.dropped ?? 0) + dropped;
        dropped = 0;
      }
      return out;
    },
    restore(entries) {
      // Walk backwards so the first entry ends up in front. When there is no room, the entries
      // being restored are the oldest, so they are the ones that go.
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i]!;
        if (length === cap) {
          dropped += 1 + (entry.dropped ?? 0);
          total++;
          continue;
        }
        head = (head - 1 + cap) % cap;
        slots[head] = entry;
        length++;
      }
    },
    clear() {
      slots.fill(undefined);
      head = 0;
      length = 0;
      dropped = 0;
    },
  };
}
