/**
 * What `send` does with a message while the connection is down: keep it, up to a bound, and
 * hand everything back in order when the connection is up again. A full queue refuses the new
 * message (rather than dropping an old one) so what does arrive keeps its order with no holes.
 */
export interface SendQueue<T> {
  /** False when the queue is full (the item was not kept). */
  push(item: T): boolean;
  /** Removes and returns every item, oldest first. */
  drain(): T[];
  readonly size: number;
  readonly capacity: number;
}

export function createSendQueue<T>(capacity: number): SendQueue<T> {
  if (!(capacity >= 0)) throw new RangeError(`queue capacity must be ≥ 0, got ${capacity}`);
  let items: T[] = [];
  return {
    push(item) {
      if (items.length >= capacity) return false;
      items.push(item);
      return true;
    },
    drain() {
      const out = items;
      items = [];
      return out;
    },
    get size() {
      return items.length;
    },
    capacity,
  };
}
